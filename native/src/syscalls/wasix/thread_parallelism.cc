#include <unistd.h>

#include "syscall.h"

namespace wasmx {
// sysconf(_SC_NPROCESSORS_ONLN): the host's online cores (at least 1).
static Errno thread_parallelism(Instance& inst, uint32_t n_p) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return StoreU32(inst, n_p, n > 0 ? uint32_t(n) : 1);
}
WASMX_WASIX(thread_parallelism);
}  // namespace wasmx
