#include "syscall.h"

namespace wasmx {
// wasi.thread-spawn (what wasix-libc's pthread_create calls, ABI §7.2): returns the new TID, or a negative
// errno (libc maps any negative to EAGAIN). The new thread is a new instance on the same shared memory, entered
// through wasi_thread_start(tid, start_arg) on a pool worker.
static int32_t thread_spawn(Instance& inst, uint32_t start_arg) {
  uint32_t tid;
  Errno e = inst.proc->threads().Spawn(inst.fds(), start_arg, &tid);
  return e ? -int32_t(e) : int32_t(tid);
}
WASMX_IMPORT_AS(kWasi | kPreview1, "thread-spawn", thread_spawn);
}  // namespace wasmx
