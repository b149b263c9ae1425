// Helpers shared by the sock_* syscalls (ABI §5.1, §9).
//
// Network permission (--net, Process::net_allowed()): checked where a guest *creates* a network socket — sock_open
// (and sock_pair / resolve, owned elsewhere, should call CheckNet too). Every other sock_* call works on an fd that
// already is a socket, which without --net can only be one the embedder handed in on purpose (preopened listeners),
// so those calls do not check again: a denied guest never gets a socket to call them on.
#pragma once
#include <sys/socket.h>

#include <cstdint>

#include "fd_table.h"
#include "instance.h"
#include "wasi_types.h"

namespace wasmx {

// ACCES (and the one-time stderr hint) when the process was not given --net.
Errno CheckNet(Instance& inst);

// Looks up guest `fd` as a socket: BADF when not open, NOTSOCK when not a socket, NOTCAPABLE when it lacks `needed`.
Errno LookupSocket(Instance& inst, uint32_t fd, uint64_t needed, FdRef* out);

// The rights a socket fd carries (W's `all_socket` set, ABI §4.3).
constexpr uint64_t kSocketRights = rights::FD_FDSTAT_SET_FLAGS | rights::FD_FILESTAT_GET | rights::FD_READ |
                                   rights::FD_WRITE | rights::POLL_FD_READWRITE | rights::SOCK_SHUTDOWN |
                                   rights::SOCK_ACCEPT | rights::SOCK_ALL;

// Host-side setup every new host socket gets that the platform cannot do atomically at creation (macOS:
// FD_CLOEXEC, SO_NOSIGPIPE; `nonblock` sets O_NONBLOCK there). Linux passes SOCK_CLOEXEC/SOCK_NONBLOCK instead.
// Returns a host errno-style failure as LastErrno().
Errno PrepareHostSocket(int host_fd, bool nonblock);

// A new guest socket entry for host fd `host_fd` (takes ownership), installed at the lowest free guest fd.
// On failure the host fd is closed.
// `offloadable`: the offload pool may take this socket's sends, shutdown(WR) and close (accepted TCP sockets).
Errno InstallSocket(Instance& inst, int host_fd, uint8_t wasi_family, uint8_t wasi_type, bool nonblock,
                    uint32_t* guest_fd, bool offloadable = false);

// The WASI address family of a host address (UNSPEC for what WASI cannot name), and its port (host order).
uint8_t AddrFamily(const struct sockaddr_storage& ss);
uint16_t AddrPort(const struct sockaddr_storage& ss);

// A sock_option carried by a host setsockopt(level, name) int (flag and size options).
struct HostSockOpt {
  int level;
  int name;
};
// The host option for WASI flag option `opt` on a socket of WASI family `family`; false when unsupported.
bool FlagOption(uint8_t opt, uint8_t family, HostSockOpt* out);
// The same for size options (RECV_BUF_SIZE, SEND_BUF_SIZE, TTL, MULTICAST_TTL_V4).
bool SizeOption(uint8_t opt, uint8_t family, HostSockOpt* out);

// The WASI address family of a socket: the one recorded at creation, else (preopened sockets) asked from the host.
uint8_t SocketFamily(const FdEntry& e);

// accept for sock_accept (preview1, addr_p unused when !want_addr) and sock_accept_v2.
Errno AcceptSocket(Instance& inst, uint32_t fd, uint32_t flags, uint32_t fd_p, uint32_t addr_p, bool want_addr);

// Validates riflags / siflags (unknown bits → INVAL) and returns the host MSG_* flags they ask for.
Errno RecvFlags(uint32_t riflags, int* msg_flags, bool* dont_wait);
Errno SendFlags(uint32_t siflags, bool* dont_wait);

}  // namespace wasmx
