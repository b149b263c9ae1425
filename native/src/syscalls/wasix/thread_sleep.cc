#include <sched.h>

#include "syscall.h"
#include "wait.h"

namespace wasmx {
// Sleeps the calling thread for `duration` ns; 0 (or negative) just yields (ABI §5.4). A signal for the thread
// ends the sleep early with INTR (delivered as the call returns), as nanosleep's EINTR.
static Errno thread_sleep(Instance& inst, int64_t duration) {
  if (duration <= 0) {
    ::sched_yield();
    return err::SUCCESS;
  }
  WaitResult r = WaitFds(inst, nullptr, 0, uint64_t(duration));
  return r == WaitResult::kTimedOut ? err::SUCCESS : WaitErrno(r);
}
WASMX_WASIX(thread_sleep);
}  // namespace wasmx
