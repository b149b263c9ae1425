#include "fd_io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "errno_map.h"
#include "event_fd.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  // macOS: SO_NOSIGPIPE is set on every socket instead
#endif

namespace wasmx {

bool WaitReady(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int r;
  do r = poll(&p, 1, -1);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

// After EAGAIN on an fd the guest sees as blocking: true = now ready, retry; false = give up with what we have.
// Socket host fds mirror the guest's NONBLOCK, so EAGAIN on a blocking host socket means its SO_RCVTIMEO /
// SO_SNDTIMEO expired (the guest sees AGAIN, as on Linux). A host socket that is non-blocking behind the guest's
// back (preopened from Node) waits here, honouring those timeouts.
static bool WaitAfterAgain(FdEntry& e, short events) {
  if (e.kind != FdKind::kSocket) return WaitReady(e.host_fd, events);
  int fl = fcntl(e.host_fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) return false;
  struct timeval tv = {};
  socklen_t l = sizeof tv;
  getsockopt(e.host_fd, SOL_SOCKET, events == POLLIN ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, &l);
  int ms = (tv.tv_sec || tv.tv_usec) ? int(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000) : -1;
  struct pollfd p = {e.host_fd, events, 0};
  int r;
  do r = poll(&p, 1, ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
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

Errno WriteEntry(FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* written) {
  return SendEntry(e, iov, dont_wait, nullptr, 0, written);
}

Errno SendEntry(FdEntry& e, IoVecs& iov, bool dont_wait, const struct sockaddr* to, socklen_t to_len,
                uint64_t* written) {
  *written = 0;
  if (e.kind == FdKind::kEvent) return EventWrite(e, iov, dont_wait, written);  // 8-byte counter semantics
  if (iov.total() == 0) return err::SUCCESS;
  const bool is_socket = e.kind == FdKind::kSocket;
  const bool guest_nonblock = dont_wait || e.nonblocking();
  if (StdioNotReady(e, guest_nonblock, POLLOUT)) return err::AGAIN;
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
      n = sendmsg(e.host_fd, &m, MSG_NOSIGNAL | (dont_wait ? MSG_DONTWAIT : 0));
    } else {
      n = writev(e.host_fd, v, cnt);
    }
    if (n >= 0) {
      done += uint64_t(n);
      Consume(v, cnt, size_t(n));
      // A blocking socket's sendmsg only returns short on a signal; stdio/pipes may return short anytime.
      if (guest_nonblock) break;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (guest_nonblock) break;
      // The host fd is non-blocking behind the guest's back (e.g. a stdio pipe shared with a Node parent).
      if (WaitAfterAgain(e, POLLOUT)) continue;
      if (e.kind == FdKind::kSocket) break;  // send timeout: what was sent, or AGAIN
    }
    if (done > 0) break;  // report what was written; the error resurfaces on the next call
    return LastErrno();
  }
  *written = done;
  if (done == 0 && (guest_nonblock || e.kind == FdKind::kSocket)) return err::AGAIN;
  return err::SUCCESS;
}

Errno ReadEntry(FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread, bool* truncated) {
  return RecvEntry(e, iov, dont_wait, msg_flags, nread, truncated, nullptr, nullptr);
}

Errno RecvEntry(FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread, bool* truncated,
                struct sockaddr_storage* from, socklen_t* from_len) {
  *nread = 0;
  if (truncated) *truncated = false;
  if (e.kind == FdKind::kEvent) return EventRead(e, iov, dont_wait, nread);  // 8-byte counter semantics
  const bool is_socket = e.kind == FdKind::kSocket;
  const bool guest_nonblock = dont_wait || e.nonblocking();
  if (StdioNotReady(e, guest_nonblock, POLLIN)) return err::AGAIN;
  for (;;) {
    ssize_t n;
    if (is_socket) {
      struct msghdr m = {};
      m.msg_name = from;
      m.msg_namelen = from ? sizeof *from : 0;
      m.msg_iov = iov.data();
      m.msg_iovlen = iov.count();
      n = recvmsg(e.host_fd, &m, msg_flags | (dont_wait ? MSG_DONTWAIT : 0));
      if (n >= 0 && truncated) *truncated = (m.msg_flags & MSG_TRUNC) != 0;
      if (n >= 0 && from_len) *from_len = from ? m.msg_namelen : 0;
    } else {
      n = readv(e.host_fd, iov.data(), iov.count());
    }
    if (n >= 0) {
      *nread = uint64_t(n);
      return err::SUCCESS;
    }
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && !guest_nonblock && WaitAfterAgain(e, POLLIN)) continue;
    return LastErrno();
  }
}

}  // namespace wasmx
