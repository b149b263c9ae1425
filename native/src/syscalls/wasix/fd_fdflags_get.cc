#include "syscall.h"

namespace wasmx {
// fcntl(F_GETFD): the fd number's fdflagsext (CLOEXEC = 1) as a u16.
static Errno fd_fdflags_get(Instance& inst, uint32_t fd, uint32_t flags_p) {
  bool cloexec;
  if (Errno r = inst.fds().GetCloexec(fd, &cloexec)) return r;
  return inst.mem.Store<uint16_t>(flags_p, cloexec ? fdflagsext::CLOEXEC : 0) ? err::SUCCESS : err::FAULT;
}
WASMX_WASIX(fd_fdflags_get);
}  // namespace wasmx
