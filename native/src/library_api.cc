// The addon's JS API for the library's run()/serve() (src/run.ts, src/serve.ts): stdio fds, host pipes for
// stdio 'pipe', and the listen notifier. Kept apart from js_api.cc so the two grow without conflicts.
#include <fcntl.h>
#include <napi.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "process.h"

namespace wasmx {

// createProcess's { stdio: [fd, fd, fd], announceListen } (each fd a number; -1 = the host's own fd).
bool ParseLibraryProcessOptions(const Napi::Object& opts, ProcessOptions* po) {
  Napi::Value announce = opts.Get("announceListen");
  po->announce_listen = announce.IsBoolean() && announce.As<Napi::Boolean>().Value();
  Napi::Value v = opts.Get("stdio");
  if (v.IsUndefined()) return true;
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) return false;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < 3; i++) {
    Napi::Value fd = a.Get(i);
    if (!fd.IsNumber()) return false;
    po->stdio[i] = fd.As<Napi::Number>().Int32Value();
  }
  return true;
}

namespace {
std::shared_ptr<Process> ProcessArg(const Napi::CallbackInfo& info) {
  return info.Length() > 0 && info[0].IsNumber() ? FindProcess(info[0].As<Napi::Number>().Uint32Value()) : nullptr;
}

// pipe() -> [readFd, writeFd], both close-on-exec. Node has no pipe(2); the library wraps one end in a stream
// and hands the other to createProcess's stdio (the guest's writes then go straight to the kernel, as for a tty).
Napi::Value PipeJs(const Napi::CallbackInfo& info) {
  int fds[2];
  if (::pipe(fds) != 0) {
    Napi::Error::New(info.Env(), std::string("pipe: ") + std::strerror(errno)).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  for (int fd : fds) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  Napi::Array r = Napi::Array::New(info.Env(), 2);
  r.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  r.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return r;
}

// closeFd(fd): the library's copy of a pipe end once the process holds its own dup.
Napi::Value CloseFdJs(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) ::close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// setListenNotifier(processId, (address) => void): called on this thread each time the guest's socket listens.
Napi::Value SetListenNotifierJs(const Napi::CallbackInfo& info) {
  auto p = ProcessArg(info);
  if (!p || info.Length() < 2 || !info[1].IsFunction() || !p->SetListenNotifier(info.Env(), info[1])) {
    Napi::Error::New(info.Env(), "setListenNotifier(processId, fn)").ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}
}  // namespace

void AddLibraryExports(Napi::Env env, Napi::Object exports) {
  exports.Set("pipe", Napi::Function::New(env, PipeJs, "pipe"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFdJs, "closeFd"));
  exports.Set("setListenNotifier", Napi::Function::New(env, SetListenNotifierJs, "setListenNotifier"));
}

}  // namespace wasmx
