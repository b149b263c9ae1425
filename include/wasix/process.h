/* WASIX process, thread, futex and tty imports (module wasix_32v1) for C programs built against plain
 * wasi-libc, which does not declare them. Signatures follow the ABI tables (wasix-abi.md §5.3–§5.6): every
 * function returns the WASI errno as a wasm i32 unless it has no result; pointers are i32; u8/u16 scalars travel
 * as i32; 64-bit values are one i64. */
#ifndef WASIX_PROCESS_H
#define WASIX_PROCESS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WASIX_IMPORT_(name) __attribute__((import_module("wasix_32v1"), import_name(#name)))

/* option_timestamp_t (16 B, align 8): tag @0 (0 NONE, 1 SOME), value (relative ns) @8. */
typedef struct wasix_option_timestamp {
  uint8_t tag;
  uint64_t value;
} wasix_option_timestamp_t;
_Static_assert(sizeof(wasix_option_timestamp_t) == 16, "option_timestamp_t is 16 bytes");

/* tty_t (24 B, align 4). */
typedef struct wasix_tty {
  uint32_t cols, rows, width, height;
  uint8_t stdin_tty, stdout_tty, stderr_tty, echo, line_buffered, line_feeds;
} wasix_tty_t;
_Static_assert(sizeof(wasix_tty_t) == 24, "tty_t is 24 bytes");

/* signal_disposition_t (2 B). */
typedef struct wasix_signal_disposition {
  uint8_t sig, disp;
} wasix_signal_disposition_t;

/* Startup (§8) and signals (§7.6). */
int32_t wasix_proc_signals_sizes_get(uint32_t *count) WASIX_IMPORT_(proc_signals_sizes_get);
int32_t wasix_proc_signals_get(wasix_signal_disposition_t *buf) WASIX_IMPORT_(proc_signals_get);
void wasix_callback_signal(const char *name, uint32_t name_len) WASIX_IMPORT_(callback_signal);

/* Process (§5.5). */
void wasix_proc_exit2(uint32_t code) WASIX_IMPORT_(proc_exit2) __attribute__((noreturn));
int32_t wasix_proc_id(uint32_t *pid) WASIX_IMPORT_(proc_id);
int32_t wasix_proc_parent(uint32_t pid, uint32_t *ppid) WASIX_IMPORT_(proc_parent);
void wasix_proc_exec(const char *name, uint32_t name_len, const char *args, uint32_t args_len) WASIX_IMPORT_(proc_exec);
void wasix_proc_exec2(const char *name, uint32_t name_len, const char *args, uint32_t args_len, const char *envs,
                      uint32_t envs_len) WASIX_IMPORT_(proc_exec2);

/* Threads and futexes (§5.4, §7.5). */
int32_t wasix_thread_id(uint32_t *tid) WASIX_IMPORT_(thread_id);
int32_t wasix_thread_parallelism(uint32_t *n) WASIX_IMPORT_(thread_parallelism);
int32_t wasix_thread_sleep(int64_t duration_ns) WASIX_IMPORT_(thread_sleep);
int32_t wasix_futex_wait(uint32_t *addr, uint32_t expected, const wasix_option_timestamp_t *timeout, uint8_t *woken)
    WASIX_IMPORT_(futex_wait);
int32_t wasix_futex_wake(uint32_t *addr, uint8_t *woken) WASIX_IMPORT_(futex_wake);
int32_t wasix_futex_wake_all(uint32_t *addr, uint8_t *woken) WASIX_IMPORT_(futex_wake_all);

/* File descriptors (§5.3). fdflagsext: CLOEXEC = 1. */
int32_t wasix_fd_fdflags_get(uint32_t fd, uint16_t *flags) WASIX_IMPORT_(fd_fdflags_get);
int32_t wasix_fd_fdflags_set(uint32_t fd, uint32_t flags) WASIX_IMPORT_(fd_fdflags_set);

/* Terminal (§5.6). */
int32_t wasix_tty_get(wasix_tty_t *tty) WASIX_IMPORT_(tty_get);
int32_t wasix_tty_set(const wasix_tty_t *tty) WASIX_IMPORT_(tty_set);

#undef WASIX_IMPORT_

#ifdef __cplusplus
}
#endif
#endif
