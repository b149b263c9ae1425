#include "syscall.h"

namespace wasmx {
// Rights can only be dropped, never gained. Unknown bits are ignored (guests build masks with broken macros, §4.3).
static Errno fd_fdstat_set_rights(Instance& inst, uint32_t fd, uint64_t base, uint64_t inheriting) {
  FdRef e;
  if (Errno r = inst.fds().Lookup(fd, 0, &e)) return r;
  base &= rights::ALL;
  inheriting &= rights::ALL;
  e->Filetype();  // learns a pending type and with it the rights per type
  if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting)) return err::NOTCAPABLE;
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  return err::SUCCESS;
}
WASMX_WASI(fd_fdstat_set_rights);
}  // namespace wasmx
