#include <sched.h>

#include "syscall.h"

namespace wasmx {
static Errno sched_yield(Instance&) {
  ::sched_yield();
  return err::SUCCESS;
}
WASMX_WASI(sched_yield);
}  // namespace wasmx
