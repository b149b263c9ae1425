#include <cstdlib>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "syscall.h"

namespace wasmx {
static Errno random_get(Instance& inst, uint32_t buf_p, uint32_t len) {
  if (!inst.mem.InBounds(buf_p, len)) return err::FAULT;
  uint8_t* p = inst.mem.At(buf_p);
#if defined(__linux__)
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return LastErrno();
    }
    p += n;
    len -= uint32_t(n);
  }
#else
  arc4random_buf(p, len);
#endif
  return err::SUCCESS;
}
WASMX_WASI(random_get);
}  // namespace wasmx
