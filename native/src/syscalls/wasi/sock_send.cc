#include "fd_io.h"
#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// send(): siflags SEND_DONT_WAIT → MSG_DONTWAIT; never raises SIGPIPE (MSG_NOSIGNAL / SO_NOSIGPIPE).
static Errno sock_send(Instance& inst, uint32_t fd, uint32_t iovs_p, uint32_t iovs_len, uint32_t siflags,
                       uint32_t nsent_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, rights::FD_WRITE, &e)) return r;
  bool dont_wait;
  if (Errno r = SendFlags(siflags, &dont_wait)) return r;
  IoVecs iov;
  if (Errno r = iov.Read(inst.mem, iovs_p, iovs_len)) return r;
  if (!inst.mem.InBounds(nsent_p, 4)) return err::FAULT;
  uint64_t n;
  if (e->offloadable) {
    if (Offload* off = inst.proc->offload()) {
      Errno r;
      if (off->Send(inst, e, iov, dont_wait, &n, &r)) return r ? r : StoreU32(inst, nsent_p, uint32_t(n));
    }
  }
  if (Errno r = WriteEntry(inst, *e, iov, dont_wait, &n)) return r;
  return StoreU32(inst, nsent_p, uint32_t(n));
}
WASMX_WASI(sock_send);
}  // namespace wasmx
