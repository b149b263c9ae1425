#include "syscall.h"

namespace wasmx {
// ABI §7.5: value != expected -> woken = 1; woken by futex_wake* -> woken = 1; timeout -> woken = 0. All of
// these return SUCCESS (libc traps on a nonzero errno). A signal or the process ending interrupts the wait as a
// spurious wake-up (woken = 1; libc re-checks its word and waits again after the handler ran). Timeout:
// option_timestamp, SOME = relative ns.
static Errno futex_wait(Instance& inst, uint32_t addr, uint32_t expected, uint32_t timeout_p, uint32_t woken_p) {
  bool some = false;
  uint64_t timeout = 0;
  if (Errno e = ReadOptionTimestamp(inst.mem, timeout_p, &some, &timeout)) return e;
  if (!inst.mem.InBounds(woken_p, 1)) return err::FAULT;
  bool woken = false;
  if (Errno e = inst.proc->futexes().Wait(inst, addr, expected, some, timeout, &woken)) return e;
  return inst.mem.Store<uint8_t>(woken_p, woken ? 1 : 0) ? err::SUCCESS : err::FAULT;
}
WASMX_WASIX(futex_wait);
}  // namespace wasmx
