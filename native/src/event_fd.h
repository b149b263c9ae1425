// fd_event (ABI §5.3): eventfd semantics — a 64-bit counter read and written as 8-byte values through
// fd_read / fd_write, pollable (IN while the counter is non-zero, OUT while a write of 1 would not block).
//
// Linux: a real eventfd. Elsewhere: emulated with a counter in the entry plus an AF_UNIX socket pair used purely
// as a readiness signal (one byte sits in host_fd's receive queue exactly while the counter is non-zero, so
// host_fd polls IN like an eventfd; host_fd is never written to, so it always polls OUT). A socket pair rather
// than pipe(): a pipe's read end never reports writable, and eventfds are writable.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "fd_table.h"
#include "wasi_serdes.h"

namespace wasmx {

namespace eventfdflags {
constexpr uint16_t SEMAPHORE = 1;
}

struct EventEntry final : FdEntry {
  EventEntry(int host_fd, int aux, bool semaphore);
  const bool semaphore;
#ifndef __linux__
  std::mutex mu;
  std::condition_variable room;  // a read made room for a blocked writer
  uint64_t counter = 0;
#endif
};

// Creates the host object. INVAL for initial == UINT64_MAX (not a valid counter value).
Errno CreateEventEntry(uint64_t initial, bool semaphore, FdRef* out);
// 8-byte counter transfers (the fd_read / fd_write path for FdKind::kEvent). INVAL when the iovecs hold fewer than
// 8 bytes; AGAIN when non-blocking and the counter is 0 (read) or would overflow (write).
Errno EventRead(FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* nread);
Errno EventWrite(FdEntry& e, IoVecs& iov, bool dont_wait, uint64_t* written);

}  // namespace wasmx
