// The V8 callbacks of the imports: when they are used, and the rare path after a call (v8_trampoline.h).
#include "v8_trampoline.h"

#include <v8-function.h>
#include <v8-initialization.h>
#include <v8-isolate.h>
#include <v8-version.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "import_registry.h"
#include "instance.h"

namespace wasmx {

namespace {
std::atomic<bool> g_v8_trampolines{false};

// napi_value and v8::Local<v8::Value> are the same pointer to a handle slot: Node converts between them with
// this cast (v8impl::V8LocalValueFromJsValue). Used only under the Node major whose headers we were built with.
static_assert(sizeof(napi_value) == sizeof(v8::Local<v8::Value>), "napi_value is a Local's handle pointer");
v8::Local<v8::Value> ToV8(napi_value v) {
  v8::Local<v8::Value> local;
  std::memcpy(static_cast<void*>(&local), &v, sizeof v);
  return local;
}
napi_value ToNapi(v8::Local<v8::Value> local) {
  napi_value v;
  std::memcpy(&v, static_cast<void*>(&local), sizeof v);
  return v;
}
}  // namespace

bool V8TrampolinesOn() { return g_v8_trampolines.load(std::memory_order_relaxed); }

bool V8TrampolinesUsable() {
  static const bool usable = [] {
    // The running V8 must be the major.minor of the headers: that is where the inline layouts may change (Node
    // keeps one V8 for a whole major line).
    const std::string built = std::to_string(V8_MAJOR_VERSION) + "." + std::to_string(V8_MINOR_VERSION) + ".";
    return std::strncmp(v8::V8::GetVersion(), built.c_str(), built.size()) == 0;
  }();
  return usable;
}

bool SetV8Trampolines(bool on) {
  if (on && !V8TrampolinesUsable()) return false;
  g_v8_trampolines.store(on);
  return true;
}

void SetUpTrampolines() {
  // Once per host process: a worker thread loading the addon again must not undo setTrampolines().
  static std::once_flag once;
  std::call_once(once, [] {
    const char* forced = std::getenv("WASMX_TRAMPOLINE");
    g_v8_trampolines.store(V8TrampolinesUsable() && !(forced && std::strcmp(forced, "napi") == 0));
  });
}

napi_value NewV8Function(const char* name, V8Callback callback, void* data, int arity) {
  if (!V8TrampolinesUsable()) return nullptr;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Function> fn;
  if (!v8::Function::New(context, callback, v8::External::New(isolate, data), arity, v8::ConstructorBehavior::kThrow)
           .ToLocal(&fn))
    return nullptr;
  v8::Local<v8::String> js_name;
  if (v8::String::NewFromUtf8(isolate, name).ToLocal(&js_name)) fn->SetName(js_name);
  return ToNapi(fn);
}

napi_value NewV8Import(napi_env, const ImportDef& def, Instance* inst) {
  return NewV8Function(def.name, def.v8_callback, inst, def.arity);
}

bool FinishV8Slow(const v8::FunctionCallbackInfo<v8::Value>& info, Instance& inst) {
  // Cleared after the handlers ran, not before: a handler's own syscalls set and clear the flag too, and what is
  // parked now (from the call or from a handler) is looked up in the env below.
  CheckPendingSignals(inst);  // may unwind (exit) or run the guest's handler: both through N-API
  inst.napi_exception = false;
  bool pending = false;
  if (napi_is_exception_pending(inst.env, &pending) != napi_ok || !pending) return true;
  napi_value exception;
  if (napi_get_and_clear_last_exception(inst.env, &exception) != napi_ok) return true;
  info.GetIsolate()->ThrowException(ToV8(exception));
  return false;
}

}  // namespace wasmx
