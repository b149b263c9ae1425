#include <unistd.h>

#include "syscall.h"

namespace wasmx {
static Errno fd_sync(Instance& inst, uint32_t fd) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_SYNC, &e)) return r;
  if (RetryEintr([&] { return fsync(e->host_fd); }) != 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(fd_sync);
}  // namespace wasmx
