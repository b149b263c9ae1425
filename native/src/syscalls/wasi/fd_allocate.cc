#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

#include "syscall.h"

namespace wasmx {
static Errno fd_allocate(Instance& inst, uint32_t fd, uint64_t offset, uint64_t len) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_ALLOCATE, &e)) return r;
  if (offset > uint64_t(INT64_MAX) || len > uint64_t(INT64_MAX) - offset) return err::INVAL;
  if (e->IsDirectory()) return err::BADF;
#ifdef __linux__
  int r = posix_fallocate(e->host_fd, off_t(offset), off_t(len));  // returns the error, not -1/errno
  return r == 0 ? err::SUCCESS : WasiErrno(r);
#else
  // No posix_fallocate: grow the file to offset+len (without reserving blocks), never shrink it.
  struct stat st;
  if (fstat(e->host_fd, &st) != 0) return LastErrno();
  if (uint64_t(st.st_size) < offset + len && ftruncate(e->host_fd, off_t(offset + len)) != 0) return LastErrno();
  return err::SUCCESS;
#endif
}
WASMX_WASI(fd_allocate);
}  // namespace wasmx
