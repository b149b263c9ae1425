// The addon's JS API: what TypeScript calls to create processes and instances, link imports, start threads and
// end the host. Written with node-addon-api; the import trampolines themselves (the syscall hot path,
// import_registry.h) use the C N-API directly, so no call pays for Napi::CallbackInfo.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "guest_signals.h"
#include "import_observer.h"
#include "import_registry.h"
#include "instance.h"
#include "wait.h"
#include "offload/offload.h"
#include "process.h"

namespace wasmx {

napi_value ListenTcpJs(napi_env env, napi_callback_info info);  // host_listener.cc
napi_value CreateBenchExports(napi_env env);                     // bench_noop.cc: baselines for bench/hostcall.js
Napi::Value AdminCountersJs(const Napi::CallbackInfo& info);     // admin_api.cc: what --admin reads
Napi::Value ListeningSocketsJs(const Napi::CallbackInfo& info);
bool ParseLibraryProcessOptions(const Napi::Object& opts, ProcessOptions* po);  // library_api.cc
void AddLibraryExports(Napi::Env env, Napi::Object exports);                   // library_api.cc

namespace {

const char* ModuleName(unsigned bit) {
  switch (bit) {
    case kPreview1: return "wasi_snapshot_preview1";
    case kWasix: return "wasix_32v1";
    default: return "wasi";
  }
}

Napi::Value Fail(Napi::Env env, const std::string& msg) {
  Napi::Error::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

// opts[key] as strings; an absent key is an empty list, anything but an array of strings clears *ok.
std::vector<std::string> StringList(const Napi::Object& opts, const char* key, bool* ok) {
  std::vector<std::string> out;
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) {
    *ok = false;
    return out;
  }
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value s = a.Get(i);
    if (!s.IsString()) {
      *ok = false;
      return out;
    }
    out.push_back(s.As<Napi::String>().Utf8Value());
  }
  return out;
}

bool Flag(const Napi::Object& opts, const char* key) {
  Napi::Value v = opts.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

uint32_t U32(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Uint32Value() : 0;
}

// The process named by argument 0 (null when there is none).
std::shared_ptr<Process> ProcessOf(const Napi::CallbackInfo& info) { return FindProcess(U32(info, 0)); }

// createProcess({ args, env, preopenHost, preopenGuest, socketFds, net, exitEndsHost, reusePort,
//                 offload, offloadMaxBytes, offloadThreads, verbose, dev }) -> id
Napi::Value CreateProcessJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return Fail(env, "createProcess: options required");
  Napi::Object opts = info[0].As<Napi::Object>();
  ProcessOptions po;
  bool ok = true;
  po.args = StringList(opts, "args", &ok);
  po.env = StringList(opts, "env", &ok);
  std::vector<std::string> hosts = StringList(opts, "preopenHost", &ok), guests = StringList(opts, "preopenGuest", &ok),
                           sockets = StringList(opts, "socketFds", &ok);
  if (!ok || hosts.size() != guests.size())
    return Fail(env, "createProcess: args, env, preopenHost, preopenGuest and socketFds must be string arrays "
                     "(preopenHost and preopenGuest of one length)");
  for (size_t i = 0; i < hosts.size(); i++) po.preopens.push_back({hosts[i], guests[i]});
  for (auto& s : sockets) po.preopened_sockets.push_back(std::stoi(s));
  po.net = Flag(opts, "net");
  po.exit_ends_host = Flag(opts, "exitEndsHost");
  po.reuse_port = Flag(opts, "reusePort");
  po.dev = Flag(opts, "dev");
  // offload: "off" | "threads" | "uring" | "auto" (default).
  Napi::Value mode = opts.Get("offload");
  if (!mode.IsUndefined() && !mode.IsString()) return Fail(env, "createProcess: offload must be a string");
  std::string m = mode.IsString() ? mode.As<Napi::String>().Utf8Value() : "";
  if (!ParseOffloadMode(m, &po.offload.mode)) return Fail(env, "--offload " + m + ": expected off, threads, uring or auto");
  Napi::Value max_bytes = opts.Get("offloadMaxBytes"), threads = opts.Get("offloadThreads");
  if (max_bytes.IsNumber() && max_bytes.As<Napi::Number>().DoubleValue() >= 1)
    po.offload.max_bytes = uint64_t(max_bytes.As<Napi::Number>().DoubleValue());
  if (threads.IsNumber() && threads.As<Napi::Number>().DoubleValue() >= 1 && threads.As<Napi::Number>().DoubleValue() <= 64)
    po.offload.threads = threads.As<Napi::Number>().Uint32Value();
  po.offload.verbose = Flag(opts, "verbose");
  // Library runs: stdio host fds (numbers; -1 = the host's own) and the "listening on" line (library_api.cc).
  if (!ParseLibraryProcessOptions(opts, &po)) return Fail(env, "createProcess: stdio must be an array of 3 fd numbers");

  auto proc = CreateProcess();
  std::string error = proc->Init(po);
  if (!error.empty()) {
    ReleaseProcess(proc->id());
    return Fail(env, error);
  }
  return Napi::Number::New(env, proc->id());
}

// releaseProcess(id): the guest is done with it; what it sent reaches the kernel (bounded) before its fds go.
Napi::Value ReleaseProcessJs(const Napi::CallbackInfo& info) {
  if (auto p = ProcessOf(info)) p->PrepareExit();
  ReleaseProcess(U32(info, 0));
  return info.Env().Undefined();
}

// prepareExit(): every live process's exit hooks (drains offloaded work), for hosts that end with process.exit.
Napi::Value PrepareExitJs(const Napi::CallbackInfo& info) {
  ForEachProcess([](Process& p) { p.PrepareExit(); });
  return info.Env().Undefined();
}

// configureObserver({ stats, statsJson, trace, traceOnly: [names], traceFile, jsImports: [names] }): --stats / --trace
// (import_observer.h). Host-wide: it covers every guest of this host process.
Napi::Value ConfigureObserverJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return Fail(env, "configureObserver: options required");
  Napi::Object opts = info[0].As<Napi::Object>();
  ObserverConfig cfg;
  bool ok = true;
  cfg.stats = Flag(opts, "stats");
  cfg.trace = Flag(opts, "trace");
  cfg.trace_only = StringList(opts, "traceOnly", &ok);
  cfg.js_imports = StringList(opts, "jsImports", &ok);
  Napi::Value json = opts.Get("statsJson"), file = opts.Get("traceFile");
  if (!ok || !(json.IsUndefined() || json.IsString()) || !(file.IsUndefined() || file.IsString()))
    return Fail(env, "configureObserver: traceOnly and jsImports must be string arrays, statsJson and traceFile strings");
  if (json.IsString()) cfg.stats_json = json.As<Napi::String>().Utf8Value();
  if (file.IsString()) cfg.trace_file = file.As<Napi::String>().Utf8Value();
  std::string error = ConfigureObserver(cfg);
  if (!error.empty()) return Fail(env, error);
  return env.Undefined();
}

