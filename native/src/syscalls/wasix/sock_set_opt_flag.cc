#include <sys/socket.h>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// Boolean options (ABI §6.4): flag ∉ {0,1} → INVAL (W). NOOP succeeds and does nothing (libc maps SO_MARK & co.
// to it); options with no host meaning → INVAL. Note wasix-libc always sends 1 (§9.8); we apply what arrives.
static Errno sock_set_opt_flag(Instance& inst, uint32_t fd, uint32_t opt, uint32_t flag) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  if (flag > 1) return err::INVAL;
  if (uint8_t(opt) == sockopt::NOOP) return err::SUCCESS;
  HostSockOpt o;
  if (opt > 0xff || !FlagOption(uint8_t(opt), SocketFamily(*e), &o)) return err::INVAL;
  int v = int(flag);
  if (setsockopt(e->host_fd, o.level, o.name, &v, sizeof v) < 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASIX(sock_set_opt_flag);
}  // namespace wasmx
