#include "syscall.h"

namespace wasmx {
// getpid(): the guest process's id inside wasmx (1 for the first process of a host), not the host's pid, so that
// guests in one Node process (serve instances) have distinct, stable ids.
static Errno proc_id(Instance& inst, uint32_t pid_p) { return StoreU32(inst, pid_p, inst.proc->id()); }
WASMX_WASIX(proc_id);
}  // namespace wasmx
