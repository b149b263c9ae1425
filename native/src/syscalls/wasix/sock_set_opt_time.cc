#include <sys/socket.h>
#include <sys/time.h>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// Time options (ABI §5.1, §6.4), value = option_timestamp (relative ns). RECV/SEND_TIMEOUT → SO_RCVTIMEO /
// SO_SNDTIMEO; LINGER → SO_LINGER (whole seconds); CONNECT/ACCEPT_TIMEOUT are kept in the FdEntry and honoured by
// sock_connect / sock_accept*. NONE and SOME(0) both mean "no timeout" (as a zero SO_RCVTIMEO does); for LINGER,
// NONE = off and SOME(0) = on with 0 s (abortive close). Other options → INVAL (W).
static Errno sock_set_opt_time(Instance& inst, uint32_t fd, uint32_t opt, uint32_t time_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  bool some;
  uint64_t ns;
  if (Errno r = ReadOptionTimestamp(inst.mem, time_p, &some, &ns)) return r;
  if (!some) ns = 0;
  switch (opt) {
    case sockopt::RECV_TIMEOUT:
    case sockopt::SEND_TIMEOUT: {
      struct timeval tv;
      uint64_t us = ns / 1000 + (ns % 1000 ? 1 : 0);  // round up: a nonzero timeout must not become "none"
      tv.tv_sec = time_t(us / 1000000);
      tv.tv_usec = suseconds_t(us % 1000000);
      int name = opt == sockopt::RECV_TIMEOUT ? SO_RCVTIMEO : SO_SNDTIMEO;
      if (setsockopt(e->host_fd, SOL_SOCKET, name, &tv, sizeof tv) < 0) return LastErrno();
      return err::SUCCESS;
    }
    case sockopt::LINGER: {
      struct linger l;
      l.l_onoff = some ? 1 : 0;
      uint64_t secs = ns / 1000000000ull;
      l.l_linger = secs > 0x7fff ? 0x7fff : int(secs);
      if (setsockopt(e->host_fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0) return LastErrno();
      return err::SUCCESS;
    }
    case sockopt::CONNECT_TIMEOUT:
      e->connect_timeout_ns.store(ns);
      return err::SUCCESS;
    case sockopt::ACCEPT_TIMEOUT:
      e->accept_timeout_ns.store(ns);
      return err::SUCCESS;
    default:
      return err::INVAL;
  }
}
WASMX_WASIX(sock_set_opt_time);
}  // namespace wasmx
