#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
// path_open plus fdflagsext (CLOEXEC) before the result pointer: what wasix-libc's open()/openat() call (§5.3).
static Errno path_open2(Instance& inst, uint32_t fd, uint32_t dirflags, uint32_t path_p, uint32_t path_len,
                        uint32_t oflags, uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdflags,
                        uint32_t fdflagsext, uint32_t fd_p) {
  return PathOpen(inst, fd, dirflags, path_p, path_len, oflags, rights_base, rights_inheriting, fdflags, fdflagsext,
                  fd_p);
}
WASMX_WASIX(path_open2);
}  // namespace wasmx
