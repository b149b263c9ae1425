// One wasm instance (one guest thread): its N-API env, its view of linear memory, its process and thread id.
// Every import function created for an instance carries a pointer to it as N-API callback data.
#pragma once
#include <node_api.h>

#include <atomic>
#include <memory>

#include "guest_memory.h"
#include "process.h"

namespace wasmx {

struct Instance {
  napi_env env = nullptr;
  GuestMemory mem;
  std::shared_ptr<Process> proc;
  uint32_t tid = 0;
  napi_ref exports_ref = nullptr;  // the instance's exports, once known (signal delivery)
  // Signals another thread sent this one (thread_signal): bit n = signal n, delivered as its next syscall returns.
  std::atomic<uint32_t> pending_signals{0};

  FdTable& fds() { return proc->fds(); }
};

// Ends the guest: with exit_ends_host the host process exits with `code` after the process's exit hooks; otherwise
// a WasmxExit exception is thrown into JS to unwind the guest. Callers return right after.
void ExitGuest(Instance& inst, uint32_t code);
// Ends the calling guest thread only (thread_exit): unwinds it with a WasmxThreadExit exception.
void ExitThread(Instance& inst);
// Ends the host process now with `code`, after every process's exit hooks (drains offloaded work).
[[noreturn]] void ExitHost(int code);

}  // namespace wasmx
