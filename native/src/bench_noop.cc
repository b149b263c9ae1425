// Baselines for bench/hostcall.js: N-API functions that do no work, to measure what a host import costs before
// any syscall runs. Exposed to JS as `addon.bench` (see addon.cc); not part of the guest-visible ABI.
//
//   noop(a, b)     returns undefined without touching its arguments: the floor of a wasm -> N-API call.
//   noopArgs(a, b) decodes two u32 arguments and returns a u32 like the import trampolines in import_registry.h do,
//                  so noopArgs - noop is the argument/result marshalling share of a real import.
//   v8Noop(a, b)   a V8 function callback that does nothing (v8_trampoline.h), where the running V8 allows one.
//   fstatLoop(n)   n fstat(1) calls in a C loop, returning how many failed (the bench refuses a nonzero result, as
//                  it does an import's errno): the bare syscall that bench:hostcall --syscall's fd_filestat_get
//                  import makes, so their difference is the import path around a real syscall.
#include <node_api.h>
#include <sys/stat.h>

#include <cstdint>

#include "v8_trampoline.h"

namespace wasmx {
namespace {

napi_value Noop(napi_env, napi_callback_info) { return nullptr; }

void V8Noop(const v8::FunctionCallbackInfo<v8::Value>&) {}

napi_value NoopArgs(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t a = 0, b = 0;
  if (argc >= 2) {
    napi_get_value_uint32(env, argv[0], &a);
    napi_get_value_uint32(env, argv[1], &b);
  }
  napi_value r;
  napi_create_uint32(env, 0, &r);  // errno SUCCESS, like a syscall that worked
  return r;
}

napi_value FstatLoop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t n = 0;
  if (argc >= 1) napi_get_value_uint32(env, argv[0], &n);
  uint32_t failed = 0;
  struct stat st;
  for (uint32_t i = 0; i < n; i++) failed += fstat(1, &st) != 0;
  napi_value r;
  napi_create_uint32(env, failed, &r);
  return r;
}

}  // namespace

napi_value CreateBenchExports(napi_env env) {
  napi_value obj;
  napi_create_object(env, &obj);
  napi_property_descriptor props[] = {
      {"noop", nullptr, Noop, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"noopArgs", nullptr, NoopArgs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"fstatLoop", nullptr, FstatLoop, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, obj, sizeof props / sizeof props[0], props);
  if (napi_value v8_noop = NewV8Function("v8Noop", V8Noop, nullptr, 2)) napi_set_named_property(env, obj, "v8Noop", v8_noop);
  return obj;
}

}  // namespace wasmx
