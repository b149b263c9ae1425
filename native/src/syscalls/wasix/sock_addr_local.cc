#include <sys/socket.h>

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
  return WriteAddrPort(inst.mem, addr_p, reinterpret_cast<struct sockaddr*>(&ss), len);
}
WASMX_WASIX(sock_addr_local);
}  // namespace wasmx
