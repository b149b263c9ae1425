#include <netinet/in.h>
#include <sys/socket.h>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// Writes a u64. Besides the size options of sock_set_opt_size: TYPE (the WASI sock_type) and PROTO (the IANA
// protocol number, TCP 6 / UDP 17 — libc asks for SO_PROTOCOL, ABI §5.1). Note Linux reports buffer sizes doubled.
static Errno sock_get_opt_size(Instance& inst, uint32_t fd, uint32_t opt, uint32_t size_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  uint64_t value;
  HostSockOpt o;
  if (opt == sockopt::TYPE || opt == sockopt::PROTO) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(e->host_fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return LastErrno();
    if (opt == sockopt::TYPE) value = type == SOCK_DGRAM ? socktype::DGRAM : socktype::STREAM;
    else value = type == SOCK_DGRAM ? sockproto::UDP : sockproto::TCP;
  } else if (opt <= 0xff && SizeOption(uint8_t(opt), SocketFamily(*e), &o)) {
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(e->host_fd, o.level, o.name, &v, &len) < 0) return LastErrno();
    value = uint64_t(v);
  } else {
    return err::INVAL;
  }
  return StoreU64(inst, size_p, value);
}
WASMX_WASIX(sock_get_opt_size);
}  // namespace wasmx
