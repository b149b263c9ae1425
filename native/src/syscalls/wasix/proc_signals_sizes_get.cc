#include "syscall.h"

namespace wasmx {
// The number of initial signal dispositions proc_signals_get writes (see there). Called by libc at startup
// (ABI §8); any error makes the guest _Exit(71).
uint32_t InitialSignalCount();  // proc_signals_get.cc
static Errno proc_signals_sizes_get(Instance& inst, uint32_t count_p) {
  return StoreU32(inst, count_p, InitialSignalCount());
}
WASMX_WASIX(proc_signals_sizes_get);
}  // namespace wasmx
