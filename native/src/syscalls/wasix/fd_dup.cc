#include "syscall.h"

namespace wasmx {
// fd_dup(fd, newfd_p): dup() — the lowest free fd, sharing fd's entry (offset, flags, epoll registrations keyed
// on the entry). The new number's CLOEXEC starts clear (it is per number: `fd` keeps its own).
static Errno fd_dup(Instance& inst, uint32_t fd, uint32_t newfd_p) {
  if (!inst.mem.InBounds(newfd_p, 4)) return err::FAULT;
  uint32_t nfd;
  if (Errno r = inst.fds().Duplicate(fd, 0, &nfd)) return r;
  return StoreU32(inst, newfd_p, nfd);
}
WASMX_WASIX(fd_dup);
}  // namespace wasmx
