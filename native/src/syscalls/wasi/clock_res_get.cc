#include <time.h>

#include "syscall.h"

namespace wasmx {
bool HostClock(uint32_t id, clockid_t* out);

static Errno clock_res_get(Instance& inst, uint32_t id, uint32_t res_p) {
  clockid_t c;
  if (!HostClock(id, &c)) return err::INVAL;
  struct timespec ts;
  if (clock_getres(c, &ts) != 0) return LastErrno();
  return StoreU64(inst, res_p, TimespecToNs(ts));
}
WASMX_WASI(clock_res_get);
}  // namespace wasmx
