// Host futexes (ABI §5.4, §7.5): a per-process table of waiters keyed by guest address.
//
// The only blocking primitive wasix-libc uses for threads. A waiter compares the guest word with `expected`
// under the table lock (an atomic 32-bit load), so a waker that changes the word and then calls Wake can never
// slip between the compare and the sleep. A waiter sleeps in the one wait primitive (wait.h) on its thread's wake
// fd, so a signal interrupts it like any other blocking call; Wake(addr, 1) marks exactly one waiter woken, in
// FIFO order, and writes that thread's wake fd.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "guest_memory.h"
#include "wasi_types.h"

namespace wasmx {

struct Instance;

class FutexTable {
 public:
  // Blocks `self` while *addr == expected, until woken or until `timeout_ns` (relative; has_timeout false =
  // forever). *woken: true when the value differed, a waker woke us, or the wait was interrupted (a signal or the
  // process ending: a spurious wake-up, after which libc re-checks its word), false on timeout. FAULT / INVAL only
  // for a bad (out of range / misaligned) address; every normal outcome is SUCCESS (libc traps on anything else).
  Errno Wait(Instance& self, uint32_t addr, uint32_t expected, bool has_timeout, uint64_t timeout_ns, bool* woken);
  // Wakes up to `count` waiters on `addr` (UINT32_MAX = all). Returns how many were woken.
  uint32_t Wake(uint32_t addr, uint32_t count);
  // Number of threads currently waiting on `addr` (diagnostics, tests).
  size_t Waiters(uint32_t addr);

 private:
  struct Waiter {
    Instance* inst;
    std::atomic<bool> woken{false};
  };
  std::mutex mu_;
  std::unordered_map<uint32_t, std::deque<Waiter*>> waiters_;
};

}  // namespace wasmx
