/* wasmx's own declarations of the WASIX (wasix_32v1) epoll imports, for C code built against a plain WASI libc.
 * Layouts and constants: ../shared/wasix-abi.md §5.2, §6.3. These are the raw imports, not Linux's API: event
 * bits are WASIX bits, timeouts are nanoseconds, and the op numbers follow the rule of §6.3.3. */
#ifndef WASIX_EPOLL_H
#define WASIX_EPOLL_H

#include <stdint.h>

#include "fd.h"

#ifdef __cplusplus
extern "C" {
#endif

/* epoll_type (u32) bits. */
#define WASIX_EPOLLIN 1u
#define WASIX_EPOLLOUT 2u
#define WASIX_EPOLLRDHUP 4u
#define WASIX_EPOLLPRI 8u
#define WASIX_EPOLLERR 16u
#define WASIX_EPOLLHUP 32u
#define WASIX_EPOLLET 64u
#define WASIX_EPOLLONESHOT 128u
/* wasmx extension: Linux EPOLLEXCLUSIVE (not in the WASIX witx; wasix-libc drops it). Only when adding. */
#define WASIX_EPOLLEXCLUSIVE 256u

/* epoll_ctl op (u32). The witx says ADD=0, MOD=1, DEL=2; wasix-libc passes Linux's ADD=1, DEL=2, MOD=3.
 * wasmx: 0 = add (EXIST if present), 1 and 3 = add or modify, 2 = delete (NOENT if absent). */
#define WASIX_EPOLL_CTL_ADD 0u
#define WASIX_EPOLL_CTL_MOD 1u
#define WASIX_EPOLL_CTL_DEL 2u
#define WASIX_EPOLL_CTL_LINUX_ADD 1u
#define WASIX_EPOLL_CTL_LINUX_MOD 3u

/* epoll_wait timeout (ns): forever. */
#define WASIX_EPOLL_TIMEOUT_FOREVER UINT64_MAX

/* epoll_data_t: 24 bytes, align 8. wasix-libc fills all four from the user's epoll_data; the host echoes every
 * byte (8..31 of the event, padding included) verbatim. */
typedef struct wasix_epoll_data {
  uint32_t ptr;   /* @0 */
  int32_t fd;     /* @4 */
  uint32_t data1; /* @8 */
  uint64_t data2; /* @16 */
} wasix_epoll_data_t;

/* epoll_event_t: 32 bytes, align 8. */
typedef struct wasix_epoll_event {
  uint32_t events;         /* @0, epoll_type */
  wasix_epoll_data_t data; /* @8 */
} wasix_epoll_event_t;

_Static_assert(sizeof(wasix_epoll_data_t) == 24, "epoll_data_t is 24 bytes");
_Static_assert(sizeof(wasix_epoll_event_t) == 32, "epoll_event_t is 32 bytes");
_Static_assert(__builtin_offsetof(wasix_epoll_event_t, data) == 8, "data @8");
_Static_assert(__builtin_offsetof(wasix_epoll_data_t, fd) == 4, "data.fd @12 of the event");
_Static_assert(__builtin_offsetof(wasix_epoll_data_t, data1) == 8, "data.data1 @16 of the event");
_Static_assert(__builtin_offsetof(wasix_epoll_data_t, data2) == 16, "data.data2 @24 of the event");

WASIX_IMPORT("epoll_create") wasix_errno_t wasix_epoll_create(wasix_fd_t *epfd);

/* event may be 0 for DEL. */
WASIX_IMPORT("epoll_ctl")
wasix_errno_t wasix_epoll_ctl(wasix_fd_t epfd, uint32_t op, wasix_fd_t fd, const wasix_epoll_event_t *event);

/* Writes at most maxevents events and their number to *nevents; timeout_ns 0 = poll, WASIX_EPOLL_TIMEOUT_FOREVER
 * = no limit; expiry is success with *nevents = 0. */
WASIX_IMPORT("epoll_wait")
wasix_errno_t wasix_epoll_wait(wasix_fd_t epfd, wasix_epoll_event_t *events, uint32_t maxevents, uint64_t timeout_ns,
                               uint32_t *nevents);

#ifdef __cplusplus
}
#endif

#endif /* WASIX_EPOLL_H */
