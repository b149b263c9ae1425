#include "syscall.h"

namespace wasmx {
// Names the guest export `(i32) -> ()` that signals are delivered to (libc: "__wasm_signal", toggled to
// "__wasm_signal_blocked" around critical sections, ABI §7.6). No result: a bad pointer is ignored.
static void callback_signal(Instance& inst, uint32_t name_p, uint32_t name_len) {
  std::string_view name;
  if (ReadGuestString(inst.mem, name_p, name_len, &name) != err::SUCCESS) return;
  inst.proc->SetSignalCallback(std::string(name));
}
WASMX_WASIX(callback_signal);
}  // namespace wasmx
