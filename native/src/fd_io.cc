#include "fd_io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <atomic>

#include "errno_map.h"
#include "event_fd.h"
#include "io_counters.h"
#include "wait.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  // macOS: SO_NOSIGPIPE is set on every socket instead
#endif

namespace wasmx {

Errno WaitReady(Instance& inst, int fd, short events) {
  return WaitErrno(WaitFd(inst, fd, events, wait::kForever));
}

// After EAGAIN on an fd the guest sees as blocking: SUCCESS = now ready, retry; AGAIN = a socket's SO_RCVTIMEO /
// SO_SNDTIMEO expired (the guest sees AGAIN, as on Linux); INTR = interrupted; else an errno. Sockets are always
// sent to / received from with MSG_DONTWAIT, so the timeouts the guest set are honoured here.
static Errno WaitAfterAgain(Instance& inst, FdEntry& e, short events) {
  uint64_t timeout = wait::kForever;
  if (e.kind == FdKind::kSocket) {
    struct timeval tv = {};
    socklen_t l = sizeof tv;
    getsockopt(e.host_fd, SOL_SOCKET, events == POLLIN ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, &l);
    if (tv.tv_sec || tv.tv_usec) timeout = uint64_t(tv.tv_sec) * 1000000000ull + uint64_t(tv.tv_usec) * 1000ull;
  }
  WaitResult r = WaitFd(inst, e.host_fd, events, timeout);
  return r == WaitResult::kTimedOut ? err::AGAIN : WaitErrno(r);
}

// Stdio's host fds belong to the parent and stay blocking whatever the guest's NONBLOCK (SetFdFlags): a guest
// that asked for NONBLOCK gets AGAIN instead of a wait when the fd is not ready now. (A reader sharing the fd
// could still drain it between this check and the call; the parent's fd is not ours to make non-blocking.)
static bool StdioNotReady(const FdEntry& e, bool guest_nonblock, short events) {
  if (e.kind != FdKind::kStdio || !guest_nonblock) return false;
  struct pollfd p = {e.host_fd, events, 0};
  int r;
  do r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  return r == 0;
}

// A write to a stdio pipe or socket (the parent's fd, blocking there, and not ours to make non-blocking) that never
// waits in the kernel, where neither a signal nor the process's end could reach it (a parent that stops reading
// would hang the guest for good): -1 with EAGAIN when it would block, and the caller waits with the wait primitive.
// Linux: pwritev2(RWF_NOWAIT) writes what fits. Elsewhere, or where the kernel refuses the flag: only when poll says
// there is room, and at most PIPE_BUF bytes (a pipe write that small does not block when there is room).
static ssize_t WriteStdioNoWait(int fd, const struct iovec* v, int cnt) {
#ifdef RWF_NOWAIT
  static std::atomic<bool> no_nowait{false};
  if (!no_nowait.load(std::memory_order_relaxed)) {
    ssize_t n = pwritev2(fd, v, cnt, -1, RWF_NOWAIT);
    if (n >= 0 || (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS)) return n;
    no_nowait.store(true, std::memory_order_relaxed);  // an old kernel: the same answer for every pipe
  }
#endif
  struct pollfd p = {fd, POLLOUT, 0};
  int r;
  do r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  if (r == 0) {
    errno = EAGAIN;
    return -1;
  }
  struct iovec clipped[64];
  int k = 0;
  size_t room = PIPE_BUF;
  for (; k < cnt && k < 64 && room > 0; k++) {
    clipped[k] = v[k];
    if (clipped[k].iov_len > room) clipped[k].iov_len = room;
    room -= clipped[k].iov_len;
  }
  return writev(fd, clipped, k);
}

// Advances `iov` past `n` bytes.
static void Consume(struct iovec*& v, int& cnt, size_t n) {
  while (cnt > 0 && n >= v->iov_len) {
    n -= v->iov_len;
    v++;
    cnt--;
  }
  if (cnt > 0 && n > 0) {
    v->iov_base = static_cast<char*>(v->iov_base) + n;
    v->iov_len -= n;
  }
}

Errno WriteEntry(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* written) {
  return SendEntry(inst, e, iov, dont_wait, nullptr, 0, written);
}

Errno SendEntry(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, const struct sockaddr* to, socklen_t to_len,
                uint64_t* written) {
  *written = 0;
  if (e.kind == FdKind::kEvent) return EventWrite(inst, e, iov, dont_wait, written);  // 8-byte counter semantics
  if (iov.total() == 0) return err::SUCCESS;
  const bool is_socket = e.kind == FdKind::kSocket;
  const bool guest_nonblock = dont_wait || e.nonblocking();
  if (StdioNotReady(e, guest_nonblock, POLLOUT)) return err::AGAIN;
  // Pipes and sockets as stdio can fill up (files and terminals do not stay full: those keep a plain writev).
  const uint8_t ft = e.kind == FdKind::kStdio ? e.Filetype() : 0;
  const bool stdio_stream = e.kind == FdKind::kStdio && ft != filetype::REGULAR_FILE && ft != filetype::CHARACTER_DEVICE;
  struct iovec* v = iov.data();
  int cnt = iov.count();
  uint64_t done = 0;
  while (cnt > 0) {
    ssize_t n;
    if (is_socket) {
      struct msghdr m = {};
      m.msg_name = const_cast<struct sockaddr*>(to);
      m.msg_namelen = to ? to_len : 0;
      m.msg_iov = v;
      m.msg_iovlen = cnt;
      n = sendmsg(e.host_fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    } else if (stdio_stream) {
      n = WriteStdioNoWait(e.host_fd, v, cnt);
    } else {
      n = writev(e.host_fd, v, cnt);
    }
    if (n >= 0) {
      done += uint64_t(n);
      Consume(v, cnt, size_t(n));
      // A blocking guest's send goes on until everything is written; stdio/pipes may return short anytime.
      if (guest_nonblock) break;
      continue;
    }
    if (errno == EINTR) continue;
    Errno failure;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (guest_nonblock) break;
      // The host fd is non-blocking (sockets: MSG_DONTWAIT; pipes; a stdio pipe shared with a Node parent).
      failure = WaitAfterAgain(inst, e, POLLOUT);
      if (failure == err::SUCCESS) continue;
      if (failure == err::AGAIN) break;  // send timeout: what was sent, or AGAIN
    } else {
      failure = LastErrno();
    }
    if (done > 0) break;  // report what was written (interrupted: as POSIX); an error resurfaces on the next call
    return failure;
  }
  *written = done;
  if (is_socket && done) CountIo(kIoBytesSent, done);
  if (done == 0 && (guest_nonblock || e.kind == FdKind::kSocket)) return err::AGAIN;
  return err::SUCCESS;
}

Errno ReadEntry(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread,
                bool* truncated) {
  return RecvEntry(inst, e, iov, dont_wait, msg_flags, nread, truncated, nullptr, nullptr);
}

Errno RecvEntry(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread,
                bool* truncated, struct sockaddr_storage* from, socklen_t* from_len) {
  *nread = 0;
  if (truncated) *truncated = false;
  if (e.kind == FdKind::kEvent) return EventRead(inst, e, iov, dont_wait, nread);  // 8-byte counter semantics
  const bool is_socket = e.kind == FdKind::kSocket;
  const bool guest_nonblock = dont_wait || e.nonblocking();
  if (StdioNotReady(e, guest_nonblock, POLLIN)) return err::AGAIN;
  // Stdin belongs to the parent and may be blocking there: wait for data first, so the read cannot block.
  if (e.kind == FdKind::kStdio && !guest_nonblock && iov.total() > 0) {
    if (Errno r = WaitReady(inst, e.host_fd, POLLIN)) return r;
  }
  // MSG_WAITALL on a blocking guest socket: gathered here (the kernel's own wait would not be interruptible).
  const bool wait_all = is_socket && !guest_nonblock && (msg_flags & MSG_WAITALL) && !(msg_flags & MSG_PEEK);
  if (wait_all) msg_flags &= ~MSG_WAITALL;
  struct iovec* v = iov.data();
  int cnt = iov.count();
  uint64_t done = 0;
  for (;;) {
    ssize_t n;
    if (is_socket) {
      struct msghdr m = {};
      m.msg_name = from;
      m.msg_namelen = from ? sizeof *from : 0;
      m.msg_iov = v;
      m.msg_iovlen = cnt;
      n = recvmsg(e.host_fd, &m, msg_flags | MSG_DONTWAIT);
      if (n >= 0 && truncated) *truncated = (m.msg_flags & MSG_TRUNC) != 0;
      if (n >= 0 && from_len) *from_len = from ? m.msg_namelen : 0;
    } else {
      n = readv(e.host_fd, v, cnt);
    }
    if (n >= 0) {
      done += uint64_t(n);
      Consume(v, cnt, size_t(n));
      if (wait_all && n > 0 && cnt > 0) continue;
      break;
    }
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && !guest_nonblock) {
      Errno r = WaitAfterAgain(inst, e, POLLIN);
      if (r == err::SUCCESS) continue;
      if (done > 0) break;  // WAITALL interrupted: what arrived so far
      return r;  // AGAIN (receive timeout), INTR, or an error
    }
    if (done > 0) break;
    return LastErrno();
  }
  *nread = done;
  if (is_socket && done > 0 && !(msg_flags & MSG_PEEK)) CountIo(kIoBytesReceived, done);
  return err::SUCCESS;
}

}  // namespace wasmx
