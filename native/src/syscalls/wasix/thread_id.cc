#include "syscall.h"

namespace wasmx {
// The calling thread's tid: the one its instance was created with (the main thread's is what the runner gives it).
static Errno thread_id(Instance& inst, uint32_t tid_p) { return StoreU32(inst, tid_p, inst.tid); }
WASMX_WASIX(thread_id);
}  // namespace wasmx
