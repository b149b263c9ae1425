#include "wait.h"

#include <time.h>

#include <cerrno>
#include <climits>
#include <vector>

#include "errno_map.h"
#include "guest_signals.h"
#include "instance.h"

namespace wasmx {

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

namespace {

uint64_t Deadline(uint64_t timeout_ns) {
  if (timeout_ns == wait::kForever) return wait::kForever;
  uint64_t now = MonotonicNs();
  return now + timeout_ns < now ? wait::kForever : now + timeout_ns;
}

// poll(2) until `deadline` (wait::kForever = no limit), with ns precision where the host has ppoll. EINTR is
// returned to the caller (it re-checks its reasons and waits again).
int PollUntil(struct pollfd* fds, size_t n, uint64_t deadline) {
  uint64_t left = UINT64_MAX;
  if (deadline != wait::kForever) {
    uint64_t now = MonotonicNs();
    left = deadline > now ? deadline - now : 0;
  }
#if defined(__linux__)
  struct timespec ts, *tsp = nullptr;
  if (left != UINT64_MAX) {
    ts.tv_sec = time_t(left / 1000000000ull);
    ts.tv_nsec = long(left % 1000000000ull);
    tsp = &ts;
  }
  return ppoll(fds, nfds_t(n), tsp, nullptr);
#else
  int ms = -1;
  if (left != UINT64_MAX) {
    uint64_t m = (left + 999999) / 1000000;  // round up: never wake before the deadline
    ms = m > INT_MAX ? INT_MAX : int(m);
  }
  return poll(fds, nfds_t(n), ms);
#endif
}

bool Expired(uint64_t deadline) { return deadline != wait::kForever && MonotonicNs() >= deadline; }

}  // namespace

bool Interrupted(Instance& inst, uint32_t wake_on) {
  const uint32_t a = inst.attention.load(std::memory_order_acquire);
  if ((wake_on & wait::kExit) && (a & wait::kExit)) return true;
  if ((wake_on & wait::kDrain) && inst.proc->draining()) return true;
  if ((wake_on & wait::kSignal) && (a & wait::kSignal)) return ClaimSignals(inst);
  return false;
}

void WakeThread(Instance& inst) { inst.wake.Signal(); }

void InterruptThread(Instance& inst, uint32_t reason) {
  inst.attention.fetch_or(reason, std::memory_order_release);
  inst.wake.Signal();
}

WaitResult WaitFds(Instance& inst, struct pollfd* fds, size_t n, uint64_t timeout_ns, uint32_t wake_on) {
  const uint64_t deadline = Deadline(timeout_ns);
  struct pollfd local[8];
  thread_local std::vector<struct pollfd> big;
  struct pollfd* all = local;
  if (n + 1 > sizeof local / sizeof local[0]) {
    big.resize(n + 1);
    all = big.data();
  }
  for (size_t i = 0; i < n; i++) all[i] = {fds[i].fd, fds[i].events, 0};
  all[n] = {inst.wake.read_fd(), POLLIN, 0};
  for (;;) {
    if (Interrupted(inst, wake_on)) return WaitResult::kInterrupted;
    int r = PollUntil(all, n + 1, deadline);
    if (r < 0) {
      if (errno == EINTR) continue;  // a host signal handler ran: its work reaches us through the wake fd
      return WaitResult::kError;
    }
    bool ready = false;
    for (size_t i = 0; i < n; i++) {
      fds[i].revents = all[i].revents;
      ready |= all[i].revents != 0;
    }
    if (all[n].revents) inst.wake.Drain();  // before the reasons are looked at again (see the protocol)
    if (ready) return WaitResult::kReady;
    if (r == 0 && Expired(deadline)) return WaitResult::kTimedOut;
  }
}

WaitResult WaitFd(Instance& inst, int fd, short events, uint64_t timeout_ns, uint32_t wake_on, short* revents) {
  struct pollfd p = {fd, events, 0};
  WaitResult r = WaitFds(inst, &p, 1, timeout_ns, wake_on);
  if (revents) *revents = p.revents;
  return r;
}

WaitResult WaitWoken(Instance& inst, uint64_t timeout_ns, bool (*done)(void*), void* arg, uint32_t wake_on) {
  const uint64_t deadline = Deadline(timeout_ns);
  struct pollfd p = {inst.wake.read_fd(), POLLIN, 0};
  for (;;) {
    if (done(arg)) return WaitResult::kReady;
    if (Interrupted(inst, wake_on)) return WaitResult::kInterrupted;
    p.revents = 0;
    int r = PollUntil(&p, 1, deadline);
    if (r < 0 && errno != EINTR) return WaitResult::kError;
    if (r > 0) inst.wake.Drain();
    if (r == 0 && Expired(deadline)) return done(arg) ? WaitResult::kReady : WaitResult::kTimedOut;
  }
}

Errno WaitErrno(WaitResult r) {
  switch (r) {
    case WaitResult::kReady: return err::SUCCESS;
    case WaitResult::kTimedOut: return err::TIMEDOUT;
    case WaitResult::kInterrupted: return err::INTR;
    default: return LastErrno();
  }
}

}  // namespace wasmx
