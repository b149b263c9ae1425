/* wasmx's own declarations of the WASIX (wasix_32v1) file-descriptor imports, for C code built against a plain
 * WASI libc (e.g. Debian's wasi-libc, which has no pipe/eventfd/dup/socketpair). Parameter types are the exact
 * ABI types (../shared/wasix-abi.md §5.1, §5.3, §6.8): i64 parameters are 64-bit C types, narrow enums/flags are
 * passed as i32, results are the WASI errno (0 = success) in the low 16 bits. Shared types and the WASIX_IMPORT
 * macro come from sockets.h. */
#ifndef WASIX_FD_H
#define WASIX_FD_H

#include <stdint.h>

/* wasix_errno_t, wasix_fd_t, WASIX_IMPORT, and the address-family / socket-type values for sock_pair. */
#include "sockets.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint16_t wasix_eventfdflags_t;
typedef uint8_t wasix_bool_t;

/* eventfdflags (u16). */
#define WASIX_EVENTFDFLAGS_SEMAPHORE ((wasix_eventfdflags_t)1)
/* wasmx: fdflags NONBLOCK (4) is also honoured here, since wasix-libc's eventfd() passes EFD_NONBLOCK through. */
#define WASIX_EVENTFDFLAGS_NONBLOCK ((wasix_eventfdflags_t)4)

/* pipe(): *fd1 = read end, *fd2 = write end (wasmx: a unidirectional host pipe). */
WASIX_IMPORT("fd_pipe") wasix_errno_t wasix_fd_pipe(wasix_fd_t *fd1, wasix_fd_t *fd2);

/* eventfd(): a 64-bit counter; read/write 8 bytes with fd_read/fd_write. */
WASIX_IMPORT("fd_event")
wasix_errno_t wasix_fd_event(uint64_t initial_val, wasix_eventfdflags_t flags, wasix_fd_t *fd);

/* dup(): the lowest free fd, sharing fd's open file. */
WASIX_IMPORT("fd_dup") wasix_errno_t wasix_fd_dup(wasix_fd_t fd, wasix_fd_t *newfd);

/* fcntl(F_DUPFD / F_DUPFD_CLOEXEC): the lowest free fd >= min_result_fd (not POSIX dup2). */
WASIX_IMPORT("fd_dup2")
wasix_errno_t wasix_fd_dup2(wasix_fd_t fd, wasix_fd_t min_result_fd, wasix_bool_t cloexec, wasix_fd_t *newfd);

/* socketpair(): af WASIX_AF_UNIX; socktype WASIX_SOCK_STREAM / _DGRAM / _SEQPACKET; proto 0 (or 6 = TCP for STREAM, 17 = UDP for DGRAM, as wasix-libc passes). */
WASIX_IMPORT("sock_pair")
wasix_errno_t wasix_sock_pair(uint8_t af, uint8_t socktype, uint16_t proto, wasix_fd_t *fd1, wasix_fd_t *fd2);

#ifdef __cplusplus
}
#endif

#endif /* WASIX_FD_H */
