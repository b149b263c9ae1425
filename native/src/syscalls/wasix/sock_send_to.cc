#include <sys/socket.h>

#include "fd_io.h"
#include "socket_util.h"
#include "unix_addr.h"
#include "syscall.h"

namespace wasmx {
// sendto(). The address is validated always but only passed to the kernel for datagram sockets: a connected stream
// socket ignores it on Linux and fails with EISCONN on macOS; ignoring it everywhere keeps guests portable.
static Errno sock_send_to(Instance& inst, uint32_t fd, uint32_t iovs_p, uint32_t iovs_len, uint32_t siflags,
                          uint32_t addr_p, uint32_t nsent_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, rights::FD_WRITE, &e)) return r;
  bool dont_wait;
  if (Errno r = SendFlags(siflags, &dont_wait)) return r;
  IoVecs iov;
  if (Errno r = iov.Read(inst.mem, iovs_p, iovs_len)) return r;
  struct sockaddr_storage to;
  socklen_t to_len;
  if (Errno r = ReadAddrPort(inst.mem, addr_p, &to, &to_len)) return r;
  HostUnixAddr unix_addr;  // a Unix path, confined beneath a preopen like path_open (unix_addr.h)
  if (to.ss_family == AF_UNIX && e->filetype == filetype::SOCKET_DGRAM) {
    if (Errno r = ConfineUnixAddr(inst, to, to_len, UnixAddrUse::kConnect, &unix_addr)) return r;
    to = unix_addr.ss;
    to_len = unix_addr.len;
  }
  if (!inst.mem.InBounds(nsent_p, 4)) return err::FAULT;
  const bool dgram = e->filetype == filetype::SOCKET_DGRAM;
  uint64_t n;
  if (e->offloadable) {  // a connected stream socket: the offload pool's path, as sock_send (addr ignored)
    if (Offload* off = inst.proc->offload()) {
      Errno r;
      if (off->Send(inst, e, iov, dont_wait, &n, &r)) return r ? r : StoreU32(inst, nsent_p, uint32_t(n));
    }
  }
  if (Errno r = SendEntry(inst, *e, iov, dont_wait, dgram ? reinterpret_cast<struct sockaddr*>(&to) : nullptr,
                          dgram ? to_len : 0, &n))
    return r;
  return StoreU32(inst, nsent_p, uint32_t(n));
}
WASMX_WASIX(sock_send_to);
}  // namespace wasmx
