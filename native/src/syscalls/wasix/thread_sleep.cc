#include <sched.h>
#include <time.h>

#include "syscall.h"

namespace wasmx {
// Sleeps the calling thread for `duration` ns; 0 (or negative) just yields (ABI §5.4).
static Errno thread_sleep(Instance&, int64_t duration) {
  if (duration <= 0) {
    ::sched_yield();
    return err::SUCCESS;
  }
  struct timespec ts = {time_t(duration / 1000000000), long(duration % 1000000000)};
  while (nanosleep(&ts, &ts) != 0) {
    if (errno != EINTR) return LastErrno();
  }
  return err::SUCCESS;
}
WASMX_WASIX(thread_sleep);
}  // namespace wasmx
