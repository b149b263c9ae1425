#include <sys/stat.h>

#include "syscall.h"

namespace wasmx {
static Errno fd_filestat_get(Instance& inst, uint32_t fd, uint32_t filestat_p) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_FILESTAT_GET, &e)) return r;
  struct stat st;
  if (fstat(e->host_fd, &st) != 0) return LastErrno();
  e->LearnType(st);  // path_open left it to the first fstat
  return WriteFilestat(inst.mem, filestat_p, st);
}
WASMX_WASI(fd_filestat_get);
}  // namespace wasmx
