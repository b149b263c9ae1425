// Module entry: the N-API surface TypeScript uses to create processes and instances and to link imports.
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

napi_value ListenTcpJs(napi_env env, napi_callback_info info);  // host_listener.cc
napi_value CreateBenchExports(napi_env env);  // bench_noop.cc: baselines for bench/hostcall.js

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

namespace {

const char* ModuleName(unsigned bit) {
  switch (bit) {
    case kPreview1: return "wasi_snapshot_preview1";
    case kWasix: return "wasix_32v1";
    default: return "wasi";
  }
}

napi_value Throw(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

bool GetString(napi_env env, napi_value v, std::string* out) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out->resize(len);
  return napi_get_value_string_utf8(env, v, out->data(), len + 1, &len) == napi_ok;
}

bool GetStringArray(napi_env env, napi_value obj, const char* key, std::vector<std::string>* out) {
  napi_value arr;
  bool has;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return true;
  if (napi_get_named_property(env, obj, key, &arr) != napi_ok) return false;
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    std::string s;
    if (napi_get_element(env, arr, i, &el) != napi_ok || !GetString(env, el, &s)) return false;
    out->push_back(std::move(s));
  }
  return true;
}

bool GetBool(napi_env env, napi_value obj, const char* key) {
  napi_value v;
  bool has = false, b = false;
  if (napi_has_named_property(env, obj, key, &has) == napi_ok && has &&
      napi_get_named_property(env, obj, key, &v) == napi_ok)
    napi_get_value_bool(env, v, &b);
  return b;
}

// createProcess({ args, env, preopens: [{host, guest}], sockets: [hostFd], net, exitEndsHost }) -> id
napi_value CreateProcessJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts;
  napi_get_cb_info(env, info, &argc, &opts, nullptr, nullptr);
  if (argc < 1) return Throw(env, "createProcess: options required");
  ProcessOptions po;
  if (!GetStringArray(env, opts, "args", &po.args) || !GetStringArray(env, opts, "env", &po.env))
    return Throw(env, "createProcess: args and env must be string arrays");
  std::vector<std::string> hosts, guests;
  if (!GetStringArray(env, opts, "preopenHost", &hosts) || !GetStringArray(env, opts, "preopenGuest", &guests) ||
      hosts.size() != guests.size())
    return Throw(env, "createProcess: preopenHost and preopenGuest must be string arrays of one length");
  for (size_t i = 0; i < hosts.size(); i++) po.preopens.push_back({hosts[i], guests[i]});
  std::vector<std::string> sockets;
  if (!GetStringArray(env, opts, "socketFds", &sockets)) return Throw(env, "createProcess: bad socketFds");
  for (auto& s : sockets) po.preopened_sockets.push_back(std::stoi(s));
  po.net = GetBool(env, opts, "net");
  po.exit_ends_host = GetBool(env, opts, "exitEndsHost");
  po.reuse_port = GetBool(env, opts, "reusePort");
  // offload: "off" | "threads" | "uring" | "auto" (default); offloadMaxBytes; offloadThreads; verbose.
  {
    std::string mode;
    napi_value v;
    bool has = false;
    if (napi_has_named_property(env, opts, "offload", &has) == napi_ok && has &&
        napi_get_named_property(env, opts, "offload", &v) == napi_ok) {
      napi_valuetype t;
      napi_typeof(env, v, &t);
      if (t != napi_undefined && !GetString(env, v, &mode)) return Throw(env, "createProcess: offload must be a string");
    }
    if (!ParseOffloadMode(mode, &po.offload.mode))
      return Throw(env, "--offload " + mode + ": expected off, threads, uring or auto");
    double d;
    if (napi_has_named_property(env, opts, "offloadMaxBytes", &has) == napi_ok && has &&
        napi_get_named_property(env, opts, "offloadMaxBytes", &v) == napi_ok && napi_get_value_double(env, v, &d) == napi_ok &&
        d >= 1)
      po.offload.max_bytes = uint64_t(d);
    if (napi_has_named_property(env, opts, "offloadThreads", &has) == napi_ok && has &&
        napi_get_named_property(env, opts, "offloadThreads", &v) == napi_ok && napi_get_value_double(env, v, &d) == napi_ok &&
        d >= 1 && d <= 64)
      po.offload.threads = uint32_t(d);
    po.offload.verbose = GetBool(env, opts, "verbose");
  }
  auto proc = CreateProcess();
  std::string error = proc->Init(po);
  if (!error.empty()) {
    ReleaseProcess(proc->id());
    return Throw(env, error);
  }
  napi_value id;
  napi_create_uint32(env, proc->id(), &id);
  return id;
}

