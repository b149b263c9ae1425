#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "syscall.h"
#include "wait.h"

namespace wasmx {
namespace {

// One resolved address: WASI family tag (1 = INET4, 2 = INET6) and its bytes in network order.
struct IpAddr {
  uint8_t tag;
  uint8_t bytes[16];
  bool operator==(const IpAddr& o) const { return tag == o.tag && std::memcmp(bytes, o.bytes, 16) == 0; }
};

bool ParseNumeric(const std::string& host, IpAddr* out) {
  std::memset(out, 0, sizeof *out);
  if (inet_pton(AF_INET, host.c_str(), out->bytes) == 1) return out->tag = 1, true;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);  // "[::1]"
  if (inet_pton(AF_INET6, h.c_str(), out->bytes) == 1) return out->tag = 2, true;
  return false;
}

// getaddrinfo's failure as the errno wasmer's resolve returns for it: its host resolver turns a failed lookup
// into an I/O error (IO); a temporary failure is AGAIN, no memory NOMEM.
Errno LookupErrno(int gai, int sys_errno) {
  switch (gai) {
    case EAI_AGAIN: return err::AGAIN;
    case EAI_MEMORY: return err::NOMEM;
#ifdef EAI_SYSTEM
    case EAI_SYSTEM: return WasiErrno(sys_errno);
#endif
    default: return err::IO;
  }
}

// A lookup running on a host thread. The guest thread waits for `done` in the wait primitive; if the wait is
// interrupted it leaves (INTR) and clears `waiter`, and the lookup finishes unobserved and frees itself.
struct Lookup {
  std::mutex mu;
  Instance* waiter;  // guarded by mu; null once the guest stopped waiting
  bool done = false;
  std::string host;
  int gai = 0, sys_errno = 0;
  std::vector<IpAddr> addrs;
};

void RunLookup(std::shared_ptr<Lookup> l) {
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  struct addrinfo* res = nullptr;
  int gai = getaddrinfo(l->host.c_str(), nullptr, &hints, &res);
  int sys_errno = errno;
  std::vector<IpAddr> addrs;
  for (struct addrinfo* a = res; gai == 0 && a; a = a->ai_next) {
    IpAddr ip;
    std::memset(&ip, 0, sizeof ip);
    if (a->ai_family == AF_INET) {
      ip.tag = 1;
      std::memcpy(ip.bytes, &reinterpret_cast<struct sockaddr_in*>(a->ai_addr)->sin_addr, 4);
    } else if (a->ai_family == AF_INET6) {
      ip.tag = 2;
      std::memcpy(ip.bytes, &reinterpret_cast<struct sockaddr_in6*>(a->ai_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    bool dup = false;
    for (const auto& x : addrs) dup = dup || x == ip;
    if (!dup) addrs.push_back(ip);
  }
  if (res) freeaddrinfo(res);
  std::lock_guard<std::mutex> lock(l->mu);
  l->gai = gai;
  l->sys_errno = sys_errno;
  l->addrs = std::move(addrs);
  l->done = true;
  if (l->waiter) WakeThread(*l->waiter);
}

bool LookupDone(void* arg) {
  auto* l = static_cast<Lookup*>(arg);
  std::lock_guard<std::mutex> lock(l->mu);
  return l->done;
}

}  // namespace

// resolve(host_p, host_len, port, addrs_p, naddrs, count_p): the host resolver (getaddrinfo). Writes at most
// `naddrs` addresses as 18-byte addr_ip_t entries (tag, 0, the address bytes, zeros; ABI §6.2) and their number.
// A numeric IPv4/IPv6 address is parsed here, without a lookup and without --net; a name needs --net (else NOTSUP,
// what wasmer answers without networking). The lookup blocks, so it runs on a host thread while this guest thread
// waits in the wait primitive: other guest threads go on, and a signal interrupts the wait (INTR). An unknown
// name is IO (wasmer's host resolver's answer; libc reports EAI_NONAME for any error). `port` is not needed for
// addresses and is ignored.
static Errno resolve(Instance& inst, uint32_t host_p, uint32_t host_len, uint32_t port, uint32_t addrs_p,
                     uint32_t naddrs, uint32_t count_p) {
  constexpr uint32_t kEntry = 18;
  std::string_view hv;
  if (Errno r = ReadGuestString(inst.mem, host_p, host_len, &hv)) return r;
  std::string host(hv);  // one copy: the guest may change its memory while we look up
  if (host.empty() || host.find('\0') != std::string::npos) return err::INVAL;
  if (uint64_t(naddrs) * kEntry > UINT32_MAX || !inst.mem.InBounds(addrs_p, naddrs * kEntry) ||
      !inst.mem.InBounds(count_p, 4))
    return err::FAULT;
  std::vector<IpAddr> found;
  IpAddr numeric;
  if (ParseNumeric(host, &numeric)) {
    found.push_back(numeric);
  } else {
    if (!inst.proc->net_allowed()) {
      inst.proc->HintNetDenied();
      return err::NOTSUP;
    }
    auto l = std::make_shared<Lookup>();
    l->waiter = &inst;
    l->host = host;
    std::thread(RunLookup, l).detach();
    WaitResult w = WaitWoken(inst, wait::kForever, LookupDone, l.get());
    std::lock_guard<std::mutex> lock(l->mu);
    l->waiter = nullptr;  // from here the lookup never touches this thread
    if (!l->done) return w == WaitResult::kReady ? err::INTR : WaitErrno(w);
    if (l->gai != 0) return LookupErrno(l->gai, l->sys_errno);
    found = std::move(l->addrs);
  }
  uint32_t n = uint32_t(std::min<size_t>(found.size(), naddrs));
  for (uint32_t i = 0; i < n; i++) {
    uint8_t* p = inst.mem.At(addrs_p + i * kEntry);
    std::memset(p, 0, kEntry);
    p[0] = found[i].tag;
    std::memcpy(p + 2, found[i].bytes, found[i].tag == 1 ? 4 : 16);
  }
  return StoreU32(inst, count_p, n);
}
WASMX_WASIX(resolve);
}  // namespace wasmx
