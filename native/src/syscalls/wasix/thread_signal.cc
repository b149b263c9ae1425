#include "guest_signals.h"
#include "syscall.h"

namespace wasmx {
// raise() / pthread_kill() / abort(). wasix-libc names its main thread 0x3FFFFFFF (it never asks the host for
// the main TID, ABI §7.4): that is the main thread (TID 1). To the caller itself the signal is delivered now;
// to another live thread it is queued and delivered as that thread's next syscall returns (ABI §7.6).
static Errno thread_signal(Instance& inst, uint32_t tid, uint32_t sig_arg) {
  constexpr uint32_t kLibcMainSentinel = 0x3FFFFFFF;
  uint8_t sig = uint8_t(sig_arg & 0xff);
  if (sig > 31) return err::INVAL;
  if (tid == kLibcMainSentinel) tid = GuestThreads::kMainTid;
  if (tid == inst.tid) {
    if (sig) RaiseSignal(inst, sig);
    return err::SUCCESS;
  }
  auto target = inst.proc->threads().Find(tid);
  if (!target) return err::SRCH;
  if (sig) target->pending_signals.fetch_or(1u << sig);
  return err::SUCCESS;
}
WASMX_WASIX(thread_signal);
}  // namespace wasmx
