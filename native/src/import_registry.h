// Registration of host imports and the N-API trampolines that decode wasm arguments for them.
//
// A syscall is a plain C++ function `Errno name(Instance&, uint32_t, uint64_t, ...)`: uint32_t for each wasm i32
// parameter, uint64_t / int64_t for each i64. WASMX_IMPORT registers it under the modules it belongs to; the
// trampoline (one per function, generated from its signature) is what wasm actually calls.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "guest_signals.h"
#include "import_observer.h"
#include "instance.h"
#include "v8_trampoline.h"

namespace wasmx {

enum ModuleMask : unsigned { kPreview1 = 1, kWasix = 2, kWasi = 4, kBoth = kPreview1 | kWasix };

struct ImportDef {
  unsigned modules;
  const char* name;
  std::string signature;  // wasm type, e.g. "iiii:i" (params:results; i = i32, I = i64)
  napi_callback callback;
  V8Callback v8_callback;  // the same import as a V8 callback (v8_trampoline.h)
  int arity;
};

std::vector<ImportDef>& ImportRegistry();

struct ImportRegistrar {
  // *id receives the import's index in the registry (its row in the --stats counters).
  ImportRegistrar(unsigned modules, const char* name, std::string signature, napi_callback cb, V8Callback v8_cb,
                  int arity, uint32_t* id) {
    *id = uint32_t(ImportRegistry().size());
    ImportRegistry().push_back({modules, name, std::move(signature), cb, v8_cb, arity});
  }
};

namespace detail {

template <typename T>
struct WasmArg;
template <>
struct WasmArg<uint32_t> {
  static constexpr char kCode = 'i';
  static constexpr ArgKind kKind = ArgKind::kU32;
  static bool Get(napi_env env, napi_value v, uint32_t* out) { return napi_get_value_uint32(env, v, out) == napi_ok; }
};
template <>
struct WasmArg<uint64_t> {
  static constexpr char kCode = 'I';
  static constexpr ArgKind kKind = ArgKind::kU64;
  static bool Get(napi_env env, napi_value v, uint64_t* out) {
    bool lossless;
    return napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok;
  }
};
template <>
struct WasmArg<int64_t> {
  static constexpr char kCode = 'I';
  static constexpr ArgKind kKind = ArgKind::kI64;
  static bool Get(napi_env env, napi_value v, int64_t* out) {
    bool lossless;
    return napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok;
  }
};

template <typename R>
struct WasmResult;
template <>
struct WasmResult<Errno> {
  static constexpr const char* kCode = "i";
  static constexpr ResultKind kKind = ResultKind::kErrno;
  static napi_value Make(napi_env env, Errno r) {
    napi_value v;
    napi_create_uint32(env, r, &v);
    return v;
  }
  static void Set(const v8::FunctionCallbackInfo<v8::Value>& info, Errno r) { info.GetReturnValue().Set(uint32_t(r)); }
  static constexpr Errno kBadArgs = err::INVAL;
};
template <>
struct WasmResult<int32_t> {  // wasi.thread-spawn: a tid or a negative errno, not an errno
  static constexpr const char* kCode = "i";
  static constexpr ResultKind kKind = ResultKind::kInt32;
  static napi_value Make(napi_env env, int32_t r) {
    napi_value v;
    napi_create_int32(env, r, &v);
    return v;
  }
  static void Set(const v8::FunctionCallbackInfo<v8::Value>& info, int32_t r) { info.GetReturnValue().Set(r); }
  static constexpr int32_t kBadArgs = -int32_t(err::INVAL);
};

template <typename Sig, Sig* Fn>
struct Trampoline;

template <typename R, typename... A, R (*Fn)(Instance&, A...)>
struct Trampoline<R(Instance&, A...), Fn> {
  static constexpr size_t N = sizeof...(A);
  static inline uint32_t id = 0;  // set at registration (ImportRegistrar)

  static std::string Signature() {
    std::string s{WasmArg<A>::kCode...};
    if constexpr (std::is_void_v<R>) return s + ":";
    else return s + ":" + WasmResult<R>::kCode;
  }

  // The N-API callback (every Node).
  static napi_value Call(napi_env env, napi_callback_info info) {
    napi_value argv[N > 0 ? N : 1];
    size_t argc = N;
    void* data;
    napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
    return Invoke(env, *static_cast<Instance*>(data), argv, argc, std::index_sequence_for<A...>{});
  }

  template <size_t... I>
  static napi_value Invoke(napi_env env, Instance& inst, napi_value* argv, size_t argc, std::index_sequence<I...>) {
    std::tuple<A...> args{};
    bool ok = argc >= N && (WasmArg<A>::Get(env, argv[I], &std::get<I>(args)) && ...);
    if constexpr (std::is_void_v<R>) {
      Run<I...>(inst, ok, args);
      CheckPendingSignals(inst);
      return nullptr;
    } else {
      R r = Run<I...>(inst, ok, args);
      CheckPendingSignals(inst);  // host signals reach the guest as its syscall returns (ABI §7.6)
      return WasmResult<R>::Make(env, r);
    }
  }

