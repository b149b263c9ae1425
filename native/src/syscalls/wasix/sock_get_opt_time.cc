#include <sys/socket.h>
#include <sys/time.h>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// Writes an option_timestamp (16 bytes); "no timeout" / linger off is NONE. See sock_set_opt_time.cc.
static Errno sock_get_opt_time(Instance& inst, uint32_t fd, uint32_t opt, uint32_t time_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  if (!inst.mem.InBounds(time_p, 16)) return err::FAULT;
  bool some = false;
  uint64_t ns = 0;
  switch (opt) {
    case sockopt::RECV_TIMEOUT:
    case sockopt::SEND_TIMEOUT: {
      struct timeval tv = {};
      socklen_t len = sizeof tv;
      int name = opt == sockopt::RECV_TIMEOUT ? SO_RCVTIMEO : SO_SNDTIMEO;
      if (getsockopt(e->host_fd, SOL_SOCKET, name, &tv, &len) < 0) return LastErrno();
      ns = uint64_t(tv.tv_sec) * 1000000000ull + uint64_t(tv.tv_usec) * 1000ull;
      some = ns != 0;
      break;
    }
    case sockopt::LINGER: {
      struct linger l = {};
      socklen_t len = sizeof l;
      if (getsockopt(e->host_fd, SOL_SOCKET, SO_LINGER, &l, &len) < 0) return LastErrno();
      some = l.l_onoff != 0;
      ns = some ? uint64_t(l.l_linger) * 1000000000ull : 0;
      break;
    }
    case sockopt::CONNECT_TIMEOUT:
      ns = e->connect_timeout_ns.load();
      some = ns != 0;
      break;
    case sockopt::ACCEPT_TIMEOUT:
      ns = e->accept_timeout_ns.load();
      some = ns != 0;
      break;
    default:
      return err::INVAL;
  }
  return WriteOptionTimestamp(inst.mem, time_p, some, ns);
}
WASMX_WASIX(sock_get_opt_time);
}  // namespace wasmx
