/*
 * wasmx's own declarations of the WASIX socket imports, for C guests built against a plain WASI libc (Debian's
 * wasi-libc has no BSD sockets). Layouts and values follow the ABI reference (wasix-abi.md §3, §4.4, §5.1, §6.1,
 * §6.4, §6.5). Every function returns a WASI errno (0 = success); its wasm parameter list is exactly the ABI
 * table's: narrow scalars (u8/u16) travel as i32, pointers as i32, `size` of sock_set_opt_size as i64.
 *
 * Names carry a wasix_ prefix so they never clash with <wasi/api.h>.
 */
#ifndef WASMX_WASIX_SOCKETS_H
#define WASMX_WASIX_SOCKETS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WASIX_IMPORT_(module, name) __attribute__((import_module(module), import_name(name)))
#define WASIX_IMPORT(name) WASIX_IMPORT_("wasix_32v1", name)
#define WASIX_PREVIEW1(name) WASIX_IMPORT_("wasi_snapshot_preview1", name)

typedef int32_t wasix_errno_t; /* the low 16 bits are the errno (§1.1) */
typedef uint32_t wasix_fd_t;

/* errno values the socket calls return (§1.2). */
enum {
  WASIX_ESUCCESS = 0, WASIX_EACCES = 2, WASIX_EADDRINUSE = 3, WASIX_EADDRNOTAVAIL = 4, WASIX_EAFNOSUPPORT = 5,
  WASIX_EAGAIN = 6, WASIX_EALREADY = 7, WASIX_EBADF = 8, WASIX_ECONNABORTED = 13, WASIX_ECONNREFUSED = 14,
  WASIX_ECONNRESET = 15, WASIX_EFAULT = 21, WASIX_EINPROGRESS = 26, WASIX_EINTR = 27, WASIX_EINVAL = 28,
  WASIX_EISCONN = 30, WASIX_EMFILE = 33, WASIX_ENOPROTOOPT = 50, WASIX_ENOSYS = 52, WASIX_ENOTCONN = 53,
  WASIX_ENOTSOCK = 57, WASIX_ENOTSUP = 58, WASIX_EPIPE = 64, WASIX_ETIMEDOUT = 73, WASIX_ENOTCAPABLE = 76
};

/* address_family (u8) */
enum { WASIX_AF_UNSPEC = 0, WASIX_AF_INET4 = 1, WASIX_AF_INET6 = 2, WASIX_AF_UNIX = 3 };
/* sock_type (u8) */
enum { WASIX_SOCK_UNUSED = 0, WASIX_SOCK_STREAM = 1, WASIX_SOCK_DGRAM = 2, WASIX_SOCK_RAW = 3, WASIX_SOCK_SEQPACKET = 4 };
/* sock_proto (u16): IANA numbers */
enum { WASIX_PROTO_IP = 0, WASIX_PROTO_TCP = 6, WASIX_PROTO_UDP = 17 };
/* sock_status (u8) */
enum { WASIX_SOCK_STATUS_OPENING = 0, WASIX_SOCK_STATUS_OPENED = 1, WASIX_SOCK_STATUS_CLOSED = 2, WASIX_SOCK_STATUS_FAILED = 3 };
/* sock_option (u8) */
enum {
  WASIX_SOCK_OPT_NOOP = 0, WASIX_SOCK_OPT_REUSE_PORT = 1, WASIX_SOCK_OPT_REUSE_ADDR = 2, WASIX_SOCK_OPT_NO_DELAY = 3,
  WASIX_SOCK_OPT_DONT_ROUTE = 4, WASIX_SOCK_OPT_ONLY_V6 = 5, WASIX_SOCK_OPT_BROADCAST = 6,
  WASIX_SOCK_OPT_MULTICAST_LOOP_V4 = 7, WASIX_SOCK_OPT_MULTICAST_LOOP_V6 = 8, WASIX_SOCK_OPT_PROMISCUOUS = 9,
  WASIX_SOCK_OPT_LISTENING = 10, WASIX_SOCK_OPT_LAST_ERROR = 11, WASIX_SOCK_OPT_KEEP_ALIVE = 12,
  WASIX_SOCK_OPT_LINGER = 13, WASIX_SOCK_OPT_OOB_INLINE = 14, WASIX_SOCK_OPT_RECV_BUF_SIZE = 15,
  WASIX_SOCK_OPT_SEND_BUF_SIZE = 16, WASIX_SOCK_OPT_RECV_LOWAT = 17, WASIX_SOCK_OPT_SEND_LOWAT = 18,
  WASIX_SOCK_OPT_RECV_TIMEOUT = 19, WASIX_SOCK_OPT_SEND_TIMEOUT = 20, WASIX_SOCK_OPT_CONNECT_TIMEOUT = 21,
  WASIX_SOCK_OPT_ACCEPT_TIMEOUT = 22, WASIX_SOCK_OPT_TTL = 23, WASIX_SOCK_OPT_MULTICAST_TTL_V4 = 24,
  WASIX_SOCK_OPT_TYPE = 25, WASIX_SOCK_OPT_PROTO = 26
};
/* fdflags (u16) used by accept */
enum { WASIX_FDFLAG_NONBLOCK = 4 };
/* riflags / roflags / siflags (u16, §4.4) */
enum { WASIX_RECV_PEEK = 1, WASIX_RECV_WAITALL = 2, WASIX_RECV_DATA_TRUNCATED = 4, WASIX_RECV_DONT_WAIT = 8 };
enum { WASIX_ROFLAG_DATA_TRUNCATED = 1 };
enum { WASIX_SEND_DONT_WAIT = 1 };
/* sdflags (u8) */
enum { WASIX_SHUT_RD = 1, WASIX_SHUT_WR = 2, WASIX_SHUT_RDWR = 3 };

