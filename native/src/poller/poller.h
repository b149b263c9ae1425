// The readiness-poller interface (one backend per platform, chosen at compile time, like libuv's src/unix):
// poller_epoll.cc on Linux, poller_kqueue.cc on macOS/BSD. Events are host fds plus WASIX epoll bits.
#pragma once
#include <cstdint>

namespace wasmx {

// WASIX epoll_type bits (ABI §6.3.2); also the interest/readiness vocabulary of the poller.
namespace pollbits {
constexpr uint32_t IN = 1, OUT = 2, RDHUP = 4, PRI = 8, ERR = 16, HUP = 32, ET = 64, ONESHOT = 128;
}

struct PollerEvent {
  int fd;            // host fd
  uint32_t events;   // pollbits
};

class Poller {
 public:
  static Poller* Create();  // null + errno on failure
  virtual ~Poller() = default;
  // Adds or modifies interest in host `fd` (pollbits, including ET / ONESHOT).
  virtual int Set(int fd, uint32_t events, bool is_new) = 0;
  virtual int Remove(int fd) = 0;
  // Waits up to timeout_ns (UINT64_MAX = forever). Returns the number of events written, or -1 with errno.
  virtual int Wait(PollerEvent* out, int max, uint64_t timeout_ns) = 0;
  // A host fd that becomes readable when Wait would return events (to nest pollers, e.g. in poll_oneoff).
  virtual int fd() const = 0;
};

}  // namespace wasmx
