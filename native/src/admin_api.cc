// What `--admin` (src/admin.ts) reads from the addon for /readyz and /metrics: the host-wide socket counters
// (io_counters.h), each live process's offload queue, and whether a process has a listening socket.
#include <napi.h>
#include <sys/socket.h>

#include "io_counters.h"
#include "offload/offload.h"
#include "process.h"

namespace wasmx {

// adminCounters() -> { accepted, bytesReceived, bytesSent, offloadInlineSends, offloadUringFallbacks,
//                      offloadQueuedOps, offloadQueuedBytes }
Napi::Value AdminCountersJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t c[kIoCounterCount];
  SumIoCounters(c);
  uint64_t ops = 0, bytes = 0;
  ForEachProcess([&](Process& p) {
    if (Offload* off = p.offload()) {
      uint64_t o, b;
      off->Queued(&o, &b);
      ops += o;
      bytes += b;
    }
  });
  Napi::Object out = Napi::Object::New(env);
  out.Set("accepted", double(c[kIoAccepted]));
  out.Set("bytesReceived", double(c[kIoBytesReceived]));
  out.Set("bytesSent", double(c[kIoBytesSent]));
  out.Set("offloadInlineSends", double(c[kIoOffloadInlineSends]));
  out.Set("offloadUringFallbacks", double(c[kIoOffloadUringFallbacks]));
  out.Set("offloadQueuedOps", double(ops));
  out.Set("offloadQueuedBytes", double(bytes));
  return out;
}

// listeningSockets(processId) -> listening sockets in the process's fd table (guest-bound or preopened).
Napi::Value ListeningSocketsJs(const Napi::CallbackInfo& info) {
  uint32_t id = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
  size_t n = 0;
  if (auto p = FindProcess(id)) {
    p->fds().ForEach([&](uint32_t, FdEntry& e) {
      if (e.kind != FdKind::kSocket) return;
      int listening = 0;
      socklen_t len = sizeof listening;
      if (getsockopt(e.host_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) n++;
    });
  }
  return Napi::Number::New(info.Env(), double(n));
}

}  // namespace wasmx
