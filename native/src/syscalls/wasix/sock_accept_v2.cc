#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// accept4(): new fd at fd_p, the peer's full 110-byte addr_port_t at addr_p (ABI §5.1, §6.1.2).
static Errno sock_accept_v2(Instance& inst, uint32_t fd, uint32_t flags, uint32_t fd_p, uint32_t addr_p) {
  return AcceptSocket(inst, fd, flags, fd_p, addr_p, true);
}
WASMX_WASIX(sock_accept_v2);
// wasix_32v1.sock_accept is W's alias of sock_accept_v2 (4 params); preview1's 3-param one is wasi/sock_accept.cc.
WASMX_IMPORT_AS(kWasix, "sock_accept", sock_accept_v2);
}  // namespace wasmx
