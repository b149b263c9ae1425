#include "syscall.h"

namespace wasmx {
// fcntl(F_SETFD). Only CLOEXEC exists; it is recorded for the guest (wasmx has no exec, so nothing else changes).
static Errno fd_fdflags_set(Instance& inst, uint32_t fd, uint32_t flags) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, 0, &e)) return r;
  uint16_t f = uint16_t(flags & 0xffff);
  if (f & ~fdflagsext::CLOEXEC) return err::INVAL;
  e->fdflagsext.store(f);
  return err::SUCCESS;
}
WASMX_WASIX(fd_fdflags_set);
}  // namespace wasmx
