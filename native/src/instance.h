// One wasm instance (one guest thread): its N-API env, its view of linear memory, its process and thread id.
// Every import function created for an instance carries a pointer to it as N-API callback data.
#pragma once
#include <node_api.h>

#include <atomic>
#include <memory>

#include "guest_memory.h"
#include "process.h"
#include "wake_fd.h"

namespace wasmx {

struct Instance {
  napi_env env = nullptr;
  GuestMemory mem;
  std::shared_ptr<Process> proc;
  uint32_t tid = 0;
  napi_ref exports_ref = nullptr;  // the instance's exports, once known (signal delivery)
  // Woken and interrupted through this fd (wait.h): every blocking host call of this thread polls it.
  WakeFd wake;
  // Why the thread must stop waiting (wait::kSignal, wait::kExit bits). Checked after every import (one load).
  std::atomic<uint32_t> attention{0};
  // Signals for this thread (thread_signal, raise, and process signals this thread claimed): bit n = signal n,
  // delivered as its current or next syscall returns (guest_signals.h).
  std::atomic<uint32_t> pending_signals{0};
  // Signals whose guest handler is running on this thread (bit n), and the innermost one (0 = none).
  uint32_t delivering_mask = 0;
  uint8_t delivering = 0;

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
