#include <sys/socket.h>

#include "fd_io.h"
#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// recvfrom(): like sock_recv, plus the sender's address (110 bytes at addr_p). Connected stream sockets get no
// address from the kernel; the peer's is written then (UNSPEC, all zero, when there is none).
static Errno sock_recv_from(Instance& inst, uint32_t fd, uint32_t iovs_p, uint32_t iovs_len, uint32_t riflags,
                            uint32_t nread_p, uint32_t roflags_p, uint32_t addr_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, rights::FD_READ, &e)) return r;
  int msg_flags;
  bool dont_wait;
  if (Errno r = RecvFlags(riflags, &msg_flags, &dont_wait)) return r;
  IoVecs iov;
  if (Errno r = iov.Read(inst.mem, iovs_p, iovs_len)) return r;
  if (!inst.mem.InBounds(nread_p, 4) || !inst.mem.InBounds(roflags_p, 2) || !inst.mem.InBounds(addr_p, kAddrPortSize))
    return err::FAULT;
  uint64_t n;
  bool truncated;
  struct sockaddr_storage from;
  socklen_t from_len = 0;
  if (e->offloadable)
    if (Errno r = CheckOffloadError(*e, false)) return r;  // a background send failed on this connection
  if (Errno r = RecvEntry(inst, *e, iov, dont_wait, msg_flags, &n, &truncated, &from, &from_len)) return r;
  if (from_len == 0) {
    from_len = sizeof from;
    if (getpeername(e->host_fd, reinterpret_cast<struct sockaddr*>(&from), &from_len) < 0) {
      from.ss_family = AF_UNSPEC;
      from_len = 0;
    }
  }
  WriteAddrPort(inst.mem, addr_p, reinterpret_cast<struct sockaddr*>(&from), from_len);
  inst.mem.Store<uint16_t>(roflags_p, truncated ? roflags::DATA_TRUNCATED : 0);
  return StoreU32(inst, nread_p, uint32_t(n));
}
WASMX_WASIX(sock_recv_from);
}  // namespace wasmx
