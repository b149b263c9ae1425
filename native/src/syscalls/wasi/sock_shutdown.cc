#include <sys/socket.h>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// how: 1 = RD, 2 = WR, 3 = both (libc SHUT_RDWR); anything else → INVAL (W).
static Errno sock_shutdown(Instance& inst, uint32_t fd, uint32_t how) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, rights::SOCK_SHUTDOWN, &e)) return r;
  int h;
  switch (how) {
    case sdflags::RD: h = SHUT_RD; break;
    case sdflags::WR: h = SHUT_WR; break;
    case sdflags::RD | sdflags::WR: h = SHUT_RDWR; break;
    default: return err::INVAL;
  }
  if (e->offloadable) {
    if (Offload* off = inst.proc->offload()) {
      if (Errno r = CheckOffloadError(*e, true)) return r;
      // SHUT_WR goes behind the queued sends; SHUT_RD must take effect now, so it waits for the queue instead.
      Errno r;
      if (h == SHUT_WR && off->ShutdownWrite(inst, e, &r)) return r;
      if (!off->WaitIdle(inst, *e)) return err::INTR;
    }
  }
  if (shutdown(e->host_fd, h) < 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(sock_shutdown);
}  // namespace wasmx