/* addr_port_t (§6.1.1): 110 bytes, align 2. Port = the port number as a little-endian u16 (NOT network order);
 * address octets in network order. IPv6 flowinfo = flow_info1 << 16 | flow_info0 (same split for scope_id). */
typedef struct wasix_addr_port {
  uint8_t tag; /* address_family */
  uint8_t pad; /* must be 0 */
  union {
    struct { uint16_t port; uint8_t addr[4]; } inet4;
    struct {
      uint16_t port;
      uint8_t addr[16];
      uint16_t flow_info1, flow_info0, scope_id1, scope_id0;
    } inet6;
    struct { uint8_t path[108]; } unix_path;
    uint8_t bytes[108];
  } u;
} wasix_addr_port_t;
_Static_assert(sizeof(wasix_addr_port_t) == 110, "addr_port_t is 110 bytes");
_Static_assert(_Alignof(wasix_addr_port_t) == 2, "addr_port_t is 2-aligned");

/* option_timestamp_t (§6.5): 16 bytes; tag 0 = NONE, 1 = SOME; value = relative ns at @8. */
typedef struct wasix_option_timestamp {
  uint8_t tag;
  uint64_t value;
} wasix_option_timestamp_t;
_Static_assert(sizeof(wasix_option_timestamp_t) == 16, "option_timestamp_t is 16 bytes");

/* (c)iovec (§4.2) */
typedef struct wasix_iovec { void *buf; uint32_t buf_len; } wasix_iovec_t;
typedef struct wasix_ciovec { const void *buf; uint32_t buf_len; } wasix_ciovec_t;

