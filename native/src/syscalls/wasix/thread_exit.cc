#include "syscall.h"

namespace wasmx {
// Ends the calling thread only (ABI §7.3); the code is ignored. The guest stack may already be freed, so
// nothing here touches guest memory.
static void thread_exit(Instance& inst, uint32_t code) { ExitThread(inst); }
WASMX_WASIX(thread_exit);
}  // namespace wasmx
