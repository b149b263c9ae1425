#include <sys/socket.h>
#include <sys/un.h>

#include "socket_util.h"
#include "unix_addr.h"
#include "syscall.h"

namespace wasmx {
// Binds the host socket now, so ADDRINUSE & co. surface here (ABI §5.1). The address family must be the socket's.
static Errno sock_bind(Instance& inst, uint32_t fd, uint32_t addr_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  struct sockaddr_storage ss;
  socklen_t len;
  if (Errno r = ReadAddrPort(inst.mem, addr_p, &ss, &len)) return r;
  HostUnixAddr unix_addr;  // a Unix path, confined beneath a preopen like path_open (unix_addr.h)
  std::string guest_path;
  if (ss.ss_family == AF_UNIX) {
    const auto* sun = reinterpret_cast<const struct sockaddr_un*>(&ss);
    if (sun->sun_path[0] != '\0') guest_path = sun->sun_path;
    if (Errno r = ConfineUnixAddr(inst, ss, len, UnixAddrUse::kBind, &unix_addr)) return r;
    ss = unix_addr.ss;
    len = unix_addr.len;
  }
  if (AddrFamily(ss) != SocketFamily(*e)) return err::INVAL;
  // serve: every instance binds the same address; the kernel spreads connections across them.
  if (inst.proc->reuse_port() && e->sock_type == socktype::STREAM) {
    int one = 1;
    setsockopt(e->host_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  }
  if (bind(e->host_fd, reinterpret_cast<struct sockaddr*>(&ss), len) < 0) {
    inst.proc->HintBindFailed(reinterpret_cast<struct sockaddr*>(&ss), errno);
    return LastErrno();
  }
  if (!guest_path.empty()) {
    std::lock_guard<std::mutex> lock(e->unix_mu);
    e->unix_bound_path = guest_path;
  }
  return err::SUCCESS;
}
WASMX_WASIX(sock_bind);
}  // namespace wasmx
