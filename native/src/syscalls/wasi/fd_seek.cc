#include <unistd.h>

#include "syscall.h"

namespace wasmx {
static Errno fd_seek(Instance& inst, uint32_t fd, int64_t offset, uint32_t whence_, uint32_t newoffset_p) {
  uint8_t wh = uint8_t(whence_);
  // Asking only for the position (offset 0 from CUR) is a tell: FD_TELL is enough for it.
  uint64_t accepted = offset == 0 && wh == whence::CUR ? rights::FD_TELL | rights::FD_SEEK : rights::FD_SEEK;
  FdRef e = inst.fds().Get(fd);
  if (!e) return err::BADF;
  e->Filetype();  // learns a pending type and with it the rights per type
  if ((e->rights_base & accepted) == 0) return err::NOTCAPABLE;
  int how;
  switch (wh) {
    case whence::SET: how = SEEK_SET; break;
    case whence::CUR: how = SEEK_CUR; break;
    case whence::END: how = SEEK_END; break;
    default: return err::INVAL;
  }
  if (!inst.mem.InBounds(newoffset_p, 8)) return err::FAULT;  // before moving: no side effect on FAULT
  off_t r = lseek(e->host_fd, off_t(offset), how);
  if (r < 0) return LastErrno();
  return StoreU64(inst, newoffset_p, uint64_t(r));
}
WASMX_WASI(fd_seek);
}  // namespace wasmx
