#include <sys/uio.h>

#include <cstdint>

#include "syscall.h"

namespace wasmx {
static Errno fd_pread(Instance& inst, uint32_t fd, uint32_t iovs_p, uint32_t iovs_len, uint64_t offset,
                      uint32_t nread_p) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_READ | rights::FD_SEEK, &e)) return r;
  if (e->kind == FdKind::kDirectory) return err::ISDIR;  // a lazily typed directory: the kernel says EISDIR
  if (offset > uint64_t(INT64_MAX)) return err::INVAL;
  IoVecs iov;
  if (Errno r = iov.Read(inst.mem, iovs_p, iovs_len)) return r;
  if (!inst.mem.InBounds(nread_p, 4)) return err::FAULT;
  ssize_t n = RetryEintr([&] { return preadv(e->host_fd, iov.data(), iov.count(), off_t(offset)); });
  if (n < 0) return LastErrno();
  return StoreU32(inst, nread_p, uint32_t(n));
}
WASMX_WASI(fd_pread);
}  // namespace wasmx
