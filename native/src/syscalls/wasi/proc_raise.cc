#include "syscall.h"

namespace wasmx {
namespace {
// Linux / WASIX signal numbers (ABI §4.6).
constexpr uint8_t kSigKill = 9, kSigChld = 17, kSigCont = 18, kSigStop = 19, kSigTstp = 20, kSigTtin = 21,
                  kSigTtou = 22, kSigUrg = 23, kSigWinch = 28, kSigMax = 31;

// Signals whose default action is not to terminate: ignored (CHLD, URG, WINCH, CONT) or "stop", which a wasm
// guest cannot do, so those are ignored too.
bool DefaultIgnored(uint8_t sig) {
  switch (sig) {
    case kSigChld: case kSigCont: case kSigUrg: case kSigWinch:
    case kSigStop: case kSigTstp: case kSigTtin: case kSigTtou:
      return true;
    default:
      return false;
  }
}

// Calls the guest's registered signal export (callback_signal) with `sig`. False when there is none to call
// (nothing registered, the instance's exports are unknown, or the export is missing / not a function).
// If the handler exits or traps, the pending JS exception unwinds the guest once this syscall returns.
bool Deliver(Instance& inst, uint8_t sig) {
  std::string name = inst.proc->signal_callback();
  if (name.empty() || !inst.exports_ref) return false;
  napi_env env = inst.env;
  napi_value exports, fn, global, arg, result;
  if (napi_get_reference_value(env, inst.exports_ref, &exports) != napi_ok || !exports) return false;
  bool has = false;
  if (napi_has_named_property(env, exports, name.c_str(), &has) != napi_ok || !has) return false;
  if (napi_get_named_property(env, exports, name.c_str(), &fn) != napi_ok) return false;
  napi_valuetype type;
  if (napi_typeof(env, fn, &type) != napi_ok || type != napi_function) return false;
  napi_get_global(env, &global);
  napi_create_uint32(env, sig, &arg);
  napi_call_function(env, global, fn, 1, &arg, &result);
  return true;
}
}  // namespace

// raise(sig). With a signal export registered (libc's __wasm_signal), the signal goes to the guest, whose libc
// runs the sigaction handler or the default action itself (ABI §7.6). Without one, wasmx applies the default
// action: ignore CHLD/CONT/URG/WINCH (and the stop signals), otherwise end the guest with 128 + sig, as a shell
// reports a process killed by a signal. SIGKILL cannot be caught.
static Errno proc_raise(Instance& inst, uint32_t sig_arg) {
  uint8_t sig = uint8_t(sig_arg & 0xff);
  if (sig > kSigMax) return err::INVAL;
  if (sig == 0) return err::SUCCESS;  // signal 0: existence check only
  if (sig != kSigKill && Deliver(inst, sig)) return err::SUCCESS;
  if (DefaultIgnored(sig)) return err::SUCCESS;
  ExitGuest(inst, 128u + sig);
  return err::SUCCESS;  // not reached with exit_ends_host; otherwise the pending exception unwinds the guest
}
WASMX_WASI(proc_raise);
}  // namespace wasmx
