#include "syscall.h"

namespace wasmx {
// wasix_32v1.thread_spawn_v2 (and its older name thread_spawn): like wasi.thread-spawn, errno-returning.
static Errno thread_spawn_v2(Instance& inst, uint32_t start_ptr, uint32_t tid_p) {
  if (!inst.mem.InBounds(tid_p, 4)) return err::FAULT;
  uint32_t tid;
  Errno e = inst.proc->threads().Spawn(inst.fds(), start_ptr, &tid);
  if (e == err::NOTSUP) return err::NOTCAPABLE;  // wasmer's errno when the module cannot run threads
  if (e) return e;
  return StoreU32(inst, tid_p, tid);
}
WASMX_WASIX(thread_spawn_v2);
WASMX_IMPORT_AS(kWasix, "thread_spawn", thread_spawn_v2);
}  // namespace wasmx
