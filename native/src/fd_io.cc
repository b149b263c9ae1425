#include "fd_io.h"

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
  *written = 0;
  if (e.kind == FdKind::kEvent) return EventWrite(e, iov, dont_wait, written);  // 8-byte counter semantics
  if (iov.total() == 0) return err::SUCCESS;
  const bool is_socket = e.kind == FdKind::kSocket;
  const bool guest_nonblock = dont_wait || e.nonblocking();
  struct iovec* v = iov.data();
  int cnt = iov.count();
  uint64_t done = 0;
  while (cnt > 0) {
    ssize_t n;
    if (is_socket) {
      struct msghdr m = {};
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
      if (WaitReady(e.host_fd, POLLOUT)) continue;
    }
    if (done > 0) break;  // report what was written; the error resurfaces on the next call
    return LastErrno();
  }
  *written = done;
  if (done == 0 && guest_nonblock) return err::AGAIN;
  return err::SUCCESS;
}

Errno ReadEntry(FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread, bool* truncated) {
  *nread = 0;
  if (truncated) *truncated = false;
  if (e.kind == FdKind::kEvent) return EventRead(e, iov, dont_wait, nread);  // 8-byte counter semantics
  const bool is_socket = e.kind == FdKind::kSocket;
  const bool guest_nonblock = dont_wait || e.nonblocking();
  for (;;) {
    ssize_t n;
    if (is_socket) {
      struct msghdr m = {};
      m.msg_iov = iov.data();
      m.msg_iovlen = iov.count();
      n = recvmsg(e.host_fd, &m, msg_flags | (dont_wait ? MSG_DONTWAIT : 0));
      if (n >= 0 && truncated) *truncated = (m.msg_flags & MSG_TRUNC) != 0;
    } else {
      n = readv(e.host_fd, iov.data(), iov.count());
    }
    if (n >= 0) {
      *nread = uint64_t(n);
      return err::SUCCESS;
    }
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && !guest_nonblock && WaitReady(e.host_fd, POLLIN)) continue;
    return LastErrno();
  }
}

}  // namespace wasmx
