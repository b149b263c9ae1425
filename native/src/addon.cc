// Ending a guest (exit, thread exit, host exit) and the import registry. The JS API is in js_api.cc.
#include <node_api.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "guest_signals.h"
#include "import_registry.h"
#include "instance.h"
#include "process.h"

namespace wasmx {

std::vector<ImportDef>& ImportRegistry() {
  static std::vector<ImportDef> defs;
  return defs;
}

void ExitGuest(Instance& inst, uint32_t code) {
  Process& p = *inst.proc;
  p.exit_code.store(int32_t(code));
  p.exiting.store(true);
  if (p.exit_ends_host()) ExitHost(int(code & 0xff));
  napi_env env = inst.env;
  napi_value msg, error, value;
  napi_create_string_utf8(env, "guest exited", NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, nullptr, msg, &error);
  napi_create_uint32(env, code, &value);
  napi_set_named_property(env, error, "wasmxExitCode", value);
  napi_throw(env, error);
}

void ExitThread(Instance& inst) {
  napi_env env = inst.env;
  napi_value msg, error, value;
  napi_create_string_utf8(env, "guest thread exited", NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, nullptr, msg, &error);
  napi_get_boolean(env, true, &value);
  napi_set_named_property(env, error, "wasmxThreadExit", value);
  napi_throw(env, error);
}

void ExitHost(int code) {
  ForEachProcess([](Process& p) { p.PrepareExit(); });
  _exit(code);
}

}  // namespace wasmx
