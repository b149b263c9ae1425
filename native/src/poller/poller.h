// The readiness-poller interface (one backend per platform, chosen at compile time, like libuv's src/unix):
// poller_epoll.cc on Linux, poller_kqueue.cc on macOS/BSD. Events are host fds plus WASIX epoll bits.
//
// Thread-safety: Set/Remove may be called from any thread while another thread is blocked in Wait (both kernel
// objects allow it); a registration changed or removed during a Wait may still be reported by that Wait, which
// is why each registration carries a caller-chosen `token`: callers that reuse host fd numbers tell a stale
// report from a current one by comparing tokens.
#pragma once
#include <cstdint>

namespace wasmx {

// WASIX epoll_type bits (ABI §6.3.2); also the interest/readiness vocabulary of the poller.
namespace pollbits {
constexpr uint32_t IN = 1, OUT = 2, RDHUP = 4, PRI = 8, ERR = 16, HUP = 32, ET = 64, ONESHOT = 128;
// wasmx extension (not in the WASIX witx, which stops at bit 7; wasix-libc drops Linux's EPOLLEXCLUSIVE):
// Linux EPOLLEXCLUSIVE, for guests that call the import directly. Valid only when adding a registration.
constexpr uint32_t EXCLUSIVE = 256;
// Bits that ask for readiness (the rest are always reported, or are modes).
constexpr uint32_t INTEREST = IN | OUT | RDHUP | PRI;
constexpr uint32_t ALWAYS = ERR | HUP;
constexpr uint32_t MODES = ET | ONESHOT | EXCLUSIVE;
}  // namespace pollbits

struct PollerEvent {
  int fd;            // host fd
  uint32_t events;   // pollbits (readiness only: IN/OUT/RDHUP/PRI/ERR/HUP), one event per fd with merged bits
  uint32_t token;    // the token given to Set (0 for the three-argument Set)
};

class Poller {
 public:
  // Events one Wait can return at most (callers may pass a larger `max`; it is clamped).
  static constexpr int kMaxBatch = 1024;

  static Poller* Create();  // null + errno on failure
  virtual ~Poller() = default;
  // Adds (is_new) or modifies interest in host `fd` (pollbits, including ET / ONESHOT / EXCLUSIVE). Modifying a
  // ONESHOT registration re-arms it. Returns 0, or -1 with errno.
  virtual int Set(int fd, uint32_t events, bool is_new, uint32_t token) = 0;
  int Set(int fd, uint32_t events, bool is_new) { return Set(fd, events, is_new, 0); }
  virtual int Remove(int fd) = 0;
  // Waits up to timeout_ns (UINT64_MAX = forever, 0 = poll). Returns the number of events written (0 on
  // timeout), or -1 with errno (EINTR included: the caller decides whether to retry).
  virtual int Wait(PollerEvent* out, int max, uint64_t timeout_ns) = 0;
  // A host fd that becomes readable when Wait would return events (to nest pollers, e.g. in poll_oneoff).
  virtual int fd() const = 0;
};

}  // namespace wasmx
