#include "syscall.h"

namespace wasmx {
// Writes the initial signal dispositions (signal_disposition_t, 2 B each). The list is empty (see
// proc_signals_sizes_get), so nothing is written; the call must still succeed or libc exits 71 (ABI §8).
static Errno proc_signals_get(Instance&, uint32_t /*buf_p*/) { return err::SUCCESS; }
WASMX_WASIX(proc_signals_get);
}  // namespace wasmx
