#include "syscall.h"

namespace wasmx {
// Frees the guest fd number now; the host fd closes when no call in flight still uses it (fd_table.h).
static Errno fd_close(Instance& inst, uint32_t fd) { return CloseGuestFd(inst.fds(), fd); }
WASMX_WASI(fd_close);
}  // namespace wasmx
