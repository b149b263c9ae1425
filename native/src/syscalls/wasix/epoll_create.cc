#include "epoll_set.h"
#include "syscall.h"

namespace wasmx {
// epoll_create(fd_p): a new guest epoll fd backed by its own host poller (epoll / kqueue). wasix-libc drops
// epoll_create1's flags (EPOLL_CLOEXEC never arrives, §5.2).
static Errno epoll_create(Instance& inst, uint32_t fd_p) {
  if (!inst.mem.InBounds(fd_p, 4)) return err::FAULT;
  Errno error = err::SUCCESS;
  auto set = EpollSet::Create(&error);
  if (!set) return error;
  uint32_t fd;
  if (Errno r = inst.fds().Insert(std::make_shared<EpollEntry>(std::move(set)), 0, &fd)) return r;
  return StoreU32(inst, fd_p, fd);
}
WASMX_WASIX(epoll_create);
}  // namespace wasmx
