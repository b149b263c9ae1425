#include "futex_table.h"

#include <algorithm>

#include "instance.h"
#include "wait.h"

namespace wasmx {

Errno FutexTable::Wait(Instance& self, uint32_t addr, uint32_t expected, bool has_timeout, uint64_t timeout_ns,
                       bool* woken) {
  *woken = false;
  GuestMemory& mem = self.mem;
  if (addr % 4 != 0) return err::INVAL;
  // Bounds first, outside the lock: InBounds may refresh the memory size through JS. Memory never shrinks.
  if (!mem.InBounds(addr, 4)) return err::FAULT;
  auto* word = reinterpret_cast<uint32_t*>(mem.At(addr));

  Waiter me;
  me.inst = &self;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != expected) {
      *woken = true;  // ABI §7.5: value mismatch is success with woken = 1
      return err::SUCCESS;
    }
    if (has_timeout && timeout_ns == 0) return err::SUCCESS;  // already timed out
    waiters_[addr].push_back(&me);
  }
  // A timeout too large for the clock's range is as good as none.
  constexpr uint64_t kMaxTimeout = uint64_t(1) << 62;
  const uint64_t timeout = !has_timeout || timeout_ns >= kMaxTimeout ? wait::kForever : timeout_ns;
  WaitResult r = WaitWoken(self, timeout, [](void* w) {
    return static_cast<Waiter*>(w)->woken.load(std::memory_order_acquire);
  }, &me);
  std::lock_guard<std::mutex> lock(mu_);  // a waker may still be writing our wake fd: wait for it to finish
  if (!me.woken.load(std::memory_order_relaxed)) {  // timed out or interrupted: we are still queued
    auto it = waiters_.find(addr);
    if (it != waiters_.end()) {
      auto& q = it->second;
      q.erase(std::remove(q.begin(), q.end(), &me), q.end());
      if (q.empty()) waiters_.erase(it);
    }
  }
  *woken = me.woken.load(std::memory_order_relaxed) || r != WaitResult::kTimedOut;
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
    w->woken.store(true, std::memory_order_release);
    WakeThread(*w->inst);  // under the lock: the waiter cannot return (and free its stack slot) before this
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
