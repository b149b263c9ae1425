#include <fcntl.h>
#include <unistd.h>

#include "fd_io.h"
#include "syscall.h"

namespace wasmx {
// fd_pipe(fd1_p, fd2_p): pipe(): fd1 = read end, fd2 = write end.
//
// Decision: a unidirectional host pipe(), not the duplex pair W provides (the WASIX header says "pipes are
// bidirectional"). Guests reach this through POSIX pipe()/pipe2(), whose callers expect POSIX pipes: writes to
// the read end fail (BADF), the write end reports ERR and the read end HUP when the other side is closed,
// PIPE_BUF atomicity and the host's pipe capacity apply, and epoll readiness is the kernel's own. A guest that
// wants a duplex channel has socketpair() (sock_pair).
//
// Both ends are FdKind::kPipe with filetype UNKNOWN (WASI has no FIFO type; stdio FIFOs are reported the same
// way). NONBLOCK (pipe2(O_NONBLOCK) = fd_fdstat_set_flags afterwards) reaches the host fd through SetFdFlags.
static Errno fd_pipe(Instance& inst, uint32_t fd1_p, uint32_t fd2_p) {
  if (!inst.mem.InBounds(fd1_p, 4) || !inst.mem.InBounds(fd2_p, 4)) return err::FAULT;
  int p[2];
#ifdef __linux__
  if (pipe2(p, O_CLOEXEC) != 0) return LastErrno();
#else
  if (pipe(p) != 0) return LastErrno();
  fcntl(p[0], F_SETFD, FD_CLOEXEC);
  fcntl(p[1], F_SETFD, FD_CLOEXEC);
#endif
  constexpr uint64_t kRights = rights::FD_READ | rights::FD_WRITE | rights::POLL_FD_READWRITE |
                               rights::FD_FDSTAT_SET_FLAGS | rights::FD_FILESTAT_GET;
  FdPtr ends[2];
  for (int i = 0; i < 2; i++) {
    ends[i] = std::make_shared<FdEntry>(p[i], FdKind::kPipe, filetype::UNKNOWN);
    ends[i]->rights_base = kRights;
    ends[i]->rights_inheriting = 0;
    // Non-blocking on the host whatever the guest's flag: a blocking guest read/write waits in the one wait
    // primitive (fd_io.h), where a signal can interrupt it.
    PinHostNonblocking(*ends[i]);
  }
  return InstallFdPair(inst, ends[0], ends[1], fd1_p, fd2_p);
}
WASMX_WASIX(fd_pipe);
}  // namespace wasmx
