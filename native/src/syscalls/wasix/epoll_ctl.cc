#include "epoll_set.h"
#include "syscall.h"

namespace wasmx {
// epoll_ctl(epfd, op, fd, event_p). op per §6.3.3: 0 = ADD (EXIST if present), 1 and 3 = add-or-modify (libc
// sends Linux's ADD=1 / MOD=3), 2 = DEL (NOENT if absent; event_p ignored, may be 0), anything else INVAL.
static Errno epoll_ctl(Instance& inst, uint32_t epfd, uint32_t op, uint32_t fd, uint32_t event_p) {
  FdRef ep;
  if (Errno r = inst.fds().Lookup(epfd, 0, &ep)) return r;
  EpollSet* set = AsEpollSet(*ep);
  if (!set) return err::INVAL;
  if (op > epollop::UPSERT_3) return err::INVAL;
  if (fd == epfd) return err::INVAL;
  FdRef target;
  if (Errno r = inst.fds().Lookup(fd, 0, &target)) return r;
  if (op == epollop::DEL) return set->Ctl(op, fd, target, nullptr);
  EpollEventImage ev;
  if (Errno r = ReadEpollEvent(inst.mem, event_p, &ev)) return r;
  return set->Ctl(op, fd, target, &ev);
}
WASMX_WASIX(epoll_ctl);
}  // namespace wasmx
