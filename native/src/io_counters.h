// Host-wide counters of what guests do on sockets, read by `--admin`'s /metrics (src/admin.ts): connections
// accepted, bytes received and sent, offload fallbacks. They sit on the syscall hot path, so each host thread
// counts into a block of its own (a plain load and store, no locked instruction, no cache line shared with
// another thread); a read sums the blocks under a lock. A thread's block is folded into retired totals when the
// thread ends, so the sums never go down when workers come and go or instances restart.
#pragma once
#include <cstdint>

namespace wasmx {

enum IoCounter : unsigned {
  kIoAccepted,               // connections returned by sock_accept / sock_accept_v2
  kIoBytesReceived,          // bytes read from sockets (recv, recv_from, fd_read; not MSG_PEEK)
  kIoBytesSent,              // bytes written to sockets, inline or handed to the offload pool
  kIoOffloadInlineSends,     // blocking sends that ran inline because the offload cap was reached
  kIoOffloadUringFallbacks,  // processes that asked for io_uring and got the threads executor
  kIoCounterCount
};

// Adds n to this thread's counter c.
void CountIo(IoCounter c, uint64_t n = 1);
// Sums of every thread's counters (live and ended) into out[kIoCounterCount].
void SumIoCounters(uint64_t* out);

}  // namespace wasmx
