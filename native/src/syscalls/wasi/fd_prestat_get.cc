#include <cstring>

#include "syscall.h"

namespace wasmx {
// libc scans fds 3, 4, ... and stops only on BADF (ABI §3): every fd that is not a preopened dir gets BADF.
static Errno fd_prestat_get(Instance& inst, uint32_t fd, uint32_t prestat_p) {
  FdRef e = inst.fds().Get(fd);
  if (!e || e->kind != FdKind::kDirectory || e->preopen_name.empty()) return err::BADF;
  uint8_t b[8] = {0};
  uint32_t len = uint32_t(e->preopen_name.size());
  std::memcpy(b + 4, &len, 4);
  return inst.mem.Write(prestat_p, b, 8) ? err::SUCCESS : err::FAULT;
}
WASMX_WASI(fd_prestat_get);
}  // namespace wasmx
