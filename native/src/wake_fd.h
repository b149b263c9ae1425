// A non-blocking host fd that other threads make readable to wake a poller: an eventfd on Linux, a pipe
// elsewhere. Used by epoll sets (synthetic readiness) and offload pool threads (new work).
#pragma once

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

 private:
  int rd_ = -1, wr_ = -1;
};

}  // namespace wasmx
