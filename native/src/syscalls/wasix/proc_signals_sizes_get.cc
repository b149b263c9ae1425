#include "syscall.h"

namespace wasmx {
// Called by libc at startup (ABI §8); any error makes the guest _Exit(71). wasmx hands the guest no initial
// signal dispositions: every signal starts at its default, so the list is empty.
static Errno proc_signals_sizes_get(Instance& inst, uint32_t count_p) { return StoreU32(inst, count_p, 0); }
WASMX_WASIX(proc_signals_sizes_get);
}  // namespace wasmx
