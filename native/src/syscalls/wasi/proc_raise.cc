#include "guest_signals.h"
#include "syscall.h"

namespace wasmx {
// raise(sig) for the calling thread (guest_signals.h): delivered to the guest's signal export before the call
// returns, or the default action when the guest has none (ignore CHLD/CONT/URG/WINCH and the stop signals,
// otherwise end the process with 128 + sig). SIGKILL cannot be caught.
static Errno proc_raise(Instance& inst, uint32_t sig_arg) {
  uint8_t s = uint8_t(sig_arg & 0xff);
  if (s > 31) return err::INVAL;
  if (s == 0) return err::SUCCESS;  // signal 0: existence check only
  RaiseSignal(inst, s);             // an exit unwinds through a pending exception (or ends the host)
  return err::SUCCESS;
}
WASMX_WASI(proc_raise);
}  // namespace wasmx
