#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// Preview1 accept: 3 params, no address (ABI §2.3). wasix_32v1.sock_accept is the 4-param alias of sock_accept_v2.
static Errno sock_accept(Instance& inst, uint32_t fd, uint32_t flags, uint32_t fd_p) {
  return AcceptSocket(inst, fd, flags, fd_p, 0, false);
}
WASMX_IMPORT_AS(kPreview1, "sock_accept", sock_accept);
}  // namespace wasmx
