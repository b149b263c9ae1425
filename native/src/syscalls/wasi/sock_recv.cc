#include "fd_io.h"
#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// recv(): riflags PEEK/WAITALL/DONT_WAIT (+ DATA_TRUNCATED accepted); roflags = DATA_TRUNCATED for a cut datagram.
// EOF is success with 0 bytes (ABI §9.4).
static Errno sock_recv(Instance& inst, uint32_t fd, uint32_t iovs_p, uint32_t iovs_len, uint32_t riflags,
                       uint32_t nread_p, uint32_t roflags_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, rights::FD_READ, &e)) return r;
  int msg_flags;
  bool dont_wait;
  if (Errno r = RecvFlags(riflags, &msg_flags, &dont_wait)) return r;
  IoVecs iov;
  if (Errno r = iov.Read(inst.mem, iovs_p, iovs_len)) return r;
  if (!inst.mem.InBounds(nread_p, 4) || !inst.mem.InBounds(roflags_p, 2)) return err::FAULT;
  if (e->offloadable)
    if (Errno r = CheckOffloadError(*e, false)) return r;  // a background send failed on this connection
  uint64_t n;
  bool truncated;
  if (Errno r = ReadEntry(inst, *e, iov, dont_wait, msg_flags, &n, &truncated)) return r;
  inst.mem.Store<uint16_t>(roflags_p, truncated ? roflags::DATA_TRUNCATED : 0);
  return StoreU32(inst, nread_p, uint32_t(n));
}
WASMX_WASI(sock_recv);
}  // namespace wasmx
