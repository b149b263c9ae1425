// fd_event (ABI §5.3): eventfd semantics — a 64-bit counter read and written as 8-byte values through
// fd_read / fd_write, pollable (IN while the counter is non-zero, OUT while a write of 1 would not block).
//
// Linux: a real eventfd. Elsewhere: emulated with a counter in the entry plus an AF_UNIX socket pair used purely
// as a readiness signal (each write adds a byte to host_fd's receive queue and the read that empties the counter
// drains them, so host_fd polls IN exactly while the counter is non-zero and every write is a new edge; host_fd
// is never written to, so it always polls OUT). A socket pair rather
// than pipe(): a pipe's read end never reports writable, and eventfds are writable.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "fd_table.h"
#include "wasi_serdes.h"

// The emulation can be forced on Linux (-DWASMX_EMULATE_EVENTFD) to test it where it is not the default.
#if defined(__linux__) && !defined(WASMX_EMULATE_EVENTFD)
#define WASMX_REAL_EVENTFD 1
#endif

namespace wasmx {

struct Instance;

namespace eventfdflags {
constexpr uint16_t SEMAPHORE = 1;
}

struct EventEntry final : FdEntry {
  EventEntry(int host_fd, int aux, bool semaphore);
  const bool semaphore;
#ifndef WASMX_REAL_EVENTFD
  std::mutex mu;
  std::condition_variable room;  // a read made room for a blocked writer
  uint64_t counter = 0;
#endif
};

// Creates the host object. INVAL for initial == UINT64_MAX (not a valid counter value).
Errno CreateEventEntry(uint64_t initial, bool semaphore, FdPtr* out);
// 8-byte counter transfers (the fd_read / fd_write path for FdKind::kEvent). INVAL when the iovecs hold fewer than
// 8 bytes; AGAIN when non-blocking and the counter is 0 (read) or would overflow (write).
// A blocking transfer waits in the one wait primitive (wait.h): INTR when a signal interrupts it.
Errno EventRead(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* nread);
Errno EventWrite(Instance& inst, FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* written);

}  // namespace wasmx
