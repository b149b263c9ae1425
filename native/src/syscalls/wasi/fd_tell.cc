#include <unistd.h>

#include "syscall.h"

namespace wasmx {
static Errno fd_tell(Instance& inst, uint32_t fd, uint32_t offset_p) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, rights::FD_TELL, &e)) return r;
  if (!inst.mem.InBounds(offset_p, 8)) return err::FAULT;
  off_t r = lseek(e->host_fd, 0, SEEK_CUR);
  if (r < 0) return LastErrno();
  e->told_position.store(int64_t(r), std::memory_order_relaxed);  // sock_send_file's NULL-offset case
  return StoreU64(inst, offset_p, uint64_t(r));
}
WASMX_WASI(fd_tell);
}  // namespace wasmx
