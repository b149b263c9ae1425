#include "syscall.h"

namespace wasmx {
// libc's exit path (exit, _Exit, _start with a nonzero code; ABI §2.3). Without proc_fork_env (vfork) support
// it is exactly proc_exit: it ends the whole guest process.
static void proc_exit2(Instance& inst, uint32_t code) { ExitGuest(inst, code); }
WASMX_WASIX(proc_exit2);
}  // namespace wasmx
