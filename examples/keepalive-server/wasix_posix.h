/*
 * The POSIX socket and epoll calls server.c uses, implemented on the raw WASIX imports (include/wasix/{sockets,epoll,fd}.h), for
 * builds against a plain WASI libc (Debian's wasi-libc has neither BSD sockets nor epoll). Included by server.c
 * only under __wasi__; a native build uses the system's headers instead.
 *
 * Only what the server needs: socket, setsockopt (SO_REUSEADDR, TCP_NODELAY), bind, listen, accept4, recv, send,
 * shutdown, epoll_create1, epoll_ctl, epoll_wait. close() and fcntl(F_GETFL/F_SETFL, O_NONBLOCK) come from
 * wasi-libc itself (fd_close, fd_fdstat_get / fd_fdstat_set_flags). Errors return -1 with errno set to the WASI
 * errno, which under wasi-libc *is* the libc errno (EAGAIN == 6, ...), so the server's errno checks work as is.
 *
 * ABI points (wasix-abi.md): addr_port_t is 110 bytes with the port as a little-endian u16 at @2 and the IPv4
 * octets at @4 (§6.1.1); epoll_event_t is 32 bytes with the data at @8, echoed back verbatim (§6.3.1); epoll
 * bits are WASIX bits (§6.3.2); epoll_ctl ops are the witx's 0/1/2 (§6.3.3); epoll_wait takes nanoseconds as an
 * i64, u64::MAX = forever (§9.5).
 */
#ifndef KEEPALIVE_WASIX_POSIX_H
#define KEEPALIVE_WASIX_POSIX_H

#ifndef __wasi__
#error "wasix_posix.h is for wasm32-wasi builds only"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>
#include <wasix/epoll.h>
#include <wasix/sockets.h>

/* Constants wasi-libc does not define. They are only ever interpreted by the functions below. */
#ifndef SO_REUSEADDR
#define SO_REUSEADDR 2
#endif
#ifndef MSG_DONTWAIT
#define MSG_DONTWAIT 0x40
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0x4000 /* accepted and ignored: WASIX delivers no SIGPIPE (§9.3) */
#endif

static inline int wxp_fail(int e) {
  errno = e;
  return -1;
}

/* --- sockets ------------------------------------------------------------------------------------------------- */

static inline int wxp_socket(int domain, int type, int protocol) {
  if (domain != AF_INET) return wxp_fail(EAFNOSUPPORT);
  /* wasi-libc's SOCK_STREAM / SOCK_DGRAM are preview1 filetypes (6 / 5), not WASIX sock_type values. */
  int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  uint8_t st;
  uint16_t proto;
  if (base == SOCK_STREAM) st = WASIX_SOCK_STREAM, proto = WASIX_PROTO_TCP;
  else if (base == SOCK_DGRAM) st = WASIX_SOCK_DGRAM, proto = WASIX_PROTO_UDP;
  else return wxp_fail(EINVAL);
  if (protocol != 0) proto = (uint16_t)protocol;
  wasix_fd_t fd;
  wasix_errno_t r = wasix_sock_open(WASIX_AF_INET4, st, proto, &fd);
  if (r) return wxp_fail(r & 0xffff);
  /* Unlike wasi-libc's socket(), honour SOCK_NONBLOCK. */
  if ((type & SOCK_NONBLOCK) && (r = __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_NONBLOCK))) {
    (void)__wasi_fd_close(fd);
    return wxp_fail(r & 0xffff);
  }
  return (int)fd;
}

static inline int wxp_setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  uint8_t opt;
  if (level == SOL_SOCKET && name == SO_REUSEADDR) opt = WASIX_SOCK_OPT_REUSE_ADDR;
  else if (level == IPPROTO_TCP && name == TCP_NODELAY) opt = WASIX_SOCK_OPT_NO_DELAY;
  else return wxp_fail(ENOPROTOOPT);
  if (!val || len < sizeof(int)) return wxp_fail(EINVAL);
  int on;
  memcpy(&on, val, sizeof on);
  /* The value, not the pointer (wasi-libc bug, §9.8). */
  wasix_errno_t r = wasix_sock_set_opt_flag((wasix_fd_t)fd, opt, on != 0);
  return r ? wxp_fail(r & 0xffff) : 0;
}

