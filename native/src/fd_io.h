// Reading and writing an fd entry with iovecs in guest memory: shared by fd_read/fd_write (any fd) and
// sock_recv/sock_send (sockets). Handles the host-side details the guest must not see: EINTR, stdio left
// non-blocking by the parent, SIGPIPE.
//
// Blocking: the host never blocks in a kernel read/write of a socket or pipe. Sockets are read and written with
// MSG_DONTWAIT and pipes are non-blocking on the host; when the guest's call must block, it waits in the one wait
// primitive (wait.h), so a signal interrupts it (INTR, or the bytes moved so far). Stdin is polled the same way
// before it is read. The exception: writes to stdout/stderr, whose host fds belong to the parent, block in the
// kernel while the parent's pipe is full (a host signal still ends the process: guest_signals.h).
#pragma once
#include "fd_table.h"
#include "instance.h"
#include "wasi_serdes.h"

namespace wasmx {

// Writes all of `iov` to `e` (blocking fds) or what fits (non-blocking fds / dont_wait). AGAIN only when
// nothing was written.
Errno WriteEntry(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* written);
// Reads into `iov`. EOF is success with 0. `msg_flags` are extra recvmsg flags for sockets (MSG_PEEK, ...).
Errno ReadEntry(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread, bool* truncated);
// Socket forms: `to` (may be null) is the destination for sendmsg; `from`/`from_len` (may be null) receive the
// sender's address. *from_len is 0 when the kernel reported none (connected stream sockets).
Errno SendEntry(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, const struct sockaddr* to, socklen_t to_len,
                uint64_t* written);
Errno RecvEntry(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, int msg_flags, uint64_t* nread, bool* truncated,
                struct sockaddr_storage* from, socklen_t* from_len);
// Sets the guest's fdflags (APPEND, NONBLOCK) and the host fd's matching flags (syscalls/wasi/fd_fdstat_set_flags.cc).
Errno SetFdFlags(FdEntry& e, uint16_t flags);
// Keeps the host fd O_NONBLOCK whatever the guest's flag (see FdEntry::host_nonblock_pinned).
void PinHostNonblocking(FdEntry& e);
// Blocks the guest thread until host `fd` is ready for `events` (POLLIN/POLLOUT): SUCCESS, INTR, or an errno.
Errno WaitReady(Instance& inst, int fd, short events);

}  // namespace wasmx
