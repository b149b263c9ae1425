// The one wait primitive of guest threads. Every host call that blocks a guest thread (accept, recv/read,
// send/write, connect, poll_oneoff, epoll_wait, futex_wait, thread_sleep, thread_join, fd_event, pipes, and the
// host-thread work other syscalls wait for) waits here, in poll(2) over the fds it needs plus the thread's wake fd
// (Instance::wake: an eventfd on Linux, a pipe elsewhere). Interrupting a guest thread = setting a reason bit in
// Instance::attention and writing its wake fd (InterruptThread; any thread, no locks). No time slicing: a wait
// sleeps in the kernel until an fd is ready, its deadline passes, or it is woken.
//
// Protocol (lost wake-ups are impossible): a waker sets its state (a reason bit, a futex waiter's `woken`, ...)
// *before* writing the wake fd; a waiter drains the wake fd *before* looking at that state. So either the waiter
// sees the state, or the write comes after the drain and the next poll returns at once.
//
// What stops a wait (`wake_on`): a deliverable signal for this thread (wait::kSignal: the call returns INTR and
// the signal is delivered as it returns, import_registry.h), the process ending (wait::kExit: every thread unwinds),
// and for accept only, the process draining (wait::kDrain: serve's graceful stop).
#pragma once
#include <poll.h>

#include <cstddef>
#include <cstdint>

#include "wasi_types.h"

namespace wasmx {

struct Instance;

namespace wait {
// Reasons (Instance::attention bits; kDrain is Process::draining(), never a bit).
constexpr uint32_t kSignal = 1, kExit = 2, kDrain = 4;
// What interrupts an ordinary blocking call.
constexpr uint32_t kCall = kSignal | kExit;
constexpr uint64_t kForever = UINT64_MAX;
}  // namespace wait

enum class WaitResult {
  kReady,        // an fd is ready (revents filled in), or the caller's condition holds (WaitWoken)
  kTimedOut,     // the deadline passed
  kInterrupted,  // a reason in `wake_on` (see Interrupted)
  kError,        // poll failed; errno is set
};

// Waits for `events` on host `fd` for up to `timeout_ns` (wait::kForever = no limit). *revents (may be null)
// gets what poll reported.
WaitResult WaitFd(Instance& inst, int fd, short events, uint64_t timeout_ns, uint32_t wake_on = wait::kCall,
                  short* revents = nullptr);
// The same for several fds (revents filled in for each; n may be 0: a plain interruptible sleep).
WaitResult WaitFds(Instance& inst, struct pollfd* fds, size_t n, uint64_t timeout_ns, uint32_t wake_on = wait::kCall);
// Waits on the wake fd alone until `done(arg)` is true (checked first and after every wake-up; wakers make it
// true and then call WakeThread). For condition-style waits: futexes, thread_join, host-thread work.
WaitResult WaitWoken(Instance& inst, uint64_t timeout_ns, bool (*done)(void*), void* arg,
                     uint32_t wake_on = wait::kCall);

// Wakes `inst` from its current (or next) wait without a reason: the waiter re-checks its own condition.
void WakeThread(Instance& inst);
// Sets `reason` (wait::kSignal / wait::kExit) on `inst` and wakes it.
void InterruptThread(Instance& inst, uint32_t reason);
// For the calling thread: true when a reason in `wake_on` holds now (a waiting kSignal is claimed here: a
// process-wide signal is taken by one thread only, guest_signals.cc).
bool Interrupted(Instance& inst, uint32_t wake_on);

// The guest's errno for an interrupted or failed wait: INTR, or the host errno (TIMEDOUT for kTimedOut).
Errno WaitErrno(WaitResult r);

// Monotonic clock in ns (deadlines).
uint64_t MonotonicNs();

}  // namespace wasmx