static inline int wxp_bind(int fd, const struct sockaddr *sa, socklen_t len) {
  if (!sa || len < sizeof(struct sockaddr_in)) return wxp_fail(EINVAL);
  const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
  if (in->sin_family != AF_INET) return wxp_fail(EAFNOSUPPORT);
  wasix_addr_port_t a;
  memset(&a, 0, sizeof a);
  a.tag = WASIX_AF_INET4;
  a.u.inet4.port = ntohs(in->sin_port); /* the port number itself, stored little-endian (§6.1.1) */
  memcpy(a.u.inet4.addr, &in->sin_addr, 4);
  wasix_errno_t r = wasix_sock_bind((wasix_fd_t)fd, &a);
  return r ? wxp_fail(r & 0xffff) : 0;
}

static inline int wxp_listen(int fd, int backlog) {
  wasix_errno_t r = wasix_sock_listen((wasix_fd_t)fd, backlog < 0 ? 0u : (uint32_t)backlog);
  return r ? wxp_fail(r & 0xffff) : 0;
}

static inline int wxp_accept4(int fd, struct sockaddr *sa, socklen_t *lenp, int flags) {
  wasix_fd_t nfd;
  wasix_addr_port_t peer;
  wasix_errno_t r = wasix_sock_accept_v2((wasix_fd_t)fd, (flags & SOCK_NONBLOCK) ? WASIX_FDFLAG_NONBLOCK : 0, &nfd, &peer);
  if (r) return wxp_fail(r & 0xffff);
  if (sa && lenp) {
    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    if (peer.tag == WASIX_AF_INET4) {
      in.sin_family = AF_INET;
      in.sin_port = htons(peer.u.inet4.port);
      memcpy(&in.sin_addr, peer.u.inet4.addr, 4);
    } else {
      in.sin_family = AF_UNSPEC;
    }
    socklen_t n = *lenp < sizeof in ? *lenp : (socklen_t)sizeof in;
    memcpy(sa, &in, n);
    *lenp = sizeof in;
  }
  return (int)nfd;
}

static inline ssize_t wxp_recv(int fd, void *buf, size_t len, int flags) {
  wasix_iovec_t iov = {buf, (uint32_t)len};
  uint32_t n = 0;
  uint16_t ro = 0;
  uint16_t ri = (uint16_t)((flags & MSG_PEEK ? WASIX_RECV_PEEK : 0) | (flags & MSG_WAITALL ? WASIX_RECV_WAITALL : 0) |
                           (flags & MSG_DONTWAIT ? WASIX_RECV_DONT_WAIT : 0));
  wasix_errno_t r = wasix_sock_recv((wasix_fd_t)fd, &iov, 1, ri, &n, &ro);
  return r ? wxp_fail(r & 0xffff) : (ssize_t)n;
}

static inline ssize_t wxp_send(int fd, const void *buf, size_t len, int flags) {
  wasix_ciovec_t iov = {buf, (uint32_t)len};
  uint32_t n = 0;
  wasix_errno_t r = wasix_sock_send((wasix_fd_t)fd, &iov, 1, (flags & MSG_DONTWAIT) ? WASIX_SEND_DONT_WAIT : 0, &n);
  return r ? wxp_fail(r & 0xffff) : (ssize_t)n;
}

static inline int wxp_shutdown(int fd, int how) {
  /* wasi-libc's SHUT_RD / SHUT_WR / SHUT_RDWR are the WASI sdflags 1 / 2 / 3, as WASIX expects. */
  wasix_errno_t r = wasix_sock_shutdown((wasix_fd_t)fd, (uint8_t)how);
  return r ? wxp_fail(r & 0xffff) : 0;
}

