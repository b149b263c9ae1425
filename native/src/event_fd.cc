#include "event_fd.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <cerrno>
#include <cstring>

#include "errno_map.h"
#include "fd_io.h"

namespace wasmx {

EventEntry::EventEntry(int host_fd, int aux, bool semaphore)
    : FdEntry(host_fd, FdKind::kEvent, filetype::UNKNOWN), semaphore(semaphore) {
  aux_fd = aux;
  rights_base = rights::FD_READ | rights::FD_WRITE | rights::POLL_FD_READWRITE | rights::FD_FDSTAT_SET_FLAGS |
                rights::FD_FILESTAT_GET;
  rights_inheriting = 0;
}

namespace {

// The 8 bytes at the start of the iovecs (gather) / into them (scatter). Callers check total() >= 8.
uint64_t Gather(IoVecs& iov) {
  uint8_t b[8];
  size_t got = 0;
  for (int i = 0; i < iov.count() && got < 8; i++) {
    size_t n = iov.data()[i].iov_len < 8 - got ? iov.data()[i].iov_len : 8 - got;
    std::memcpy(b + got, iov.data()[i].iov_base, n);
    got += n;
  }
  uint64_t v;
  std::memcpy(&v, b, 8);
  return v;
}

void Scatter(IoVecs& iov, uint64_t v) {
  uint8_t b[8];
  std::memcpy(b, &v, 8);
  size_t put = 0;
  for (int i = 0; i < iov.count() && put < 8; i++) {
    size_t n = iov.data()[i].iov_len < 8 - put ? iov.data()[i].iov_len : 8 - put;
    std::memcpy(iov.data()[i].iov_base, b + put, n);
    put += n;
  }
}

// A per-call "don't wait" on a blocking fd: is it ready right now?
[[maybe_unused]] bool ReadyNow(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int r;
  do r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

}  // namespace

#ifdef WASMX_REAL_EVENTFD

Errno CreateEventEntry(uint64_t initial, bool semaphore, FdPtr* out) {
  if (initial == UINT64_MAX) return err::INVAL;
  // eventfd(2) takes an unsigned int; larger initial values are written in after creation.
  // Non-blocking on the host whatever the guest's flag: a blocking guest read/write waits in the one wait
  // primitive (wait.h), where a signal can interrupt it.
  int fd = eventfd(initial <= 0xffffffffu ? unsigned(initial) : 0u,
                   EFD_CLOEXEC | EFD_NONBLOCK | (semaphore ? EFD_SEMAPHORE : 0));
  if (fd < 0) return LastErrno();
  if (initial > 0xffffffffu && ::write(fd, &initial, 8) != 8) {
    Errno r = LastErrno();
    ::close(fd);
    return r;
  }
  auto e = std::make_shared<EventEntry>(fd, -1, semaphore);
  e->host_nonblock_pinned.store(true);
  *out = std::move(e);
  return err::SUCCESS;
}

Errno EventRead(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* nread) {
  *nread = 0;
  if (iov.total() < 8) return err::INVAL;
  const bool nonblock = dont_wait || e.nonblocking();
  for (;;) {
    uint64_t v;
    ssize_t n = ::read(e.host_fd, &v, 8);
    if (n == 8) {
      Scatter(iov, v);
      *nread = 8;
      return err::SUCCESS;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && !nonblock) {
      if (Errno r = WaitReady(inst, e.host_fd, POLLIN)) return r;
      continue;
    }
    return n < 0 ? LastErrno() : err::IO;
  }
}

Errno EventWrite(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* written) {
  *written = 0;
  if (iov.total() < 8) return err::INVAL;
  const uint64_t v = Gather(iov);
  if (v == UINT64_MAX) return err::INVAL;
  const bool nonblock = dont_wait || e.nonblocking();
  for (;;) {
    ssize_t n = ::write(e.host_fd, &v, 8);
    if (n == 8) {
      *written = 8;
      return err::SUCCESS;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && !nonblock) {
      if (Errno r = WaitReady(inst, e.host_fd, POLLOUT)) return r;
      continue;
    }
    return n < 0 ? LastErrno() : err::IO;
  }
}

#else  // emulation: counter + socket pair

Errno CreateEventEntry(uint64_t initial, bool semaphore, FdPtr* out) {
  if (initial == UINT64_MAX) return err::INVAL;
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0) return LastErrno();
  for (int fd : sp) {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  }
  // The signal byte is written to and drained from these directly; never block on them.
  fcntl(sp[1], F_SETFL, fcntl(sp[1], F_GETFL) | O_NONBLOCK);
  auto e = std::make_shared<EventEntry>(sp[0], sp[1], semaphore);
  e->counter = initial;
  if (initial > 0 && ::write(sp[1], "", 1) != 1) return LastErrno();
  *out = std::move(e);
  return err::SUCCESS;
}

Errno EventRead(Instance& inst, FdEntry& fe, IoVecs& iov, bool dont_wait, uint64_t* nread) {
  auto& e = static_cast<EventEntry&>(fe);
  *nread = 0;
  if (iov.total() < 8) return err::INVAL;
  const bool nonblock = dont_wait || e.nonblocking();
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(e.mu);
      if (e.counter > 0) {
        uint64_t v = e.semaphore ? 1 : e.counter;
        e.counter -= v;
        if (e.counter == 0) {  // drop the signal bytes: host_fd is readable exactly while counter > 0
          char c[256];
          ssize_t r;
          do r = ::recv(e.host_fd, c, sizeof c, MSG_DONTWAIT);
          while (r == ssize_t(sizeof c) || (r < 0 && errno == EINTR));
        }
        e.room.notify_all();
        Scatter(iov, v);
        *nread = 8;
        return err::SUCCESS;
      }
    }
    if (nonblock) return err::AGAIN;
    if (Errno r = WaitReady(inst, e.host_fd, POLLIN)) return r;
  }
}

Errno EventWrite(Instance& inst, FdEntry& fe, IoVecs& iov, bool dont_wait, uint64_t* written) {
  auto& e = static_cast<EventEntry&>(fe);
  *written = 0;
  if (iov.total() < 8) return err::INVAL;
  const uint64_t v = Gather(iov);
  if (v == UINT64_MAX) return err::INVAL;
  const bool nonblock = dont_wait || e.nonblocking();
  std::unique_lock<std::mutex> lock(e.mu);
  const uint64_t kMax = UINT64_MAX - 1;
  if (e.counter > kMax - v) {
    if (nonblock) return err::AGAIN;
    e.room.wait(lock, [&] { return e.counter <= kMax - v; });
  }
  e.counter += v;
  if (e.counter > 0) {
    // One byte per write, as every eventfd write is a wake-up (a new edge for EPOLLET / EV_CLEAR watchers). If
    // the socket buffer is ever full, host_fd is readable anyway; only that extra edge is lost.
    ssize_t r;
    do r = ::write(e.aux_fd, "", 1);
    while (r < 0 && errno == EINTR);
  }
  *written = 8;
  return err::SUCCESS;
}

#endif

}  // namespace wasmx
