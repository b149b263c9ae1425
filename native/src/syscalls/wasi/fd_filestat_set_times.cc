#include <sys/stat.h>

#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
static Errno fd_filestat_set_times(Instance& inst, uint32_t fd, uint64_t atim, uint64_t mtim, uint32_t fst_flags) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_FILESTAT_SET_TIMES, &e)) return r;
  struct timespec ts[2];
  if (Errno r = TimesFromFstflags(atim, mtim, fst_flags & 0xffff, ts)) return r;
  if (futimens(e->host_fd, ts) != 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(fd_filestat_set_times);
}  // namespace wasmx
