#include <unistd.h>

#include <cstdint>

#include "syscall.h"

namespace wasmx {
static Errno fd_filestat_set_size(Instance& inst, uint32_t fd, uint64_t size) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_FILESTAT_SET_SIZE, &e)) return r;
  if (size > uint64_t(INT64_MAX)) return err::INVAL;
  if (RetryEintr([&] { return ftruncate(e->host_fd, off_t(size)); }) != 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(fd_filestat_set_size);
}  // namespace wasmx
