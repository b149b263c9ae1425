#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "syscall.h"

namespace wasmx {
// sock_pair(af, socktype, proto, fd1_p, fd2_p): socketpair() — a connected pair of host AF_UNIX sockets, so
// fd_read/fd_write, sock_recv/sock_send, shutdown and epoll all behave as on the host. Only AF_UNIX (the one
// family socketpair supports; INET → NOTSUP like Linux's EOPNOTSUPP) and STREAM / DGRAM / SEQPACKET. proto is 0
// or the one protocol of the type: wasix-libc's socketpair() turns protocol 0 into IPPROTO_TCP for STREAM and
// IPPROTO_UDP for DGRAM before calling us, so those two mean "the default" here (Linux itself would refuse them
// for AF_UNIX); anything else is PROTONOSUPPORT. Purely local IPC, so it is allowed without --net.
static Errno sock_pair(Instance& inst, uint32_t af_, uint32_t socktype_, uint32_t proto_, uint32_t fd1_p,
                       uint32_t fd2_p) {
  const uint8_t family = af_ & 0xff, type = socktype_ & 0xff;
  const uint16_t proto = proto_ & 0xffff;
  if (family == af::INET4 || family == af::INET6) return err::NOTSUP;
  if (family != af::UNIX) return err::AFNOSUPPORT;
  int host_type;
  uint8_t ft;
  uint16_t default_proto = 0;  // what libc substitutes for protocol 0 (sock_proto TCP = 6, UDP = 17)
  switch (type) {
    case socktype::STREAM: host_type = SOCK_STREAM, ft = filetype::SOCKET_STREAM, default_proto = 6; break;
    case socktype::DGRAM: host_type = SOCK_DGRAM, ft = filetype::SOCKET_DGRAM, default_proto = 17; break;
    case socktype::SEQPACKET: host_type = SOCK_SEQPACKET, ft = 9 /* SOCKET_SEQPACKET (wasix) */; break;
    default: return err::INVAL;
  }
  if (proto != 0 && proto != default_proto) return err::PROTONOSUPPORT;
  if (!inst.mem.InBounds(fd1_p, 4) || !inst.mem.InBounds(fd2_p, 4)) return err::FAULT;
  int sv[2];
#ifdef SOCK_CLOEXEC
  if (socketpair(AF_UNIX, host_type | SOCK_CLOEXEC, 0, sv) != 0) return LastErrno();
#else
  if (socketpair(AF_UNIX, host_type, 0, sv) != 0) return LastErrno();
  fcntl(sv[0], F_SETFD, FD_CLOEXEC);
  fcntl(sv[1], F_SETFD, FD_CLOEXEC);
#endif
  FdPtr ends[2];
  for (int i = 0; i < 2; i++) {
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(sv[i], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);  // macOS: no MSG_NOSIGNAL (fd_io.cc)
#endif
    ends[i] = std::make_shared<FdEntry>(sv[i], FdKind::kSocket, ft);
    ends[i]->sock_family = af::UNIX;
    ends[i]->sock_type = type;
  }
  return InstallFdPair(inst, ends[0], ends[1], fd1_p, fd2_p);
}
WASMX_WASIX(sock_pair);
}  // namespace wasmx