// observedImportId(name) -> the observer id of a JS-implemented import (configureObserver's jsImports), or -1 when
// observation is off: then its JS side does not wrap it.
Napi::Value ObservedImportIdJs(const Napi::CallbackInfo& info) {
  std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  return Napi::Number::New(info.Env(), ObservedJsImportId(name));
}

// importStats() -> [{ name, calls, errors, totalNs }] summed over every thread, most time first.
Napi::Value ImportStatsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto rows = CollectImportStats();
  Napi::Array out = Napi::Array::New(env, rows.size());
  for (uint32_t i = 0; i < rows.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", rows[i].name);
    o.Set("calls", double(rows[i].calls));
    o.Set("errors", double(rows[i].errors));
    o.Set("totalNs", double(rows[i].ns));
    out.Set(i, o);
  }
  return out;
}

// formatImportStats() -> the strace -c style table of importStats().
Napi::Value FormatImportStatsJs(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), FormatStatsTable(CollectImportStats()));
}

// reportStatsAtExit(): prints the --stats report (once) before the host ends through process.exit.
Napi::Value ReportStatsAtExitJs(const Napi::CallbackInfo& info) {
  ReportStatsAtExit();
  return info.Env().Undefined();
}

// reportStatsNow() -> whether --stats is on (then the report was printed): serve's SIGUSR1 handler.
Napi::Value ReportStatsNowJs(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ReportStatsOnSignal());
}

// importTable() -> [{ module, name, signature }]
Napi::Value ImportTableJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array table = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& def : ImportRegistry()) {
    for (unsigned bit : {kPreview1, kWasix, kWasi}) {
      if (!(def.modules & bit)) continue;
      Napi::Object row = Napi::Object::New(env);
      row.Set("module", ModuleName(bit));
      row.Set("name", def.name);
      row.Set("signature", def.signature);
      table.Set(i++, row);
    }
  }
  return table;
}

// Keeps an instance alive while any of its JS functions is; the last one releases its JS references.
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

