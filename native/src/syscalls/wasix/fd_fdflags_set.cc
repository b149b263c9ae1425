#include "syscall.h"

namespace wasmx {
// fcntl(F_SETFD). Only CLOEXEC exists; it is recorded for the guest (wasmx has no exec, so nothing else changes).
static Errno fd_fdflags_set(Instance& inst, uint32_t fd, uint32_t flags) {
  uint16_t f = uint16_t(flags & 0xffff);
  if (!inst.fds().Get(fd)) return err::BADF;
  if (f & ~fdflagsext::CLOEXEC) return err::INVAL;
  return inst.fds().SetCloexec(fd, f & fdflagsext::CLOEXEC);
}
WASMX_WASIX(fd_fdflags_set);
}  // namespace wasmx
