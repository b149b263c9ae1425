// Ending a guest (exit, thread exit, host exit) and the import registry. The JS API is in js_api.cc.
#include <node_api.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "guest_signals.h"
#include "import_observer.h"
#include "import_registry.h"
#include "instance.h"
#include "process.h"
#include "wait.h"

namespace wasmx {

std::vector<ImportDef>& ImportRegistry() {
  static std::vector<ImportDef> defs;
  return defs;
}

// Unwinds the guest's stack with a JS error that carries `key` = `value`; the runner (src/guest-task.ts) reads it.
static void ThrowUnwind(Instance& inst, const char* message, const char* key, napi_value value) {
  napi_env env = inst.env;
  napi_value msg, error;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, nullptr, msg, &error);
  napi_set_named_property(env, error, key, value);
  napi_throw(env, error);
  inst.napi_exception = true;  // parked in the env until a callback wrapper rethrows it (v8_trampoline.h)
}

void ExitGuest(Instance& inst, uint32_t code) {
  Process& p = *inst.proc;
  if (p.exit_ends_host()) ExitHost(int(code & 0xff));
  if (!p.exiting.load()) {
    p.exit_code.store(int32_t(code));
    // The process ends, not just this thread: the others unwind as their blocking calls return (wait::kExit).
    if (!p.exiting.exchange(true)) p.InterruptThreads(wait::kExit);
  }
  napi_value value;
  napi_create_uint32(inst.env, uint32_t(p.exit_code.load()), &value);
  ThrowUnwind(inst, "guest exited", "wasmxExitCode", value);
}

void UnwindExiting(Instance& inst) {
  napi_value value;
  napi_create_uint32(inst.env, uint32_t(inst.proc->exit_code.load()), &value);
  ThrowUnwind(inst, "guest exited", "wasmxExitCode", value);
}

void ExitThread(Instance& inst) {
  napi_value value;
  napi_get_boolean(inst.env, true, &value);
  ThrowUnwind(inst, "guest thread exited", "wasmxThreadExit", value);
}

void ExitHost(int code) {
  ForEachProcess([](Process& p) { p.PrepareExit(); });
  ReportStatsAtExit();  // --stats
  _exit(code);
}

}  // namespace wasmx