// A JS function whose callback data is the instance, holding it (the imports and the bind functions).
Napi::Function InstanceFunction(Napi::Env env, const char* name, napi_callback cb, const std::shared_ptr<Instance>& inst) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, inst.get(), &fn);
  napi_add_finalizer(env, fn, new InstanceHolder{inst}, FinalizeHolder, nullptr, nullptr);
  return Napi::Function(env, fn);
}

// trampolines() -> "v8" | "napi": how wasm reaches the imports of instances created now (v8_trampoline.h).
Napi::Value TrampolinesJs(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), V8TrampolinesOn() ? "v8" : "napi");
}

// setTrampolines("v8" | "napi") -> whether it took effect (benchmarks and tests compare the two in one process).
Napi::Value SetTrampolinesJs(const Napi::CallbackInfo& info) {
  const bool on = info.Length() > 0 && info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "v8";
  return Napi::Boolean::New(info.Env(), SetV8Trampolines(on));
}

// An import as a V8 callback (v8_trampoline.h), held like InstanceFunction's; the N-API one if that fails.
Napi::Function ImportFunction(Napi::Env env, const ImportDef& def, const std::shared_ptr<Instance>& inst) {
  napi_value fn = NewV8Import(env, def, inst.get());
  if (!fn) return InstanceFunction(env, def.name, def.callback, inst);
  napi_add_finalizer(env, fn, new InstanceHolder{inst}, FinalizeHolder, nullptr, nullptr);
  return Napi::Function(env, fn);
}

Instance* InstanceOf(const Napi::CallbackInfo& info) { return static_cast<Instance*>(info.Data()); }

// bindMemory(memory): attaches an instance's memory once it exists (modules that export their memory).
napi_value BindMemoryJs(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  if (info.Length() < 1 || !InstanceOf(info)->mem.Attach(env, info[0])) return Fail(info.Env(), "bindMemory: not a WebAssembly.Memory");
  return nullptr;
}

// bindExports(exports): records the instance's exports (signal delivery calls the export named by callback_signal).
napi_value BindExportsJs(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  Instance* inst = InstanceOf(info);
  if (info.Length() < 1 || !info[0].IsObject()) return Fail(info.Env(), "bindExports: exports required");
  if (inst->exports_ref) napi_delete_reference(env, inst->exports_ref);
  inst->exports_ref = nullptr;
  // Weak (count 0): a strong reference would keep the instance alive through its own imports' callback data.
  napi_create_reference(env, info[0], 0, &inst->exports_ref);
  return nullptr;
}

// The hooks of an instance's JS-implemented imports (src/dynamic-calls.ts), so that they act like the trampoline's:
//   attention       a Uint32Array over Instance::attention: nonzero when a signal or the process's exit waits
//   deliverPending  what the trampoline does after every call when it is (CheckPendingSignals)
//   observeCall     (id, errno | undefined, ns, ...args): reports a finished call to --stats / --trace
napi_value DeliverPendingJs(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  CheckPendingSignals(*InstanceOf(info));
  return nullptr;
}

napi_value ObserveCallJs(napi_env env, napi_callback_info cbinfo) {
  Napi::CallbackInfo info(env, cbinfo);
  if (info.Length() < 3) return nullptr;
  uint64_t args[8];
  size_t n = 0;
  for (size_t i = 3; i < info.Length() && n < 8; i++) args[n++] = info[i].IsNumber() ? info[i].As<Napi::Number>().Uint32Value() : 0;
  const bool returned = info[1].IsNumber();
  const double ns = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
  ObserveJsCall(U32(info, 0), *InstanceOf(info), args, n, returned, returned ? info[1].As<Napi::Number>().Uint32Value() : 0,
                ns > 0 ? uint64_t(ns) : 0);
  return nullptr;
}

Napi::Object JsImportHooks(Napi::Env env, const std::shared_ptr<Instance>& inst) {
  Napi::Object hooks = Napi::Object::New(env);
  // The word itself, read with one load per call. Where external buffers are not allowed, a word that is always
  // 1: every call then asks deliverPending (correct, one native call dearer).
  napi_value ab = nullptr;
  auto* holder = new InstanceHolder{inst};
  auto finalize = [](napi_env e, void*, void* hint) { FinalizeHolder(e, hint, nullptr); };  // the buffer holds the instance
  if (napi_create_external_arraybuffer(env, &inst->attention, sizeof inst->attention, finalize, holder, &ab) != napi_ok) {
    delete holder;
    void* data;
    napi_create_arraybuffer(env, sizeof(uint32_t), &data, &ab);
    *static_cast<uint32_t*>(data) = 1;
  }
  napi_value view;
  napi_create_typedarray(env, napi_uint32_array, 1, ab, 0, &view);
  hooks.Set("attention", Napi::Value(env, view));
  hooks.Set("deliverPending", InstanceFunction(env, "deliverPending", DeliverPendingJs, inst));
  hooks.Set("observeCall", InstanceFunction(env, "observeCall", ObserveCallJs, inst));
  return hooks;
}

