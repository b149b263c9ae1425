// Linux backend of the Poller interface: a host epoll instance.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

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

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(int epfd) : epfd_(epfd) {}
  ~EpollPoller() override { close(epfd_); }
  int Set(int fd, uint32_t events, bool is_new) override {
    struct epoll_event ev = {};
    ev.events = ToHost(events);
    ev.data.fd = fd;
    return epoll_ctl(epfd_, is_new ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
  }
  int Remove(int fd) override { return epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }
  int Wait(PollerEvent* out, int max, uint64_t timeout_ns) override {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    int ms = timeout_ns == UINT64_MAX ? -1
             : timeout_ns / 1000000 >= INT_MAX ? INT_MAX
                                                : int((timeout_ns + 999999) / 1000000);
    int n = epoll_wait(epfd_, evs, max, ms);
    for (int i = 0; i < n; i++) out[i] = {evs[i].data.fd, FromHost(evs[i].events)};
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
