// AF_UNIX addresses confined like files (sock_bind, sock_connect, sock_send_to).
//
// A Unix socket path is a file name, so the guest may only name one beneath its preopens, with path_open's rules:
// the guest path (relative ones are relative to the guest's cwd) is matched to the preopen whose guest name is its
// longest prefix, and the rest is resolved beneath that preopen by path_resolve (no `..` above it, no absolute or
// escaping symlinks: NOTCAPABLE). The host call then never sees the guest's text. It gets a path through
// /proc/self/fd, which the kernel resolves to the very object an fd holds, so nothing renamed or re-linked after
// the check can redirect it:
// - bind: the parent directory is opened beneath the preopen (O_PATH) and the host binds
//   "/proc/self/fd/<dir>/<name>"; `name` is one plain component, and bind never follows an existing name
//   (it fails with ADDRINUSE), so the new socket file is created exactly there.
// - connect / sendto: the socket file itself is opened beneath the preopen (O_PATH, symlinks followed only while
//   they stay inside), checked to be a socket, and the host connects to "/proc/self/fd/<fd>", the open inode.
// Abstract names (and the empty autobind address) are a host-wide namespace, not files: only with --net (ACCES and
// the --net hint otherwise). Without /proc (not Linux) Unix path addresses are refused with NOTSUP.
#pragma once
#include <sys/socket.h>

#include <string>

#include "instance.h"
#include "path_resolve.h"
#include "wasi_types.h"

namespace wasmx {

enum class UnixAddrUse { kBind, kConnect };

// The host address to use in place of the guest's, and the fd that must stay open until the host call returns.
struct HostUnixAddr {
  struct sockaddr_storage ss;
  socklen_t len = 0;
  UniqueFd hold;
};

// `guest` is what ReadAddrPort produced for an AF_UNIX addr_port. On success *out is the confined host address.
Errno ConfineUnixAddr(Instance& inst, const struct sockaddr_storage& guest, socklen_t guest_len, UnixAddrUse use,
                      HostUnixAddr* out);

}  // namespace wasmx
