// The imports' second calling path: raw V8 function callbacks instead of N-API callbacks.
//
// Why: a wasm -> N-API call with two i32 arguments costs ~35 ns here, of which ~12 ns are N-API's own layers
// (its callback wrapper, napi_get_cb_info, one napi_get_value_* per argument, napi_create_uint32). The same call
// as a V8 FunctionCallback costs ~23 ns (bench/hostcall.js prints both). V8's inline accessors read the arguments
// straight from the frame.
//
// The price: the inline parts of V8's headers must match the running V8. The addon uses these callbacks only when
// the running V8 has the major.minor version of the headers it was built with (V8TrampolinesOn; Node keeps one V8
// per major line). Under any other V8, or with WASMX_TRAMPOLINE=napi, every import keeps its N-API callback.
// Both callbacks of an import run the same code (import_registry.h's Trampoline): only the argument decoding and
// the result differ.
//
// N-API and exceptions: an exception raised through N-API inside a callback (ThrowUnwind for exit, a guest signal
// handler that traps) is parked in the napi_env and rethrown by N-API's callback wrapper when the callback returns.
// A V8 callback has no such wrapper, so FinishV8Slow rethrows it. Instance::napi_exception says when to look.
#pragma once
#include <node_api.h>
#include <v8-external.h>
#include <v8-function-callback.h>
#include <v8-isolate.h>
#include <v8-primitive.h>

#include <cstdint>

namespace wasmx {

struct Instance;
struct ImportDef;

using V8Callback = void (*)(const v8::FunctionCallbackInfo<v8::Value>&);

// Whether imports are created as V8 callbacks (decided when the addon loads: SetUpTrampolines).
bool V8TrampolinesOn();
void SetUpTrampolines();
// Whether the running V8 is the one the addon was built for.
bool V8TrampolinesUsable();
// For benchmarks and tests (addon.setTrampolines): instances created from now on use V8 callbacks (on) or N-API
// ones. False when V8 callbacks are asked for and not usable.
bool SetV8Trampolines(bool on);
// A JS function whose V8 callback gets `data` as an External; nullptr when V8 callbacks are not usable here.
napi_value NewV8Function(const char* name, V8Callback callback, void* data, int arity);
// The import `def` of `inst` as a JS function whose callback is def.v8_callback; nullptr on failure.
napi_value NewV8Import(napi_env env, const ImportDef& def, Instance* inst);
// After a call that left attention or an N-API exception: delivers pending signals / unwinds as the N-API path
// does (CheckPendingSignals), then rethrows into V8 whatever N-API parked. False when an exception is now pending
// (the callback must return without a result).
bool FinishV8Slow(const v8::FunctionCallbackInfo<v8::Value>& info, Instance& inst);

namespace detail {

template <typename T>
struct V8Arg;
template <>
struct V8Arg<uint32_t> {
  static bool Get(v8::Local<v8::Value> v, uint32_t* out) {
    // From wasm an i32 always arrives as an int32 Number; a JS caller gets napi_get_value_uint32's rules.
    if (__builtin_expect(v->IsInt32(), 1)) {
      *out = uint32_t(v.As<v8::Int32>()->Value());
      return true;
    }
    if (!v->IsNumber()) return false;
    *out = v->Uint32Value(v8::Isolate::GetCurrent()->GetCurrentContext()).FromMaybe(0);
    return true;
  }
};
// i64 arguments arrive as BigInts. One decoder for both signednesses: only BigInt's accessor differs.
template <typename T, T (v8::BigInt::*Value)(bool*) const>
struct V8BigIntArg {
  static bool Get(v8::Local<v8::Value> v, T* out) {
    if (!v->IsBigInt()) return false;
    bool lossless;
    *out = ((*v.As<v8::BigInt>())->*Value)(&lossless);
    return true;
  }
};
template <>
struct V8Arg<uint64_t> : V8BigIntArg<uint64_t, &v8::BigInt::Uint64Value> {};
template <>
struct V8Arg<int64_t> : V8BigIntArg<int64_t, &v8::BigInt::Int64Value> {};
}  // namespace detail
}  // namespace wasmx
