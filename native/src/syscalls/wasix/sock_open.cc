#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "socket_util.h"
#include "syscall.h"

namespace wasmx {
// Creates a host socket (always CLOEXEC, blocking: libc's SOCK_NONBLOCK never arrives, ABI §5.1). INET4/INET6
// with STREAM (TCP) or DGRAM (UDP), UNIX with STREAM or DGRAM (protocol 0). Unknown enum values → INVAL; known but unsupported family → AFNOSUPPORT;
// unsupported type or protocol → NOTSUP (W's rule).
static Errno sock_open(Instance& inst, uint32_t af_in, uint32_t type_in, uint32_t proto_in, uint32_t fd_p) {
  const uint8_t family = uint8_t(af_in), type = uint8_t(type_in);
  const uint16_t proto = uint16_t(proto_in);
  // AF_UNIX needs no --net: its addresses are file names confined beneath the preopens (unix_addr.h), and
  // abstract names are checked against --net where they are used.
  if (family != af::UNIX || af_in > 0xff)
    if (Errno r = CheckNet(inst)) return r;
  if (family > af::UNIX || type > socktype::SEQPACKET || proto > 263) return err::INVAL;
  if (family != af::INET4 && family != af::INET6 && family != af::UNIX) return err::AFNOSUPPORT;
  if (type != socktype::STREAM && type != socktype::DGRAM) return err::NOTSUP;
  int host_proto;
  if (family == af::UNIX) {
    if (proto != 0) return err::NOTSUP;
    host_proto = 0;
  } else if (type == socktype::STREAM && (proto == sockproto::IP || proto == sockproto::TCP)) host_proto = IPPROTO_TCP;
  else if (type == socktype::DGRAM && (proto == sockproto::IP || proto == sockproto::UDP)) host_proto = IPPROTO_UDP;
  else return err::NOTSUP;
  if (!inst.mem.InBounds(fd_p, 4)) return err::FAULT;

  int host_type = type == socktype::STREAM ? SOCK_STREAM : SOCK_DGRAM;
#ifndef __APPLE__
  host_type |= SOCK_CLOEXEC;
#endif
  int hfd = socket(family == af::INET4 ? AF_INET : family == af::INET6 ? AF_INET6 : AF_UNIX, host_type, host_proto);
  if (hfd < 0) return LastErrno();
  if (Errno r = PrepareHostSocket(hfd, false)) {
    ::close(hfd);
    return r;
  }
  uint32_t fd;
  if (Errno r = InstallSocket(inst, hfd, family, type, false, &fd)) return r;
  return StoreU32(inst, fd_p, fd);
}
WASMX_WASIX(sock_open);
}  // namespace wasmx
