#include "syscall.h"

namespace wasmx {
// Wakes every waiter on `addr`. woken = whether any was woken.
static Errno futex_wake_all(Instance& inst, uint32_t addr, uint32_t woken_p) {
  if (!inst.mem.InBounds(woken_p, 1)) return err::FAULT;
  uint32_t n = inst.proc->futexes().Wake(addr, UINT32_MAX);
  return inst.mem.Store<uint8_t>(woken_p, n > 0 ? 1 : 0) ? err::SUCCESS : err::FAULT;
}
WASMX_WASIX(futex_wake_all);
}  // namespace wasmx
