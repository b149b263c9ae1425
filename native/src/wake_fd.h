// A non-blocking host fd that other threads make readable to wake a poller: an eventfd on Linux, a pipe
// elsewhere. Used by guest threads (wait.h: each thread's wake-up and interruption), epoll sets (synthetic
// readiness) and offload pool threads (new work).
#pragma once
#include <cstdint>

namespace wasmx {

class WakeFd {
 public:
  WakeFd() = default;
  ~WakeFd();
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;

  bool Open();              // false with errno on failure
  void Signal();            // makes read_fd() readable (async-signal-safe, any thread)
  void Drain();             // consumes the pending wake-ups
  int read_fd() const { return rd_; }
  bool is_open() const { return rd_ >= 0; }
  // Unique per opened WakeFd (tells a reused fd number from this one, e.g. in an epoll set's registrations).
  uint64_t id() const { return id_; }

 private:
  int rd_ = -1, wr_ = -1;
  uint64_t id_ = 0;
};

}  // namespace wasmx