/* --- wasix_32v1 (§5.1) --- */
WASIX_IMPORT("sock_open")
wasix_errno_t wasix_sock_open(uint8_t af, uint8_t socktype, uint16_t proto, wasix_fd_t *fd);
WASIX_IMPORT("sock_bind")
wasix_errno_t wasix_sock_bind(wasix_fd_t fd, const wasix_addr_port_t *addr);
WASIX_IMPORT("sock_listen")
wasix_errno_t wasix_sock_listen(wasix_fd_t fd, uint32_t backlog);
WASIX_IMPORT("sock_accept_v2")
wasix_errno_t wasix_sock_accept_v2(wasix_fd_t fd, uint16_t fdflags, wasix_fd_t *new_fd, wasix_addr_port_t *peer);
/* wasix_32v1.sock_accept: the 4-param alias of sock_accept_v2 (§2.3). */
WASIX_IMPORT("sock_accept")
wasix_errno_t wasix_sock_accept_alias(wasix_fd_t fd, uint16_t fdflags, wasix_fd_t *new_fd, wasix_addr_port_t *peer);
WASIX_IMPORT("sock_connect")
wasix_errno_t wasix_sock_connect(wasix_fd_t fd, const wasix_addr_port_t *addr);
WASIX_IMPORT("sock_status")
wasix_errno_t wasix_sock_status(wasix_fd_t fd, uint8_t *status);
WASIX_IMPORT("sock_addr_local")
wasix_errno_t wasix_sock_addr_local(wasix_fd_t fd, wasix_addr_port_t *addr);
WASIX_IMPORT("sock_addr_peer")
wasix_errno_t wasix_sock_addr_peer(wasix_fd_t fd, wasix_addr_port_t *addr);
WASIX_IMPORT("sock_set_opt_flag")
wasix_errno_t wasix_sock_set_opt_flag(wasix_fd_t fd, uint8_t opt, uint8_t flag);
WASIX_IMPORT("sock_get_opt_flag")
wasix_errno_t wasix_sock_get_opt_flag(wasix_fd_t fd, uint8_t opt, uint8_t *flag);
WASIX_IMPORT("sock_set_opt_time")
wasix_errno_t wasix_sock_set_opt_time(wasix_fd_t fd, uint8_t opt, const wasix_option_timestamp_t *time);
WASIX_IMPORT("sock_get_opt_time")
wasix_errno_t wasix_sock_get_opt_time(wasix_fd_t fd, uint8_t opt, wasix_option_timestamp_t *time);
WASIX_IMPORT("sock_set_opt_size")
wasix_errno_t wasix_sock_set_opt_size(wasix_fd_t fd, uint8_t opt, uint64_t size);
WASIX_IMPORT("sock_get_opt_size")
wasix_errno_t wasix_sock_get_opt_size(wasix_fd_t fd, uint8_t opt, uint64_t *size);
WASIX_IMPORT("sock_recv_from")
wasix_errno_t wasix_sock_recv_from(wasix_fd_t fd, const wasix_iovec_t *iovs, uint32_t iovs_len, uint16_t riflags,
                                   uint32_t *nread, uint16_t *roflags, wasix_addr_port_t *addr);
WASIX_IMPORT("sock_send_to")
wasix_errno_t wasix_sock_send_to(wasix_fd_t fd, const wasix_ciovec_t *iovs, uint32_t iovs_len, uint16_t siflags,
                                 const wasix_addr_port_t *addr, uint32_t *nsent);

/* --- wasi_snapshot_preview1 (§3; libc imports these from preview1) --- */
WASIX_PREVIEW1("sock_accept")
wasix_errno_t wasix_sock_accept(wasix_fd_t fd, uint16_t fdflags, wasix_fd_t *new_fd);
WASIX_PREVIEW1("sock_recv")
wasix_errno_t wasix_sock_recv(wasix_fd_t fd, const wasix_iovec_t *iovs, uint32_t iovs_len, uint16_t riflags,
                              uint32_t *nread, uint16_t *roflags);
WASIX_PREVIEW1("sock_send")
wasix_errno_t wasix_sock_send(wasix_fd_t fd, const wasix_ciovec_t *iovs, uint32_t iovs_len, uint16_t siflags,
                              uint32_t *nsent);
WASIX_PREVIEW1("sock_shutdown")
wasix_errno_t wasix_sock_shutdown(wasix_fd_t fd, uint8_t how);

/* sendfile(): up to `count` bytes of file `in_fd` from `offset` to socket `out_fd`; *sent = bytes sent (§5.1). */
WASIX_IMPORT("sock_send_file")
wasix_errno_t wasix_sock_send_file(wasix_fd_t out_fd, wasix_fd_t in_fd, uint64_t offset, uint64_t count, uint64_t *sent);

/* resolve(): addresses of `host` (a name, or a numeric IPv4/IPv6 address), at most `naddrs` entries of 18 bytes
 * (tag 1 = IPv4 / 2 = IPv6 @0, address bytes @2, §6.2); *count = entries written. */
typedef struct wasix_addr_ip { uint8_t tag; uint8_t pad; uint8_t bytes[16]; } wasix_addr_ip_t;
WASIX_IMPORT("resolve")
wasix_errno_t wasix_resolve(const char *host, uint32_t host_len, uint16_t port, wasix_addr_ip_t *addrs, uint32_t naddrs,
                            uint32_t *count);

#ifdef __cplusplus
}
#endif
#endif /* WASMX_WASIX_SOCKETS_H */
