#include "syscall.h"

namespace wasmx {
// Ends the whole guest process (all threads) with `code` (ABI §7.3).
static void proc_exit(Instance& inst, uint32_t code) { ExitGuest(inst, code); }
WASMX_WASI(proc_exit);
}  // namespace wasmx
