#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// getsockname(). Works on a bound, non-listening socket: libc's byte-order probe relies on it (ABI §6.1.3).
static Errno sock_addr_local(Instance& inst, uint32_t fd, uint32_t addr_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  if (!inst.mem.InBounds(addr_p, kAddrPortSize)) return err::FAULT;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(e->host_fd, reinterpret_cast<struct sockaddr*>(&ss), &len) < 0) return LastErrno();
  std::string bound;
  if (ss.ss_family == AF_UNIX) {
    std::lock_guard<std::mutex> lock(e->unix_mu);
    bound = e->unix_bound_path;
  }
  if (!bound.empty()) {  // the guest's name, not the host's /proc path
    auto* sun = reinterpret_cast<struct sockaddr_un*>(&ss);
    std::memset(sun->sun_path, 0, sizeof sun->sun_path);
    std::memcpy(sun->sun_path, bound.data(), std::min(bound.size(), sizeof sun->sun_path - 1));
    len = socklen_t(offsetof(struct sockaddr_un, sun_path) + std::strlen(sun->sun_path) + 1);
  }
  return WriteAddrPort(inst.mem, addr_p, reinterpret_cast<struct sockaddr*>(&ss), len);
}
WASMX_WASIX(sock_addr_local);
}  // namespace wasmx
