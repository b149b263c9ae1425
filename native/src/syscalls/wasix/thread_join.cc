#include "syscall.h"

namespace wasmx {
// Blocks until thread `tid` has exited. Joining yourself would never return: DEADLK.
static Errno thread_join(Instance& inst, uint32_t tid) {
  if (tid == inst.tid) return err::DEADLK;
  inst.proc->threads().Join(tid);
  return err::SUCCESS;
}
WASMX_WASIX(thread_join);
}  // namespace wasmx
