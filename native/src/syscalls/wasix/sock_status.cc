#include <sys/socket.h>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// OPENED once the socket is bound, listening or connected; OPENING before. (A host socket never reports CLOSED:
// closed fds are gone from the table. FAILED is not derived: reading SO_ERROR would clear a pending error.)
static Errno sock_status(Instance& inst, uint32_t fd, uint32_t status_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  if (!inst.mem.InBounds(status_p, 1)) return err::FAULT;
  uint8_t status = sockstatus::OPENING;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername(e->host_fd, reinterpret_cast<struct sockaddr*>(&ss), &len) == 0) {
    status = sockstatus::OPENED;
  } else {
    len = sizeof ss;
    if (getsockname(e->host_fd, reinterpret_cast<struct sockaddr*>(&ss), &len) == 0 && AddrPort(ss) != 0)
      status = sockstatus::OPENED;
  }
  return inst.mem.Store<uint8_t>(status_p, status) ? err::SUCCESS : err::FAULT;
}
WASMX_WASIX(sock_status);
}  // namespace wasmx