/* wasi-libc declares its own accept4/recv/send/shutdown (preview1-only versions): route the server's calls here. */
#define socket(d, t, p) wxp_socket(d, t, p)
#define setsockopt(fd, l, n, v, len) wxp_setsockopt(fd, l, n, v, len)
#define bind(fd, sa, len) wxp_bind(fd, sa, len)
#define listen(fd, b) wxp_listen(fd, b)
#define accept4(fd, sa, lenp, fl) wxp_accept4(fd, sa, lenp, fl)
#define recv(fd, b, n, fl) wxp_recv(fd, b, n, fl)
#define send(fd, b, n, fl) wxp_send(fd, b, n, fl)
#define shutdown(fd, how) wxp_shutdown(fd, how)

/* --- epoll ---------------------------------------------------------------------------------------------------- */

/* Event bits: the WASIX values (the host never sees Linux's). */
#define EPOLLIN WASIX_EPOLLIN
#define EPOLLOUT WASIX_EPOLLOUT
#define EPOLLRDHUP WASIX_EPOLLRDHUP
#define EPOLLPRI WASIX_EPOLLPRI
#define EPOLLERR WASIX_EPOLLERR
#define EPOLLHUP WASIX_EPOLLHUP
#define EPOLLET WASIX_EPOLLET
#define EPOLLONESHOT WASIX_EPOLLONESHOT

/* Linux's op numbers for source compatibility; mapped to the witx's below. */
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLL_CLOEXEC 0

typedef union epoll_data {
  void *ptr;
  int fd;
  uint32_t u32;
  uint64_t u64;
} epoll_data_t;

/* Laid out as the host's 32-byte epoll_event_t: the user's 8-byte union sits in the host's data bytes @8..15,
 * which the host echoes back verbatim, so epoll_wait can hand the caller's array straight to the host. */
struct epoll_event {
  uint32_t events;
  uint32_t pad_;
  epoll_data_t data;
  uint8_t reserved_[16];
};
_Static_assert(sizeof(struct epoll_event) == sizeof(wasix_epoll_event_t), "epoll_event matches the ABI's size");
_Static_assert(offsetof(struct epoll_event, data) == offsetof(wasix_epoll_event_t, data), "data @8");
_Static_assert(_Alignof(struct epoll_event) == _Alignof(wasix_epoll_event_t), "epoll_event alignment");

static inline int epoll_create1(int flags) {
  (void)flags;
  wasix_fd_t ep;
  wasix_errno_t r = wasix_epoll_create(&ep);
  return r ? wxp_fail(r & 0xffff) : (int)ep;
}

static inline int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev) {
  uint32_t wop;
  switch (op) {
    case EPOLL_CTL_ADD: wop = WASIX_EPOLL_CTL_ADD; break;
    case EPOLL_CTL_MOD: wop = WASIX_EPOLL_CTL_MOD; break;
    case EPOLL_CTL_DEL: wop = WASIX_EPOLL_CTL_DEL; break;
    default: return wxp_fail(EINVAL);
  }
  wasix_epoll_event_t wev;
  memset(&wev, 0, sizeof wev);
  if (ev) {
    wev.events = ev->events;
    memcpy(&wev.data, &ev->data, sizeof ev->data); /* ptr/fd/u32/u64 all live at @8 */
  }
  wasix_errno_t r = wasix_epoll_ctl((wasix_fd_t)ep, wop, (wasix_fd_t)fd, op == EPOLL_CTL_DEL ? NULL : &wev);
  return r ? wxp_fail(r & 0xffff) : 0;
}

static inline int epoll_wait(int ep, struct epoll_event *evs, int maxevents, int timeout_ms) {
  if (maxevents <= 0) return wxp_fail(EINVAL);
  uint64_t ns = timeout_ms < 0 ? WASIX_EPOLL_TIMEOUT_FOREVER : (uint64_t)timeout_ms * 1000000u;
  uint32_t n = 0;
  wasix_errno_t r = wasix_epoll_wait((wasix_fd_t)ep, (wasix_epoll_event_t *)evs, (uint32_t)maxevents, ns, &n);
  return r ? wxp_fail(r & 0xffff) : (int)n;
}

#endif /* KEEPALIVE_WASIX_POSIX_H */
