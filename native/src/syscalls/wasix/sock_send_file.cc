#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif
#ifdef __APPLE__
#include <sys/uio.h>
#endif

#include <algorithm>

#include "fd_io.h"
#include "socket_util.h"
#include "syscall.h"
#include "wait.h"

namespace wasmx {
namespace {

// One kernel sendfile of up to `len` bytes of `in` at `off` to socket `out`, without touching in's file position.
// Returns the bytes sent (0 = end of file) or -1 with errno; on macOS a partial send before EAGAIN/EINTR counts.
ssize_t SendFileOnce(int out, int in, off_t off, size_t len) {
#if defined(__linux__)
  return sendfile(out, in, &off, len);
#elif defined(__APPLE__)
  off_t n = off_t(len);
  int r = sendfile(in, out, off, &n, nullptr, 0);  // n: in = how much, out = how much was sent
  if (r == 0 || ((errno == EAGAIN || errno == EINTR) && n > 0)) return ssize_t(n);
  return -1;
#else
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

// sock_send_file(out_fd, in_fd, offset: i64, count: i64, sent_p → u64): sendfile(2). Sends up to `count` bytes of
// file `in_fd` from `offset` to socket `out_fd`, zero-copy in the kernel:
//  * a blocking socket sends until `count` bytes or the end of the file (fewer than `count` only at EOF, on a send
//    timeout, or on an error after some bytes went: those bytes are reported, the error comes next call);
//  * a non-blocking socket (or one the guest made so) sends what fits now: a short count, or AGAIN when nothing
//    fit;
//  * an offset at or past the end sends 0 bytes (SUCCESS);
//  * the file position: wasix-libc passes fd_tell's answer as `offset` when the caller gave no offset pointer, and
//    never writes an offset back. When `offset` is the position fd_tell just reported, the position advances by
//    the bytes sent (Linux sendfile with a NULL offset); otherwise it stays (an explicit offset: pread semantics,
//    and no extra lseek, so a server's sendfile is one host call);
//  * errors: out_fd not a socket → NOTSOCK; in_fd a directory → ISDIR; no FD_READ right → NOTCAPABLE; a file the
//    kernel cannot sendfile from (a pipe, a socket) → INVAL.
// Offloaded sends queued on the socket go first: the queue is drained before the kernel call, so the bytes reach
// the peer in the order the guest sent them (a response's headers through the pool, then its body from here).
static Errno sock_send_file(Instance& inst, uint32_t out_fd, uint32_t in_fd, uint64_t offset, uint64_t count,
                            uint32_t sent_p) {
  FdRef s;
  if (Errno r = LookupSocket(inst, out_fd, rights::FD_WRITE, &s)) return r;
  FdRef f;
  if (Errno r = inst.fds().Lookup(in_fd, rights::FD_READ, &f)) return r;
  if (f->IsDirectory()) return err::ISDIR;
  if (!inst.mem.InBounds(sent_p, 8)) return err::FAULT;
  if (offset > uint64_t(INT64_MAX) || count > uint64_t(INT64_MAX) - offset) return err::INVAL;
  const int64_t told = f->told_position.exchange(-1, std::memory_order_relaxed);
  if (s->offloadable) {
    if (Errno r = CheckOffloadError(*s, true)) return r;
    if (Offload* off = inst.proc->offload())
      if (s->offload_ops.load(std::memory_order_acquire) > 0 && !off->WaitIdle(inst, *s)) return err::INTR;
  }
  const bool nonblock = s->nonblocking();
  // sendfile has no MSG_DONTWAIT: for a blocking guest, the host socket is made non-blocking once (the other
  // socket calls use MSG_DONTWAIT anyway) and the guest waits for room in the one wait primitive (wait.h), so a
  // signal interrupts it like any blocking send.
  if (!nonblock && !s->host_nonblock_pinned.load(std::memory_order_relaxed)) PinHostNonblocking(*s);
  uint64_t done = 0;
  Errno failure = err::SUCCESS;
  while (done < count) {
    size_t chunk = size_t(std::min<uint64_t>(count - done, 1u << 30));
    ssize_t n = SendFileOnce(s->host_fd, f->host_fd, off_t(offset + done), chunk);
    if (n > 0) {
      done += uint64_t(n);
      if (nonblock) break;  // what fitted now
      continue;
    }
    if (n == 0) break;  // end of file
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (nonblock) {
        if (done == 0) failure = err::AGAIN;
        break;
      }
      struct timeval tv = {};
      socklen_t l = sizeof tv;
      getsockopt(s->host_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &l);
      uint64_t timeout = (tv.tv_sec || tv.tv_usec) ? uint64_t(tv.tv_sec) * 1000000000ull + uint64_t(tv.tv_usec) * 1000ull
                                                   : wait::kForever;
      WaitResult w = WaitFd(inst, s->host_fd, POLLOUT, timeout);
      if (w == WaitResult::kReady) continue;
      // A send timeout: what was sent, or AGAIN; interrupted (INTR) or failed: what was sent, or the error.
      if (done == 0) failure = w == WaitResult::kTimedOut ? err::AGAIN : WaitErrno(w);
      break;
    }
    if (done == 0) failure = LastErrno();  // after some bytes, report those; the error resurfaces next call
    break;
  }
  if (done > 0 && told >= 0 && uint64_t(told) == offset) lseek(f->host_fd, off_t(offset + done), SEEK_SET);
  if (failure) return failure;
  return StoreU64(inst, sent_p, done);
}
WASMX_WASIX(sock_send_file);
}  // namespace wasmx
