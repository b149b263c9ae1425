#include <fcntl.h>

#include <cstdint>

#include "syscall.h"

namespace wasmx {
static Errno fd_advise(Instance& inst, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_ADVISE, &e)) return r;
  if (offset > uint64_t(INT64_MAX) || len > uint64_t(INT64_MAX)) return err::INVAL;
#ifdef __linux__
  int adv;
  switch (uint8_t(advice)) {
    case 0: adv = POSIX_FADV_NORMAL; break;
    case 1: adv = POSIX_FADV_SEQUENTIAL; break;
    case 2: adv = POSIX_FADV_RANDOM; break;
    case 3: adv = POSIX_FADV_WILLNEED; break;
    case 4: adv = POSIX_FADV_DONTNEED; break;
    case 5: adv = POSIX_FADV_NOREUSE; break;
    default: return err::INVAL;
  }
  if (e->IsDirectory()) return err::BADF;
  int r = posix_fadvise(e->host_fd, off_t(offset), off_t(len), adv);  // returns the error, not -1/errno
  return r == 0 ? err::SUCCESS : WasiErrno(r);
#else
  if (uint8_t(advice) > 5) return err::INVAL;
  return err::SUCCESS;  // advice only: nothing to do where posix_fadvise is missing
#endif
}
WASMX_WASI(fd_advise);
}  // namespace wasmx
