#include "syscall.h"

namespace wasmx {
// proc_raise_interval(sig, interval_ns, repeat): raise `sig` for the process after `interval` ns, then every
// `interval` ns when `repeat`; 0 cancels (ABI §5.4; wasix-libc's setitimer). One timer per process, as
// ITIMER_REAL: a new call replaces the previous one. The signal goes the way a host signal does
// (guest_signals.h): to the guest's handler, or the default action (SIGALRM: the process ends with 142).
static Errno proc_raise_interval(Instance& inst, uint32_t sig_arg, uint64_t interval, uint32_t repeat) {
  uint8_t s = uint8_t(sig_arg & 0xff);
  if (s == 0 || s > 31) return err::INVAL;
  inst.proc->SetSignalTimer(s, interval, (repeat & 0xff) != 0);
  return err::SUCCESS;
}
WASMX_WASIX(proc_raise_interval);
}  // namespace wasmx
