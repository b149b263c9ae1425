// What the host says about a guest's sockets: the "listening on ADDR" line (and the JS notifier serve uses for
// its 'listening' event), and the one hint line for a bind the kernel refused. sock_listen and sock_bind each
// call one hook here, so the syscall files stay about the syscall.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <set>
#include <string>

#include "process.h"
#include "threadsafe_fn.h"

namespace wasmx {

namespace {
// "127.0.0.1:8080", "[::1]:8080"; empty for what is not an IP socket address.
std::string FormatAddress(const struct sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const struct sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "";
}

void WriteStderr(const std::string& line) {
  ssize_t r = ::write(2, line.data(), line.size());
  (void)r;
}

// Runs on the thread that installed the notifier.
void CallListenNotifier(napi_env env, napi_value fn, void*, void* data) {
  auto* addr = static_cast<std::string*>(data);
  if (env != nullptr && fn != nullptr) {
    napi_value arg, global, result;
    napi_create_string_utf8(env, addr->data(), addr->size(), &arg);
    napi_get_global(env, &global);
    napi_call_function(env, global, fn, 1, &arg, &result);
  }
  delete addr;
}
}  // namespace

void Process::OnListening(int host_fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(host_fd, reinterpret_cast<struct sockaddr*>(&ss), &len) != 0) return;
  std::string addr = FormatAddress(reinterpret_cast<struct sockaddr*>(&ss));
  if (addr.empty()) return;
  if (opts_.announce_listen) WriteStderr("wasmx: listening on " + addr + "\n");
  std::lock_guard<std::mutex> lock(mu_);
  if (listen_notifier_ && napi_call_threadsafe_function(listen_notifier_, new std::string(addr), napi_tsfn_nonblocking) != napi_ok) {
    // The notifier is closing (the run is ending): nothing to tell.
  }
}

void Process::HintBindFailed(const struct sockaddr* sa, int host_errno) {
  if (host_errno != EADDRINUSE && host_errno != EACCES) return;
  struct KeepErrno {  // the caller maps errno for the guest right after
    int saved = errno;
    ~KeepErrno() { errno = saved; }
  } keep;
  std::string addr = FormatAddress(sa);
  // One line per address for the whole host (serve's instances all bind the same one).
  static std::mutex hinted_mu;
  static std::set<std::string> hinted;
  {
    std::lock_guard<std::mutex> lock(hinted_mu);
    if (!hinted.insert(addr).second) return;
  }
  WriteStderr(host_errno == EADDRINUSE
                  ? "wasmx: cannot bind " + addr + ": address already in use (another server holds the port; stop it or use another port)\n"
                  : "wasmx: cannot bind " + addr + ": permission denied (ports below 1024 need privileges; use a port from 1024)\n");
}

bool Process::SetListenNotifier(napi_env env, napi_value fn) {
  napi_threadsafe_function tsfn;
  if (!MakeUnrefThreadsafeFn(env, fn, "wasmx.listening", CallListenNotifier, &tsfn)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (listen_notifier_) napi_release_threadsafe_function(listen_notifier_, napi_tsfn_abort);
  listen_notifier_ = tsfn;
  return true;
}

void Process::ClearListenNotifier() {
  std::lock_guard<std::mutex> lock(mu_);
  if (listen_notifier_) napi_release_threadsafe_function(listen_notifier_, napi_tsfn_abort);
  listen_notifier_ = nullptr;
}

}  // namespace wasmx
