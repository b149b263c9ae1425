#include "socket_util.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "errno_map.h"
#include "wait.h"
#include "wasi_serdes.h"

namespace wasmx {

Errno CheckNet(Instance& inst) {
  if (inst.proc->net_allowed()) return err::SUCCESS;
  inst.proc->HintNetDenied();
  return err::ACCES;
}

Errno LookupSocket(Instance& inst, uint32_t fd, uint64_t needed, FdRef* out) {
  FdRef e = inst.fds().Get(fd);
  if (!e) return err::BADF;
  if (e->kind != FdKind::kSocket) return err::NOTSOCK;
  if ((e->rights_base & needed) != needed) return err::NOTCAPABLE;
  *out = std::move(e);
  return err::SUCCESS;
}

Errno PrepareHostSocket(int host_fd, bool nonblock) {
#ifdef __APPLE__
  if (fcntl(host_fd, F_SETFD, FD_CLOEXEC) < 0) return LastErrno();
  int one = 1;
  if (setsockopt(host_fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) < 0) return LastErrno();
  if (nonblock) {
    int fl = fcntl(host_fd, F_GETFL);
    if (fl < 0 || fcntl(host_fd, F_SETFL, fl | O_NONBLOCK) < 0) return LastErrno();
  }
#else
  (void)host_fd;
  (void)nonblock;
#endif
  return err::SUCCESS;
}

Errno InstallSocket(Instance& inst, int host_fd, uint8_t wasi_family, uint8_t wasi_type, bool nonblock,
                    uint32_t* guest_fd, bool offloadable) {
  auto e = std::make_shared<FdEntry>(host_fd, FdKind::kSocket,
                                     wasi_type == socktype::DGRAM ? filetype::SOCKET_DGRAM : filetype::SOCKET_STREAM);
  e->sock_family = wasi_family;
  e->sock_type = wasi_type;
  e->rights_base = kSocketRights;
  e->rights_inheriting = 0;
  if (nonblock) e->fdflags.store(fdflags::NONBLOCK);
  e->offloadable = offloadable;
  return inst.fds().Insert(std::move(e), 0, guest_fd);  // on MFILE the entry's destructor closes host_fd
}

uint8_t AddrFamily(const struct sockaddr_storage& ss) {
  switch (ss.ss_family) {
    case AF_INET: return af::INET4;
    case AF_INET6: return af::INET6;
    case AF_UNIX: return af::UNIX;
    default: return af::UNSPEC;
  }
}

uint16_t AddrPort(const struct sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const struct sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const struct sockaddr_in6&>(ss).sin6_port);
  return 0;
}

uint8_t SocketFamily(const FdEntry& e) {
  if (e.sock_family != af::UNSPEC) return e.sock_family;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(e.host_fd, reinterpret_cast<struct sockaddr*>(&ss), &len) < 0) return af::UNSPEC;
  return AddrFamily(ss);
}

bool FlagOption(uint8_t opt, uint8_t family, HostSockOpt* out) {
  switch (opt) {
    case sockopt::REUSE_PORT: *out = {SOL_SOCKET, SO_REUSEPORT}; return true;
    case sockopt::REUSE_ADDR: *out = {SOL_SOCKET, SO_REUSEADDR}; return true;
    case sockopt::NO_DELAY: *out = {IPPROTO_TCP, TCP_NODELAY}; return true;
    case sockopt::DONT_ROUTE: *out = {SOL_SOCKET, SO_DONTROUTE}; return true;
    case sockopt::ONLY_V6: *out = {IPPROTO_IPV6, IPV6_V6ONLY}; return family == af::INET6;
    case sockopt::BROADCAST: *out = {SOL_SOCKET, SO_BROADCAST}; return true;
    case sockopt::MULTICAST_LOOP_V6: *out = {IPPROTO_IPV6, IPV6_MULTICAST_LOOP}; return family == af::INET6;
    case sockopt::LISTENING: *out = {SOL_SOCKET, SO_ACCEPTCONN}; return true;  // get only: the kernel refuses a set
    case sockopt::KEEP_ALIVE: *out = {SOL_SOCKET, SO_KEEPALIVE}; return true;
    case sockopt::OOB_INLINE: *out = {SOL_SOCKET, SO_OOBINLINE}; return true;
    default: return false;  // MULTICAST_LOOP_V4 takes a u_char on macOS; PROMISCUOUS has no socket-level meaning
  }
}

bool SizeOption(uint8_t opt, uint8_t family, HostSockOpt* out) {
  switch (opt) {
    case sockopt::RECV_BUF_SIZE: *out = {SOL_SOCKET, SO_RCVBUF}; return true;
    case sockopt::SEND_BUF_SIZE: *out = {SOL_SOCKET, SO_SNDBUF}; return true;
    case sockopt::TTL:
      *out = family == af::INET6 ? HostSockOpt{IPPROTO_IPV6, IPV6_UNICAST_HOPS} : HostSockOpt{IPPROTO_IP, IP_TTL};
      return true;
#ifdef __linux__  // BSDs take a u_char for it
    case sockopt::MULTICAST_TTL_V4: *out = {IPPROTO_IP, IP_MULTICAST_TTL}; return family == af::INET4;
#endif
    default: return false;
  }
}

