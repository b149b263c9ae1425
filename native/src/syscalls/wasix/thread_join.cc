#include "syscall.h"

namespace wasmx {
// Blocks until thread `tid` has exited (or INTR when a signal for this thread interrupts the wait). Joining
// yourself would never return: DEADLK.
static Errno thread_join(Instance& inst, uint32_t tid) {
  if (tid == inst.tid) return err::DEADLK;
  return inst.proc->threads().Join(inst, tid);
}
WASMX_WASIX(thread_join);
}  // namespace wasmx
