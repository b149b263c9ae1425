#include "syscall.h"

namespace wasmx {
void ProcExecUnsupported(Instance& inst);

// proc_exec2(name, args, envs): see proc_exec.
static void proc_exec2(Instance& inst, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t) {
  ProcExecUnsupported(inst);
}
WASMX_WASIX(proc_exec2);
}  // namespace wasmx
