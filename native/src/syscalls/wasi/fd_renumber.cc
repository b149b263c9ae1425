#include "syscall.h"

namespace wasmx {
// POSIX dup2 semantics (ABI §10.13): `to` is closed if open and becomes `fd`'s entry; `fd` stays open.
static Errno fd_renumber(Instance& inst, uint32_t fd, uint32_t to) { return inst.fds().Renumber(fd, to); }
WASMX_WASI(fd_renumber);
}  // namespace wasmx
