#include <sys/socket.h>

#include <climits>

#include "socket_util.h"
#include "fd_io.h"
#include "syscall.h"

namespace wasmx {
static Errno sock_listen(Instance& inst, uint32_t fd, uint32_t backlog) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  // The kernel caps the backlog at somaxconn; only keep the u32 from turning negative.
  if (listen(e->host_fd, backlog > INT_MAX ? INT_MAX : int(backlog)) < 0) return LastErrno();
  // The host listener stays non-blocking whatever the guest asks: a blocking accept waits in the one wait
  // primitive, so a signal can interrupt it and serve's graceful drain can stop it (AcceptSocket).
  PinHostNonblocking(*e);
  return err::SUCCESS;
}
WASMX_WASIX(sock_listen);
}  // namespace wasmx
