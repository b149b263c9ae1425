// A JS callback other host threads may call (napi_threadsafe_function) that never keeps the event loop alive: the
// thread-spawn dispatcher and the listen notifier. The run's own handles (its worker pool) keep the loop alive.
#pragma once
#include <node_api.h>

namespace wasmx {

inline bool MakeUnrefThreadsafeFn(napi_env env, napi_value fn, const char* name, napi_threadsafe_function_call_js call,
                                  napi_threadsafe_function* out) {
  napi_value n;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &n);
  if (napi_create_threadsafe_function(env, fn, nullptr, n, 0, 1, nullptr, nullptr, nullptr, call, out) != napi_ok)
    return false;
  napi_unref_threadsafe_function(env, *out);
  return true;
}

}  // namespace wasmx