// createInstance(processId, memory|null, tid, wasix, jsHooks) -> [{ wasi_snapshot_preview1, wasix_32v1, wasi },
// bindMemory, bindExports, hooks (JsImportHooks; undefined unless jsHooks)]
Napi::Value CreateInstanceJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) return Fail(env, "createInstance(processId, memory, tid, wasix)");
  auto proc = ProcessOf(info);
  if (!proc) return Fail(env, "createInstance: no such process");
  auto inst = std::make_shared<Instance>();
  inst->env = env;
  inst->proc = proc;
  inst->tid = U32(info, 2);
  if (!inst->wake.Open()) return Fail(env, std::string("createInstance: wake fd: ") + std::strerror(errno));
  // Argument 3: the module imports wasix_32v1 (runner.ts decides it from the imports; every thread agrees).
  if (info.Length() > 3 && info[3].IsBoolean()) proc->set_wasix(info[3].As<Napi::Boolean>().Value());
  proc->threads().Register(inst->tid, inst);
  // A process that began to end, or got a signal, before this thread existed (an AbortSignal fired while the
  // first instance was still being made): the thread sees it as its first call returns. Terminate sets `exiting`
  // before it walks the registered threads, so either its walk or this check finds the new thread.
  if (proc->exiting.load()) InterruptThread(*inst, wait::kExit);
  else if (proc->pending_signals.load()) InterruptThread(*inst, wait::kSignal);
  if (!info[1].IsNull() && !info[1].IsUndefined() && !inst->mem.Attach(env, info[1]))
    return Fail(env, "createInstance: argument 2 is not a WebAssembly.Memory");

  Napi::Object modules = Napi::Object::New(env);
  Napi::Object mods[3];
  for (int m = 0; m < 3; m++) {
    mods[m] = Napi::Object::New(env);
    modules.Set(ModuleName(1u << m), mods[m]);
  }
  for (const auto& def : ImportRegistry()) {
    Napi::Function fn = V8TrampolinesOn() ? ImportFunction(env, def, inst) : InstanceFunction(env, def.name, def.callback, inst);
    for (int m = 0; m < 3; m++)
      if (def.modules & (1u << m)) mods[m].Set(def.name, fn);
  }
  const bool js_hooks = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  Napi::Array result = Napi::Array::New(env, js_hooks ? 4 : 3);
  result.Set(0u, modules);
  result.Set(1u, InstanceFunction(env, "bindMemory", BindMemoryJs, inst));
  result.Set(2u, InstanceFunction(env, "bindExports", BindExportsJs, inst));
  if (js_hooks) result.Set(3u, JsImportHooks(env, inst));
  return result;
}

// setThreadSpawner(processId, (tid, startArg) => void)
Napi::Value SetThreadSpawnerJs(const Napi::CallbackInfo& info) {
  auto proc = ProcessOf(info);
  if (!proc || info.Length() < 2 || !info[1].IsFunction() || !proc->threads().SetSpawner(info.Env(), info[1]))
    return Fail(info.Env(), "setThreadSpawner(processId, fn)");
  return info.Env().Undefined();
}

// threadExited(processId, tid) -> number of the process's threads still alive
Napi::Value ThreadExitedJs(const Napi::CallbackInfo& info) {
  auto proc = ProcessOf(info);
  return Napi::Number::New(info.Env(), proc ? double(proc->threads().Exited(U32(info, 1))) : 0);
}

// exitHost(code): ends the host process without running JS exit handlers or joining workers (a worker may be
// blocked in a guest syscall), after draining each process's offloaded work.
Napi::Value ExitHostJs(const Napi::CallbackInfo& info) { ExitHost(int(U32(info, 0))); }

// beginDrain(processId): graceful shutdown of a serve instance (Process::BeginDrain).
Napi::Value BeginDrainJs(const Napi::CallbackInfo& info) {
  if (auto p = ProcessOf(info)) p->BeginDrain();
  return info.Env().Undefined();
}

// openConnections(processId) -> connected sockets the instance still has open.
Napi::Value OpenConnectionsJs(const Napi::CallbackInfo& info) {
  auto p = ProcessOf(info);
  return Napi::Number::New(info.Env(), p ? double(p->OpenConnections()) : 0);
}

