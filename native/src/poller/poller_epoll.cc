// Linux backend of the Poller interface: a host epoll instance. The pollbits map 1:1 onto EPOLL* flags; the
// kernel does level/edge triggering, ONESHOT disarming (re-armed by EPOLL_CTL_MOD) and EXCLUSIVE wake-ups.
#ifdef __linux__
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

#include "poller.h"

namespace wasmx {
namespace {

uint32_t ToHost(uint32_t b) {
  uint32_t h = 0;
  if (b & pollbits::IN) h |= EPOLLIN;
  if (b & pollbits::OUT) h |= EPOLLOUT;
  if (b & pollbits::RDHUP) h |= EPOLLRDHUP;
  if (b & pollbits::PRI) h |= EPOLLPRI;
  if (b & pollbits::ET) h |= EPOLLET;
  if (b & pollbits::ONESHOT) h |= EPOLLONESHOT;
  if (b & pollbits::EXCLUSIVE) h |= EPOLLEXCLUSIVE;
  return h;
}

uint32_t FromHost(uint32_t h) {
  uint32_t b = 0;
  if (h & EPOLLIN) b |= pollbits::IN;
  if (h & EPOLLOUT) b |= pollbits::OUT;
  if (h & EPOLLRDHUP) b |= pollbits::RDHUP;
  if (h & EPOLLPRI) b |= pollbits::PRI;
  if (h & EPOLLERR) b |= pollbits::ERR;
  if (h & EPOLLHUP) b |= pollbits::HUP;
  return b;
}

// Rounds up, so that a wait never ends before the guest's timeout.
int TimeoutMs(uint64_t timeout_ns) {
  if (timeout_ns == UINT64_MAX) return -1;
  uint64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0);
  return ms >= uint64_t(INT_MAX) ? INT_MAX : int(ms);
}

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(int epfd) : epfd_(epfd) {}
  ~EpollPoller() override { close(epfd_); }
  int Set(int fd, uint32_t events, bool is_new, uint32_t token) override {
    struct epoll_event ev = {};
    ev.events = ToHost(events);
    ev.data.u64 = uint64_t(token) << 32 | uint32_t(fd);  // epoll reports data only: carry both
    return epoll_ctl(epfd_, is_new ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
  }
  int Remove(int fd) override { return epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }
  int Wait(PollerEvent* out, int max, uint64_t timeout_ns) override {
    if (max <= 0) {
      errno = EINVAL;
      return -1;
    }
    if (max > kMaxBatch) max = kMaxBatch;
    struct epoll_event small[64];
    std::vector<struct epoll_event> big;
    struct epoll_event* evs = small;
    if (max > 64) {
      big.resize(size_t(max));
      evs = big.data();
    }
    int n = epoll_wait(epfd_, evs, max, TimeoutMs(timeout_ns));
    for (int i = 0; i < n; i++)
      out[i] = {int(uint32_t(evs[i].data.u64)), FromHost(evs[i].events), uint32_t(evs[i].data.u64 >> 32)};
    return n;
  }
  int fd() const override { return epfd_; }

 private:
  int epfd_;
};

}  // namespace

Poller* Poller::Create() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  return fd < 0 ? nullptr : new EpollPoller(fd);
}

}  // namespace wasmx
#endif  // __linux__
