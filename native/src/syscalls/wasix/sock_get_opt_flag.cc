#include <sys/socket.h>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// Writes a u8 bool (ABI §6.5).
static Errno sock_get_opt_flag(Instance& inst, uint32_t fd, uint32_t opt, uint32_t flag_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  HostSockOpt o;
  if (opt > 0xff || !FlagOption(uint8_t(opt), SocketFamily(*e), &o)) return err::INVAL;
  if (!inst.mem.InBounds(flag_p, 1)) return err::FAULT;
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(e->host_fd, o.level, o.name, &v, &len) < 0) return LastErrno();
  return inst.mem.Store<uint8_t>(flag_p, v != 0 ? 1 : 0) ? err::SUCCESS : err::FAULT;
}
WASMX_WASIX(sock_get_opt_flag);
}  // namespace wasmx
