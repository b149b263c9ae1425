#include "syscall.h"

namespace wasmx {
// Wakes at most one waiter on `addr`. woken = whether one was woken (W always writes 1; libc ignores it).
static Errno futex_wake(Instance& inst, uint32_t addr, uint32_t woken_p) {
  if (!inst.mem.InBounds(woken_p, 1)) return err::FAULT;
  uint32_t n = inst.proc->futexes().Wake(addr, 1);
  return inst.mem.Store<uint8_t>(woken_p, n > 0 ? 1 : 0) ? err::SUCCESS : err::FAULT;
}
WASMX_WASIX(futex_wake);
}  // namespace wasmx
