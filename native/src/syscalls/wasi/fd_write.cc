#include "fd_io.h"
#include "syscall.h"

namespace wasmx {
static Errno fd_write(Instance& inst, uint32_t fd, uint32_t iovs_p, uint32_t iovs_len, uint32_t nwritten_p) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_WRITE, &e)) return r;
  IoVecs iov;
  if (Errno r = iov.Read(inst.mem, iovs_p, iovs_len)) return r;
  if (!inst.mem.InBounds(nwritten_p, 4)) return err::FAULT;
  uint64_t n;
  if (e->offloadable) {  // a socket the offload pool takes (sock_send's path)
    if (Offload* off = inst.proc->offload()) {
      Errno r;
      if (off->Send(inst, e, iov, false, &n, &r)) return r ? r : StoreU32(inst, nwritten_p, uint32_t(n));
    }
  }
  if (Errno r = WriteEntry(inst, *e, iov, false, &n)) return r;
  return StoreU32(inst, nwritten_p, uint32_t(n));
}
WASMX_WASI(fd_write);
}  // namespace wasmx
