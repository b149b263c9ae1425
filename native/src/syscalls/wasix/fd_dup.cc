#include "syscall.h"

namespace wasmx {
// fd_dup(fd, newfd_p): dup() — the lowest free fd, sharing fd's entry (offset, flags, epoll registrations keyed
// on the entry). fdflagsext lives on the shared entry in this fd table, so the POSIX "new fd has FD_CLOEXEC
// clear" is applied to the entry, as fd_renumber does.
static Errno fd_dup(Instance& inst, uint32_t fd, uint32_t newfd_p) {
  if (!inst.mem.InBounds(newfd_p, 4)) return err::FAULT;
  uint32_t nfd;
  FdPtr e;
  if (Errno r = inst.fds().Duplicate(fd, 0, &nfd, &e)) return r;
  e->fdflagsext.store(0);
  return StoreU32(inst, newfd_p, nfd);
}
WASMX_WASIX(fd_dup);
}  // namespace wasmx