napi_value ReleaseProcessJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  uint32_t id = 0;
  if (argc >= 1) napi_get_value_uint32(env, arg, &id);
  // The guest is done with it: what it sent reaches the kernel (bounded) before its fds go.
  if (auto p = FindProcess(id)) p->PrepareExit();
  ReleaseProcess(id);
  return nullptr;
}

// prepareExit(): every live process's exit hooks (drains offloaded work), for hosts that end with process.exit.
napi_value PrepareExitJs(napi_env env, napi_callback_info) {
  ForEachProcess([](Process& p) { p.PrepareExit(); });
  return nullptr;
}

// importTable() -> [{ module, name, signature }]
napi_value ImportTableJs(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (const auto& def : ImportRegistry()) {
    for (unsigned bit : {kPreview1, kWasix, kWasi}) {
      if (!(def.modules & bit)) continue;
      napi_value o, v;
      napi_create_object(env, &o);
      napi_create_string_utf8(env, ModuleName(bit), NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, o, "module", v);
      napi_create_string_utf8(env, def.name, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, o, "name", v);
      napi_create_string_utf8(env, def.signature.c_str(), NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, o, "signature", v);
      napi_set_element(env, arr, i++, o);
    }
  }
  return arr;
}

struct InstanceHolder {
  std::shared_ptr<Instance> inst;
};

void FinalizeHolder(napi_env env, void* data, void*) {
  auto* h = static_cast<InstanceHolder*>(data);
  if (h->inst.use_count() == 1) {
    h->inst->mem.Detach(env);
    if (h->inst->exports_ref) napi_delete_reference(env, h->inst->exports_ref);
  }
  delete h;
}

// bindMemory(memory): attaches an instance's memory once it exists (modules that export their memory).
napi_value BindMemoryJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value mem;
  void* data;
  napi_get_cb_info(env, info, &argc, &mem, nullptr, &data);
  auto* inst = static_cast<Instance*>(data);
  if (argc < 1 || !inst->mem.Attach(env, mem)) return Throw(env, "bindMemory: not a WebAssembly.Memory");
  return nullptr;
}

// bindExports(exports): records the instance's exports (signal delivery calls the export named by callback_signal).
napi_value BindExportsJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value exports;
  void* data;
  napi_get_cb_info(env, info, &argc, &exports, nullptr, &data);
  auto* inst = static_cast<Instance*>(data);
  if (argc < 1) return Throw(env, "bindExports: exports required");
  if (inst->exports_ref) napi_delete_reference(env, inst->exports_ref);
  inst->exports_ref = nullptr;
  // Weak (count 0): a strong reference would keep the instance alive through its own imports' callback data.
  if (napi_create_reference(env, exports, 0, &inst->exports_ref) != napi_ok) return Throw(env, "bindExports: not an object");
  return nullptr;
}

// createInstance(processId, memory|null, tid) -> [{ wasi_snapshot_preview1: {...}, wasix_32v1: {...}, wasi: {...} },
//                                                 bindMemory, bindExports]
napi_value CreateInstanceJs(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) return Throw(env, "createInstance(processId, memory, tid)");
  uint32_t pid, tid;
  napi_get_value_uint32(env, argv[0], &pid);
  napi_get_value_uint32(env, argv[2], &tid);
  auto proc = FindProcess(pid);
  if (!proc) return Throw(env, "createInstance: no such process");
  auto inst = std::make_shared<Instance>();
  inst->env = env;
  inst->proc = proc;
  inst->tid = tid;
  proc->threads().Register(tid, inst);
  napi_valuetype mt;
  napi_typeof(env, argv[1], &mt);
  if (mt != napi_null && mt != napi_undefined && !inst->mem.Attach(env, argv[1]))
    return Throw(env, "createInstance: argument 2 is not a WebAssembly.Memory");

  napi_value result, mods[3];
  napi_create_object(env, &result);
  for (int m = 0; m < 3; m++) {
    napi_create_object(env, &mods[m]);
    napi_set_named_property(env, result, ModuleName(1u << m), mods[m]);
  }
  for (const auto& def : ImportRegistry()) {
    napi_value fn;
    napi_create_function(env, def.name, NAPI_AUTO_LENGTH, def.callback, inst.get(), &fn);
    napi_add_finalizer(env, fn, new InstanceHolder{inst}, FinalizeHolder, nullptr, nullptr);
    for (int m = 0; m < 3; m++)
      if (def.modules & (1u << m)) napi_set_named_property(env, mods[m], def.name, fn);
  }
  napi_value bind, pair;
  napi_create_function(env, "bindMemory", NAPI_AUTO_LENGTH, BindMemoryJs, inst.get(), &bind);
  napi_add_finalizer(env, bind, new InstanceHolder{inst}, FinalizeHolder, nullptr, nullptr);
  napi_value bind_exports;
  napi_create_function(env, "bindExports", NAPI_AUTO_LENGTH, BindExportsJs, inst.get(), &bind_exports);
  napi_add_finalizer(env, bind_exports, new InstanceHolder{inst}, FinalizeHolder, nullptr, nullptr);
  napi_create_array_with_length(env, 3, &pair);
  napi_set_element(env, pair, 0, result);
  napi_set_element(env, pair, 1, bind);
  napi_set_element(env, pair, 2, bind_exports);
  return pair;
}

