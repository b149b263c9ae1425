#include "fd_io.h"
#include "syscall.h"

namespace wasmx {
static Errno fd_read(Instance& inst, uint32_t fd, uint32_t iovs_p, uint32_t iovs_len, uint32_t nread_p) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_READ, &e)) return r;
  if (e->kind == FdKind::kDirectory) return err::ISDIR;
  IoVecs iov;
  if (Errno r = iov.Read(inst.mem, iovs_p, iovs_len)) return r;
  if (!inst.mem.InBounds(nread_p, 4)) return err::FAULT;
  if (e->offloadable)
    if (Errno r = CheckOffloadError(*e, false)) return r;  // a background send failed on this connection
  uint64_t n;
  if (Errno r = ReadEntry(inst, *e, iov, false, 0, &n, nullptr)) return r;
  return StoreU32(inst, nread_p, uint32_t(n));
}
WASMX_WASI(fd_read);
}  // namespace wasmx
