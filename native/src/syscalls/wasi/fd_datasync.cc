#include <unistd.h>

#include "syscall.h"

namespace wasmx {
static Errno fd_datasync(Instance& inst, uint32_t fd) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_DATASYNC, &e)) return r;
#ifdef __APPLE__
  int r = RetryEintr([&] { return fsync(e->host_fd); });  // macOS has no declared fdatasync
#else
  int r = RetryEintr([&] { return fdatasync(e->host_fd); });
#endif
  if (r != 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(fd_datasync);
}  // namespace wasmx