// setThreadSpawner(processId, (tid, startArg) => void)
napi_value SetThreadSpawnerJs(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t id = 0;
  if (argc >= 1) napi_get_value_uint32(env, argv[0], &id);
  auto proc = FindProcess(id);
  if (!proc || argc < 2 || !proc->threads().SetSpawner(env, argv[1])) return Throw(env, "setThreadSpawner(processId, fn)");
  return nullptr;
}

// threadExited(processId, tid) -> number of the process's threads still alive
napi_value ThreadExitedJs(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t id = 0, tid = 0;
  if (argc >= 2) {
    napi_get_value_uint32(env, argv[0], &id);
    napi_get_value_uint32(env, argv[1], &tid);
  }
  auto proc = FindProcess(id);
  napi_value result;
  napi_create_uint32(env, proc ? uint32_t(proc->threads().Exited(tid)) : 0, &result);
  return result;
}

// exitHost(code): ends the host process without running JS exit handlers or joining workers (a worker may be
// blocked in a guest syscall), after draining each process's offloaded work.
napi_value ExitHostJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  int32_t code = 0;
  if (argc >= 1) napi_get_value_int32(env, arg, &code);
  ExitHost(code);
}

Process* ProcessArg(napi_env env, napi_callback_info info, std::shared_ptr<Process>* keep) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  uint32_t id = 0;
  if (argc >= 1) napi_get_value_uint32(env, arg, &id);
  *keep = FindProcess(id);
  return keep->get();
}

// beginDrain(processId): graceful shutdown of a serve instance (Process::BeginDrain).
napi_value BeginDrainJs(napi_env env, napi_callback_info info) {
  std::shared_ptr<Process> p;
  if (ProcessArg(env, info, &p)) p->BeginDrain();
  return nullptr;
}

// openConnections(processId) -> connected sockets the instance still has open.
napi_value OpenConnectionsJs(napi_env env, napi_callback_info info) {
  std::shared_ptr<Process> p;
  napi_value result;
  napi_create_uint32(env, ProcessArg(env, info, &p) ? uint32_t(p->OpenConnections()) : 0, &result);
  return result;
}

// installSignalHandlers(processId): host SIGINT/SIGTERM/SIGHUP go to this process's guest (wasmx run).
napi_value InstallSignalHandlersJs(napi_env env, napi_callback_info info) {
  std::shared_ptr<Process> p;
  if (ProcessArg(env, info, &p)) InstallHostSignalHandlers(p);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"createProcess", nullptr, CreateProcessJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"releaseProcess", nullptr, ReleaseProcessJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"importTable", nullptr, ImportTableJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createInstance", nullptr, CreateInstanceJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreadSpawner", nullptr, SetThreadSpawnerJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threadExited", nullptr, ThreadExitedJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"exitHost", nullptr, ExitHostJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"prepareExit", nullptr, PrepareExitJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"listenTcp", nullptr, ListenTcpJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"beginDrain", nullptr, BeginDrainJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"openConnections", nullptr, OpenConnectionsJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"installSignalHandlers", nullptr, InstallSignalHandlersJs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bench", nullptr, nullptr, nullptr, nullptr, CreateBenchExports(env), napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace
}  // namespace wasmx

NAPI_MODULE(NODE_GYP_MODULE_NAME, wasmx::Init)
