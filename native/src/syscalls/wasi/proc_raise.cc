#include "guest_signals.h"
#include "syscall.h"

namespace wasmx {

// raise(sig). With a signal export registered (libc's __wasm_signal), the signal goes to the guest, whose libc
// runs the sigaction handler or the default action itself (ABI §7.6). Without one, wasmx applies the default
// action: ignore CHLD/CONT/URG/WINCH (and the stop signals), otherwise end the guest with 128 + sig, as a shell
// reports a process killed by a signal. SIGKILL cannot be caught.
static Errno proc_raise(Instance& inst, uint32_t sig_arg) {
  uint8_t sig = uint8_t(sig_arg & 0xff);
  if (sig > 31) return err::INVAL;
  if (sig == 0) return err::SUCCESS;  // signal 0: existence check only
  RaiseSignal(inst, sig);             // an exit unwinds through a pending exception (or ends the host)
  return err::SUCCESS;
}
WASMX_WASI(proc_raise);
}  // namespace wasmx
