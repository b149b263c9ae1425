// One wasm instance (one guest thread): its N-API env, its view of linear memory, its process and thread id.
// Every import function created for an instance carries a pointer to it as N-API callback data.
#pragma once
#include <node_api.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "guest_memory.h"
#include "process.h"
#include "wake_fd.h"

namespace wasmx {

struct Instance : std::enable_shared_from_this<Instance> {
  napi_env env = nullptr;
  GuestMemory mem;
  std::shared_ptr<Process> proc;
  uint32_t tid = 0;
  napi_ref exports_ref = nullptr;  // the instance's exports, once known (signal delivery)
  // Woken and interrupted through this fd (wait.h): every blocking host call of this thread that waits for fds
  // polls it.
  WakeFd wake;
  // Condition-style waits (futexes, thread_join: wait.h's WaitWoken) park on park_seq instead (a host futex on
  // Linux, a condition variable elsewhere): cheaper than a poll plus an eventfd read per wake-up. park_seq changes
  // on every unpark.
  std::atomic<uint32_t> park_seq{0};
#ifndef __linux__
  std::mutex park_mu;
  std::condition_variable park_cv;
#endif
  // Why the thread must stop waiting (wait::kSignal, wait::kExit bits). Checked after every import (one load).
  std::atomic<uint32_t> attention{0};
  // Signals for this thread (thread_signal, raise, and process signals this thread claimed): bit n = signal n,
  // delivered as its current or next syscall returns (guest_signals.h).
  std::atomic<uint32_t> pending_signals{0};
  // Signals whose guest handler is running on this thread (bit n), and the innermost one (0 = none).
  uint32_t delivering_mask = 0;
  uint8_t delivering = 0;
  // An import raised an exception through N-API (an unwind for exit, a signal handler that threw): it waits in
  // the napi_env, and a V8 callback must rethrow it (v8_trampoline.h). Only this thread touches it.
  bool napi_exception = false;

  FdTable& fds() { return proc->fds(); }
};

// Ends the guest: with exit_ends_host the host process exits with `code` after the process's exit hooks; otherwise
// a WasmxExit exception is thrown into JS to unwind the guest. Callers return right after.
void ExitGuest(Instance& inst, uint32_t code);
// Unwinds the calling thread because its process is ending (Process::exiting, set by another thread or a
// signal's default action): a WasmxExit exception with the process's exit code.
void UnwindExiting(Instance& inst);
// Ends the calling guest thread only (thread_exit): unwinds it with a WasmxThreadExit exception.
void ExitThread(Instance& inst);
// Ends the host process now with `code`, after every process's exit hooks (drains offloaded work).
[[noreturn]] void ExitHost(int code);

}  // namespace wasmx
