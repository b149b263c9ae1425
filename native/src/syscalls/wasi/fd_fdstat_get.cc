#include "syscall.h"

namespace wasmx {
static Errno fd_fdstat_get(Instance& inst, uint32_t fd, uint32_t stat_p) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, 0, &e)) return r;
  uint8_t type = e->Filetype();  // first: learning a pending type also settles rights_base
  return WriteFdstat(inst.mem, stat_p, type, e->fdflags.load(), e->rights_base, e->rights_inheriting);
}
WASMX_WASI(fd_fdstat_get);
}  // namespace wasmx