  // The V8 callback (v8_trampoline.h: only under the Node major the addon was built for).
  static void CallV8(const v8::FunctionCallbackInfo<v8::Value>& info) {
    InvokeV8(info, std::index_sequence_for<A...>{});
  }

  template <size_t... I>
  static void InvokeV8(const v8::FunctionCallbackInfo<v8::Value>& info, std::index_sequence<I...>) {
    Instance& inst = *static_cast<Instance*>(info.Data().template As<v8::External>()->Value());
    std::tuple<A...> args{};
    bool ok = info.Length() >= int(N) && (V8Arg<A>::Get(info[int(I)], &std::get<I>(args)) && ...);
    if constexpr (std::is_void_v<R>) {
      Run<I...>(inst, ok, args);
      if (__builtin_expect(inst.attention.load(std::memory_order_relaxed) != 0 || inst.napi_exception, 0)) FinishV8Slow(info, inst);
    } else {
      R r = Run<I...>(inst, ok, args);
      // The one load and branch CheckPendingSignals makes, plus whether N-API parked an exception in the call.
      if (__builtin_expect(inst.attention.load(std::memory_order_relaxed) != 0 || inst.napi_exception, 0) &&
          !FinishV8Slow(info, inst))
        return;
      WasmResult<R>::Set(info, r);
    }
  }

  // The syscall itself, the same for both callbacks; `ok` is false when the arguments did not decode.
  template <size_t... I>
  static inline R Run(Instance& inst, bool ok, std::tuple<A...>& args) {
#ifndef WASMX_NO_OBSERVER  // (defined only to measure what the hook costs: bench/hostcall.js)
    // --stats / --trace: one relaxed load and a branch that is never taken when they are off.
    if (__builtin_expect(g_observe.load(std::memory_order_relaxed) != 0, 0)) return RunObserved<I...>(inst, ok, args);
#endif
    if constexpr (std::is_void_v<R>) {
      if (ok) Fn(inst, std::get<I>(args)...);
    } else {
      return ok ? Fn(inst, std::get<I>(args)...) : WasmResult<R>::kBadArgs;
    }
  }

  // The same call, counted and/or traced (import_observer.h). Out of the hot path: never inlined into Run.
  template <size_t... I>
  __attribute__((noinline)) static R RunObserved(Instance& inst, bool ok, std::tuple<A...>& args) {
    uint64_t raw[N > 0 ? N : 1] = {uint64_t(std::get<I>(args))...};
    static constexpr ArgKind kinds[N > 0 ? N : 1] = {WasmArg<A>::kKind...};
    if constexpr (std::is_void_v<R>) {
      // proc_exit / thread_exit / proc_exec do not return: record the call before it.
      ObserveCall(id, inst, raw, kinds, N, ResultKind::kNone, 0, 0);
      if (ok) Fn(inst, std::get<I>(args)...);
    } else {
      uint64_t t0 = ObserveNowNs();
      R r = ok ? Fn(inst, std::get<I>(args)...) : WasmResult<R>::kBadArgs;
      ObserveCall(id, inst, raw, kinds, N, WasmResult<R>::kKind, int64_t(r), ObserveNowNs() - t0);
      return r;
    }
  }
};

}  // namespace detail

#define WASMX_CONCAT_(a, b) a##b
#define WASMX_CONCAT(a, b) WASMX_CONCAT_(a, b)

// Registers C++ function `fn` as import `name` in the modules of `mask`.
#define WASMX_IMPORT_AS(mask, name, fn)                                                              \
  static ::wasmx::ImportRegistrar WASMX_CONCAT(wasmx_import_, __COUNTER__)(                          \
      mask, name, ::wasmx::detail::Trampoline<decltype(fn), fn>::Signature(),                        \
      &::wasmx::detail::Trampoline<decltype(fn), fn>::Call, &::wasmx::detail::Trampoline<decltype(fn), fn>::CallV8, \
      int(::wasmx::detail::Trampoline<decltype(fn), fn>::N), &::wasmx::detail::Trampoline<decltype(fn), fn>::id)

// A preview1 function: registered under wasi_snapshot_preview1 and wasix_32v1 (ABI §2.3).
#define WASMX_WASI(fn) WASMX_IMPORT_AS(::wasmx::kBoth, #fn, fn)
// A WASIX-only function: wasix_32v1.
#define WASMX_WASIX(fn) WASMX_IMPORT_AS(::wasmx::kWasix, #fn, fn)

}  // namespace wasmx