Errno AcceptSocket(Instance& inst, uint32_t fd, uint32_t flags, uint32_t fd_p, uint32_t addr_p, bool want_addr) {
  FdRef e;
  if (Errno r = LookupSocket(inst, fd, rights::SOCK_ACCEPT, &e)) return r;
  if (flags & ~uint32_t(fdflags::ALL)) return err::INVAL;
  // Check the outputs before accepting: a connection taken off the queue must not be lost to a FAULT.
  if (!inst.mem.InBounds(fd_p, 4)) return err::FAULT;
  if (want_addr && !inst.mem.InBounds(addr_p, kAddrPortSize)) return err::FAULT;

  const bool guest_nonblock = e->nonblocking();
  // The new socket is non-blocking if asked for or if the listener is (wasmer's inheritance rule; we follow it for
  // compatibility with guests written against wasmer, ABI §9.2 — Linux would not inherit).
  const bool new_nonblock = (flags & fdflags::NONBLOCK) || guest_nonblock;
  const uint64_t timeout = e->accept_timeout_ns.load(std::memory_order_relaxed);

  struct sockaddr_storage ss;
  socklen_t len;
  int hfd;
  for (;;) {
    len = sizeof ss;
#ifdef __APPLE__
    hfd = accept(e->host_fd, reinterpret_cast<struct sockaddr*>(&ss), &len);
#else
    hfd = accept4(e->host_fd, reinterpret_cast<struct sockaddr*>(&ss), &len,
                  SOCK_CLOEXEC | (new_nonblock ? SOCK_NONBLOCK : 0));
#endif
    if (hfd >= 0) break;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && !guest_nonblock) {
      // Listeners are non-blocking on the host (sock_listen, preopened listeners): a blocking accept waits in the
      // one wait primitive, where a signal interrupts it and serve's drain stops it. Once the process drains, what
      // was queued has been handed out: stop.
      if (inst.proc->draining()) return err::SHUTDOWN;
      WaitResult w = WaitFd(inst, e->host_fd, POLLIN, timeout ? timeout : wait::kForever, wait::kCall | wait::kDrain);
      if (w == WaitResult::kReady) continue;
      if (w == WaitResult::kInterrupted && inst.proc->draining() && !Interrupted(inst, wait::kCall)) continue;
      return WaitErrno(w);  // TIMEDOUT (ACCEPT_TIMEOUT), INTR, or an errno
    }
    return LastErrno();
  }
  if (Errno r = PrepareHostSocket(hfd, new_nonblock)) {
    ::close(hfd);
    return r;
  }
  uint32_t newfd;
  // Accepted TCP connections are the sockets the offload pool takes (never the listener, UDP, unix sockets or
  // sockets the guest connects itself: a send there may legitimately fail before the connection exists).
  const uint8_t family = SocketFamily(*e);
  const bool offloadable = inst.proc->offload() && (family == af::INET4 || family == af::INET6);
  if (Errno r = InstallSocket(inst, hfd, family, socktype::STREAM, new_nonblock, &newfd, offloadable)) return r;
  if (want_addr) WriteAddrPort(inst.mem, addr_p, reinterpret_cast<struct sockaddr*>(&ss), len);
  return inst.mem.Store<uint32_t>(fd_p, newfd) ? err::SUCCESS : err::FAULT;
}

Errno RecvFlags(uint32_t riflags, int* msg_flags, bool* dont_wait) {
  if (riflags & ~uint32_t(riflags::PEEK | riflags::WAITALL | riflags::DATA_TRUNCATED | riflags::DONT_WAIT))
    return err::INVAL;
  *msg_flags = 0;
  if (riflags & riflags::PEEK) *msg_flags |= MSG_PEEK;
  if (riflags & riflags::WAITALL) *msg_flags |= MSG_WAITALL;
  // DATA_TRUNCATED (libc sets it for MSG_TRUNC) is accepted and ignored: MSG_TRUNC would make the host return
  // lengths larger than the guest's buffers (datagrams) or discard data (Linux TCP). roflags reports truncation.
  *dont_wait = (riflags & riflags::DONT_WAIT) != 0;
  return err::SUCCESS;
}

Errno SendFlags(uint32_t siflags, bool* dont_wait) {
  if (siflags & ~uint32_t(siflags::DONT_WAIT)) return err::INVAL;
  *dont_wait = (siflags & siflags::DONT_WAIT) != 0;
  return err::SUCCESS;
}

}  // namespace wasmx
