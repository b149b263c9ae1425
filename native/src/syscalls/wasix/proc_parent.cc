#include "syscall.h"

namespace wasmx {
// getppid() = proc_parent(proc_id()). A wasmx guest has no guest parent (no proc_spawn/fork), so its parent is 0,
// like the parent of PID 1 on Linux. Any other pid names no process this guest can see: SRCH.
static Errno proc_parent(Instance& inst, uint32_t pid, uint32_t ppid_p) {
  if (pid != inst.proc->id()) return err::SRCH;
  return StoreU32(inst, ppid_p, 0);
}
WASMX_WASIX(proc_parent);
}  // namespace wasmx
