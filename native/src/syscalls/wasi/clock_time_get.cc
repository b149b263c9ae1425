#include <time.h>

#include "syscall.h"

namespace wasmx {
// Maps a WASI clock id to the host clock; false for ids we do not know.
bool HostClock(uint32_t id, clockid_t* out) {
  switch (id) {
    case clockid::REALTIME: *out = CLOCK_REALTIME; return true;
    case clockid::MONOTONIC: *out = CLOCK_MONOTONIC; return true;
    case clockid::PROCESS_CPUTIME_ID: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case clockid::THREAD_CPUTIME_ID: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

static Errno clock_time_get(Instance& inst, uint32_t id, uint64_t precision, uint32_t time_p) {
  clockid_t c;
  if (!HostClock(id, &c)) return err::INVAL;
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) return LastErrno();
  return StoreU64(inst, time_p, TimespecToNs(ts));
}
WASMX_WASI(clock_time_get);
}  // namespace wasmx
