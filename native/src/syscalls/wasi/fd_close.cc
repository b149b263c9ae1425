#include "syscall.h"

namespace wasmx {
// Frees the guest fd number now; the host fd closes when no call in flight still uses it (fd_table.h). For an
// offloadable socket the close is queued behind the socket's pending sends and shutdown and happens on the pool
// thread (offload/offload.h).
static Errno fd_close(Instance& inst, uint32_t fd) {
  Offload* off = inst.proc->offload();
  if (!off) return CloseGuestFd(inst.fds(), fd);
  bool last = false;
  FdPtr e = inst.fds().Remove(fd, &last);
  if (!e) return err::BADF;
  if (!last) return err::SUCCESS;
  e->RunGuestCloseHooks();
  if (e->offloadable) off->Close(std::move(e));
  return err::SUCCESS;
}
WASMX_WASI(fd_close);
}  // namespace wasmx
