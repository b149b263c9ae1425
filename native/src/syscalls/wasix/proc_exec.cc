#include <unistd.h>

#include "syscall.h"

namespace wasmx {
// Shared by proc_exec and proc_exec2: replacing the guest program is not supported. Like a failed exec in a
// shell script, the guest ends (exit code 1) with one line of explanation.
void ProcExecUnsupported(Instance& inst) {
  static const char kMsg[] = "wasmx: proc_exec is not supported\n";
  ssize_t r = ::write(2, kMsg, sizeof(kMsg) - 1);
  (void)r;
  ExitGuest(inst, 1);
}

static void proc_exec(Instance& inst, uint32_t, uint32_t, uint32_t, uint32_t) { ProcExecUnsupported(inst); }
WASMX_WASIX(proc_exec);
}  // namespace wasmx
