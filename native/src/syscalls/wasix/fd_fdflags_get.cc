#include "syscall.h"

namespace wasmx {
// fcntl(F_GETFD): the fd's fdflagsext (CLOEXEC = 1) as a u16.
static Errno fd_fdflags_get(Instance& inst, uint32_t fd, uint32_t flags_p) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, 0, &e)) return r;
  return inst.mem.Store<uint16_t>(flags_p, e->fdflagsext.load()) ? err::SUCCESS : err::FAULT;
}
WASMX_WASIX(fd_fdflags_get);
}  // namespace wasmx
