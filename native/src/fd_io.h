// Reading and writing an fd entry with iovecs in guest memory: shared by fd_read/fd_write (any fd) and
// sock_recv/sock_send (sockets). Handles the host-side details the guest must not see: EINTR, stdio left
// non-blocking by the parent, SIGPIPE.
#pragma once
#include "fd_table.h"
#include "wasi_serdes.h"

namespace wasmx {

// Writes all of `iov` to `e` (blocking fds) or what fits (non-blocking fds / dont_wait). AGAIN only when
// nothing was written.
Errno WriteEntry(FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* written);
// Reads into `iov`. EOF is success with 0. `msg_flags` are extra recvmsg flags for sockets (MSG_PEEK, ...).
Errno ReadEntry(FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread, bool* truncated);
// Socket forms: `to` (may be null) is the destination for sendmsg; `from`/`from_len` (may be null) receive the
// sender's address. *from_len is 0 when the kernel reported none (connected stream sockets).
Errno SendEntry(FdEntry& e, IoVecs& iov, bool dont_wait, const struct sockaddr* to, socklen_t to_len,
                uint64_t* written);
Errno RecvEntry(FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread, bool* truncated,
                struct sockaddr_storage* from, socklen_t* from_len);
// Sets the guest's fdflags (APPEND, NONBLOCK) and the host fd's matching flags (syscalls/wasi/fd_fdstat_set_flags.cc).
Errno SetFdFlags(FdEntry& e, uint16_t flags);
// Keeps the host fd O_NONBLOCK whatever the guest's flag (see FdEntry::host_nonblock_pinned).
void PinHostNonblocking(FdEntry& e);
// Blocks until host `fd` is ready for `events` (POLLIN/POLLOUT). Returns false on error.
bool WaitReady(int fd, short events);

}  // namespace wasmx
