#include "guest_signals.h"
#include "syscall.h"
#include "wait.h"

namespace wasmx {
namespace {
// Whether the guest exports a function `name` (libc's "__wasm_signal_blocked" is not exported: signals blocked).
bool ExportsFunction(Instance& inst, const std::string& name) {
  if (!inst.exports_ref) return false;
  napi_value exports, fn;
  if (napi_get_reference_value(inst.env, inst.exports_ref, &exports) != napi_ok || !exports) return false;
  bool has = false;
  if (napi_has_named_property(inst.env, exports, name.c_str(), &has) != napi_ok || !has) return false;
  napi_valuetype type;
  return napi_get_named_property(inst.env, exports, name.c_str(), &fn) == napi_ok &&
         napi_typeof(inst.env, fn, &type) == napi_ok && type == napi_function;
}
}  // namespace

// Names the guest export `(i32) -> ()` that signals are delivered to (libc: "__wasm_signal", toggled to
// "__wasm_signal_blocked" around critical sections, ABI §7.6). No result: a bad pointer is ignored. Naming an
// exported function again releases the signals that waited while libc blocked them (guest_signals.h).
static void callback_signal(Instance& inst, uint32_t name_p, uint32_t name_len) {
  std::string_view view;
  if (ReadGuestString(inst.mem, name_p, name_len, &view) != err::SUCCESS) return;
  std::string name(view);
  const bool exported = !name.empty() && ExportsFunction(inst, name);
  Process& p = *inst.proc;
  p.SetSignalCallback(std::move(name), exported);
  if (exported && p.signals_held.exchange(false)) p.InterruptThreads(wait::kSignal);
}
WASMX_WASIX(callback_signal);
}  // namespace wasmx