// installSignalHandlers(processId): host SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 go to this
// process's guest from now on (guest_signals.h); the first process installs the host handlers.
Napi::Value InstallSignalHandlersJs(const Napi::CallbackInfo& info) {
  auto p = ProcessOf(info);
  if (!p) return Fail(info.Env(), "installSignalHandlers: no such process");
  InstallHostSignalHandlers(p);
  return info.Env().Undefined();
}

// removeSignalHandlers(processId): the process no longer gets host signals; when no process does, the host
// dispositions found at the first install are restored (Node's own handlers included).
Napi::Value RemoveSignalHandlersJs(const Napi::CallbackInfo& info) {
  RemoveHostSignalHandlers(U32(info, 0));
  return info.Env().Undefined();
}

// signalProcess(processId, sig): what a host signal does, for one process: queued for its guest and every
// thread interrupted, or the default action (the process ends with 128 + sig; its threads unwind).
Napi::Value SignalProcessJs(const Napi::CallbackInfo& info) {
  auto p = ProcessOf(info);
  const uint32_t s = U32(info, 1);
  if (!p || s == 0 || s > 31) return Fail(info.Env(), "signalProcess(processId, sig): sig is a signal number 1..31");
  SignalProcess(*p, uint8_t(s));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("createProcess", Napi::Function::New(env, CreateProcessJs, "createProcess"));
  exports.Set("releaseProcess", Napi::Function::New(env, ReleaseProcessJs, "releaseProcess"));
  exports.Set("prepareExit", Napi::Function::New(env, PrepareExitJs, "prepareExit"));
  exports.Set("importTable", Napi::Function::New(env, ImportTableJs, "importTable"));
  exports.Set("configureObserver", Napi::Function::New(env, ConfigureObserverJs, "configureObserver"));
  exports.Set("importStats", Napi::Function::New(env, ImportStatsJs, "importStats"));
  exports.Set("observedImportId", Napi::Function::New(env, ObservedImportIdJs, "observedImportId"));
  exports.Set("formatImportStats", Napi::Function::New(env, FormatImportStatsJs, "formatImportStats"));
  exports.Set("reportStatsNow", Napi::Function::New(env, ReportStatsNowJs, "reportStatsNow"));
  exports.Set("reportStatsAtExit", Napi::Function::New(env, ReportStatsAtExitJs, "reportStatsAtExit"));
  exports.Set("createInstance", Napi::Function::New(env, CreateInstanceJs, "createInstance"));
  exports.Set("setThreadSpawner", Napi::Function::New(env, SetThreadSpawnerJs, "setThreadSpawner"));
  exports.Set("threadExited", Napi::Function::New(env, ThreadExitedJs, "threadExited"));
  exports.Set("exitHost", Napi::Function::New(env, ExitHostJs, "exitHost"));
  exports.Set("beginDrain", Napi::Function::New(env, BeginDrainJs, "beginDrain"));
  exports.Set("openConnections", Napi::Function::New(env, OpenConnectionsJs, "openConnections"));
  exports.Set("installSignalHandlers", Napi::Function::New(env, InstallSignalHandlersJs, "installSignalHandlers"));
  exports.Set("removeSignalHandlers", Napi::Function::New(env, RemoveSignalHandlersJs, "removeSignalHandlers"));
  exports.Set("signalProcess", Napi::Function::New(env, SignalProcessJs, "signalProcess"));
  napi_value listen;
  napi_create_function(env, "listenTcp", NAPI_AUTO_LENGTH, ListenTcpJs, nullptr, &listen);
  exports.Set("listenTcp", Napi::Value(env, listen));
  exports.Set("bench", Napi::Value(env, CreateBenchExports(env)));
  // How wasm reaches the imports: "v8" (V8 callbacks) or "napi" (v8_trampoline.h says when each is used).
  SetUpTrampolines();
  exports.Set("trampolines", Napi::Function::New(env, TrampolinesJs, "trampolines"));
  exports.Set("setTrampolines", Napi::Function::New(env, SetTrampolinesJs, "setTrampolines"));
  exports.Set("adminCounters", Napi::Function::New(env, AdminCountersJs, "adminCounters"));
  exports.Set("listeningSockets", Napi::Function::New(env, ListeningSocketsJs, "listeningSockets"));
  AddLibraryExports(env, exports);
  return exports;
}

}  // namespace
}  // namespace wasmx

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return wasmx::Init(env, exports); }
NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitModule)
