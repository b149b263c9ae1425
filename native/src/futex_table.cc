#include "futex_table.h"

#include <algorithm>
#include <chrono>

namespace wasmx {

Errno FutexTable::Wait(GuestMemory& mem, uint32_t addr, uint32_t expected, bool has_timeout, uint64_t timeout_ns,
                       bool* woken) {
  *woken = false;
  if (addr % 4 != 0) return err::INVAL;
  // Bounds first, outside the lock: InBounds may refresh the memory size through JS. Memory never shrinks.
  if (!mem.InBounds(addr, 4)) return err::FAULT;
  auto* word = reinterpret_cast<uint32_t*>(mem.At(addr));

  std::unique_lock<std::mutex> lock(mu_);
  if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != expected) {
    *woken = true;  // ABI §7.5: value mismatch is success with woken = 1
    return err::SUCCESS;
  }
  if (has_timeout && timeout_ns == 0) return err::SUCCESS;  // already timed out

  Waiter self;
  auto& queue = waiters_[addr];
  queue.push_back(&self);

  // A timeout too large for the clock's range is as good as none.
  constexpr uint64_t kMaxTimeout = uint64_t(1) << 62;
  if (!has_timeout || timeout_ns >= kMaxTimeout) {
    self.cv.wait(lock, [&] { return self.woken; });
  } else {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(int64_t(timeout_ns));
    self.cv.wait_until(lock, deadline, [&] { return self.woken; });
  }
  if (!self.woken) {  // timed out: we are still queued (wakers remove whom they wake)
    auto it = waiters_.find(addr);
    if (it != waiters_.end()) {
      auto& q = it->second;
      q.erase(std::remove(q.begin(), q.end(), &self), q.end());
      if (q.empty()) waiters_.erase(it);
    }
  }
  *woken = self.woken;
  return err::SUCCESS;
}

uint32_t FutexTable::Wake(uint32_t addr, uint32_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiters_.find(addr);
  if (it == waiters_.end()) return 0;
  auto& q = it->second;
  uint32_t n = 0;
  while (n < count && !q.empty()) {
    Waiter* w = q.front();
    q.pop_front();
    w->woken = true;
    w->cv.notify_one();  // under the lock: the waiter cannot return (and free its stack slot) before this
    n++;
  }
  if (q.empty()) waiters_.erase(it);
  return n;
}

size_t FutexTable::Waiters(uint32_t addr) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiters_.find(addr);
  return it == waiters_.end() ? 0 : it->second.size();
}

}  // namespace wasmx
