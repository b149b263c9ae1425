#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "socket_util.h"
#include "syscall.h"
#include "wait.h"

namespace wasmx {
// Completes the handshake before returning, also for NONBLOCK fds (W does; never INPROGRESS): wasix-libc's
// getsockopt(SO_ERROR) always answers 0 without asking the host, so an asynchronous failure would be invisible.
// CONNECT_TIMEOUT (sock_set_opt_time) bounds the wait → TIMEDOUT; without it the wait is unbounded (§9.2).
// The host connect runs non-blocking so that the wait can be a poll; the fd's O_NONBLOCK is restored after.
static Errno sock_connect(Instance& inst, uint32_t fd, uint32_t addr_p) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, 0, &e)) return r;
  struct sockaddr_storage ss;
  socklen_t len;
  if (Errno r = ReadAddrPort(inst.mem, addr_p, &ss, &len)) return r;
  if (AddrFamily(ss) != SocketFamily(*e)) return err::AFNOSUPPORT;  // what Linux connect() says

  const int fl = fcntl(e->host_fd, F_GETFL);
  if (fl < 0) return LastErrno();
  const bool was_blocking = !(fl & O_NONBLOCK);
  if (was_blocking && fcntl(e->host_fd, F_SETFL, fl | O_NONBLOCK) < 0) return LastErrno();
  Errno result = err::SUCCESS;
  if (connect(e->host_fd, reinterpret_cast<struct sockaddr*>(&ss), len) < 0) {
    if (errno == EINPROGRESS || errno == EINTR) {
      // The wait a signal interrupts (INTR; the handshake goes on, as after Linux's EINTR).
      const uint64_t timeout = e->connect_timeout_ns.load(std::memory_order_relaxed);
      result = WaitErrno(WaitFd(inst, e->host_fd, POLLOUT, timeout ? timeout : wait::kForever));
      if (result == err::SUCCESS) {
        int so_error = 0;
        socklen_t l = sizeof so_error;
        if (getsockopt(e->host_fd, SOL_SOCKET, SO_ERROR, &so_error, &l) < 0) result = LastErrno();
        else if (so_error) result = WasiErrno(so_error);
      }
    } else {
      result = LastErrno();
    }
  }
  if (was_blocking) fcntl(e->host_fd, F_SETFL, fl);
  return result;
}
WASMX_WASIX(sock_connect);
}  // namespace wasmx
