#include <fcntl.h>

#include "fd_io.h"
#include "syscall.h"

namespace wasmx {
// Sets APPEND / NONBLOCK (the way sockets become non-blocking, ABI §3). The host fd follows the guest's
// NONBLOCK flag, except stdio, whose host fds belong to the parent and stay as they are.
Errno SetFdFlags(FdEntry& e, uint16_t flags) {
  if (flags & ~fdflags::ALL) return err::INVAL;
  if (e.kind != FdKind::kStdio) {
    int hf = fcntl(e.host_fd, F_GETFL);
    if (hf < 0) return LastErrno();
    int nf = hf & ~(O_NONBLOCK | O_APPEND);
    if ((flags & fdflags::NONBLOCK) || e.host_nonblock_pinned.load()) nf |= O_NONBLOCK;
    if (flags & fdflags::APPEND) nf |= O_APPEND;
    if (nf != hf && fcntl(e.host_fd, F_SETFL, nf) < 0) return LastErrno();
  }
  e.fdflags.store(flags);
  return err::SUCCESS;
}

void PinHostNonblocking(FdEntry& e) {
  e.host_nonblock_pinned.store(true);
  int hf = fcntl(e.host_fd, F_GETFL);
  if (hf >= 0 && !(hf & O_NONBLOCK)) fcntl(e.host_fd, F_SETFL, hf | O_NONBLOCK);
}

static Errno fd_fdstat_set_flags(Instance& inst, uint32_t fd, uint32_t flags) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_FDSTAT_SET_FLAGS, &e)) return r;
  return SetFdFlags(*e, uint16_t(flags & 0xffff));
}
WASMX_WASI(fd_fdstat_set_flags);
}  // namespace wasmx
