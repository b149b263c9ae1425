#include "syscall.h"

namespace wasmx {
// The one call where preview1 and WASIX disagree outright (docs/decisions.md "preview1 and WASIX"):
// - WASIX (§10.13): wasix-libc's dup2()/dup3() are fd_renumber, so it is POSIX dup2 — `to` need not be open,
//   `fd` stays open.
// - preview1: a move — `to` must be open (BADF otherwise), `fd` is closed (wasi-libc, Rust std, the WASI suite).
static Errno fd_renumber(Instance& inst, uint32_t fd, uint32_t to) {
  return inst.fds().Renumber(fd, to, inst.proc->wasix() ? FdTable::RenumberMode::kDup2 : FdTable::RenumberMode::kMove);
}
WASMX_WASI(fd_renumber);
}  // namespace wasmx
