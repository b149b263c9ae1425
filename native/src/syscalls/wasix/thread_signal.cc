#include "guest_signals.h"
#include "syscall.h"

namespace wasmx {
// raise() / pthread_kill() / abort(). wasix-libc names its main thread 0x3FFFFFFF (it never asks the host for
// the main TID, ABI §7.4): that is the main thread (TID 1). To the caller itself the signal is delivered now;
// another live thread is interrupted (its blocking call returns INTR) and gets it as that call returns.
static Errno thread_signal(Instance& inst, uint32_t tid, uint32_t sig_arg) {
  constexpr uint32_t kLibcMainSentinel = 0x3FFFFFFF;
  uint8_t s = uint8_t(sig_arg & 0xff);
  if (s > 31) return err::INVAL;
  if (tid == kLibcMainSentinel) tid = GuestThreads::kMainTid;
  if (tid == inst.tid) {
    if (s) RaiseSignal(inst, s);
    return err::SUCCESS;
  }
  return SignalThread(inst, tid, s);
}
WASMX_WASIX(thread_signal);
}  // namespace wasmx
