#include <sys/socket.h>

#include <climits>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// Size options: RECV_BUF_SIZE, SEND_BUF_SIZE, TTL (hop limit on INET6), MULTICAST_TTL_V4 (Linux). `size` is an i64
// (ABI §10.20); values past INT_MAX → INVAL, as are other options.
static Errno sock_set_opt_size(Instance& inst, uint32_t fd, uint32_t opt, uint64_t size) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  HostSockOpt o;
  if (opt > 0xff || !SizeOption(uint8_t(opt), SocketFamily(*e), &o)) return err::INVAL;
  if (size > uint64_t(INT_MAX)) return err::INVAL;
  int v = int(size);
  if (setsockopt(e->host_fd, o.level, o.name, &v, sizeof v) < 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASIX(sock_set_opt_size);
}  // namespace wasmx
