#include "syscall.h"

namespace wasmx {
static Errno fd_prestat_dir_name(Instance& inst, uint32_t fd, uint32_t path_p, uint32_t path_len) {
  FdRef e = inst.fds().Get(fd);
  if (!e || e->kind != FdKind::kDirectory || e->preopen_name.empty()) return err::BADF;
  if (path_len < e->preopen_name.size()) return err::NAMETOOLONG;
  return inst.mem.Write(path_p, e->preopen_name.data(), e->preopen_name.size()) ? err::SUCCESS : err::FAULT;
}
WASMX_WASI(fd_prestat_dir_name);
}  // namespace wasmx
