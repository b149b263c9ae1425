// The offload pool: takes sock_send, sock_shutdown(WR) and fd_close of accepted TCP sockets off the guest's thread,
// without changing what the guest observes except speed.
//
// Guest side (any guest thread): an offloadable send copies the guest's iovecs into pooled nodes, pushes them on
// this guest thread's single-producer/single-consumer ring for the pool thread that owns the entry's shard
// (host_fd % threads, so one thread sees every op of an fd, in order) and returns the full length. shutdown(WR) and
// the close of the last guest fd are queued the same way (the close op holds the FdPtr: the host fd closes on the
// pool thread after everything queued before it). No locks, no allocation in steady state (nodes come back to
// their producer on a return ring), no syscall unless the pool thread sleeps (then one eventfd write wakes it).
//
// Pool side (offload_threads.cc): each thread drains its rings into per-entry FIFOs (FdEntry::offload_q) and runs
// them with non-blocking sends; an fd whose socket buffer is full waits in the thread's poller while the others go
// on. The uring executor (offload_uring.cc) runs the same FIFOs as linked send → shutdown → close SQEs, one
// io_uring_submit per batch, on the pool thread.
//
// What the guest sees (see the README's "Offload" section):
//  * order per fd: one FIFO per entry, one pool thread per entry; ops from another guest thread wait until the
//    previous thread's ops for that entry are done;
//  * errors: a failed background send marks the *entry* broken (offload_flag::kBroken); the guest's next call on
//    it returns the errno (PIPE/CONNRESET); a reused fd number is a new entry and sees nothing;
//  * non-blocking sockets: a send that finds the entry's queue over its limit gets AGAIN; when the pool drains it
//    below half, every epoll set watching the entry gets a synthetic EPOLLOUT (also for EPOLLET) and poll_oneoff
//    waiters are woken through notify_fd();
//  * bounded memory: bytes in flight per process are capped; over the cap, a blocking send waits for its fd's
//    queue to drain and then runs inline;
//  * exit: Drain() waits (bounded) for every queue to empty; Process::PrepareExit calls it on every exit path.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "fd_table.h"
#include "wasi_serdes.h"
#include "wasi_types.h"

namespace wasmx {

struct Instance;

enum class OffloadMode : uint8_t { kOff, kThreads, kUring, kAuto };

struct OffloadConfig {
  OffloadMode mode = OffloadMode::kAuto;
  uint64_t max_bytes = 8u << 20;  // bytes in flight per process
  uint32_t threads = 0;           // pool threads (0 = auto: 1 per 4 cores, at least 1, at most 4)
  bool verbose = false;           // say which backend was chosen and why (stderr), once
};

// Parses "off" | "threads" | "uring" | "auto"; false when unknown.
bool ParseOffloadMode(const std::string& s, OffloadMode* out);
const char* OffloadModeName(OffloadMode m);
// What `auto` picks on this machine (see README "Offload").
OffloadMode AutoOffloadMode();

class Offload {
 public:
  // Null when the (resolved) mode is off. `uring` falls back to threads where io_uring is unavailable or refused.
  static std::unique_ptr<Offload> Create(const OffloadConfig& cfg);
  virtual ~Offload() = default;

  virtual OffloadMode mode() const = 0;

  // sock_send / fd_write on an offloadable socket. Returns false when the caller must send inline (it has then
  // waited for the entry's queue to drain, so order holds). True: *r is the result and *n the bytes accepted.
  // `inst` is the calling guest thread: a wait for the queue (a blocking send over a limit) is interruptible, and
  // an interrupted one answers true with *r = INTR.
  virtual bool Send(Instance& inst, const FdRef& e, IoVecs& iov, bool dont_wait, uint64_t* n, Errno* r) = 0;
  // sock_shutdown(WR) queued behind pending sends. False: the caller does it inline (queue drained first).
  // *r: INTR when the wait for the queue was interrupted (then nothing was done).
  virtual bool ShutdownWrite(Instance& inst, const FdRef& e, Errno* r) = 0;
  // The last guest fd of an offloadable entry was closed: the host fd closes after the entry's queue.
  virtual void Close(FdPtr e) = 0;
  // Waits until nothing is queued for `e` (before an inline call that must come after the queue), in the guest
  // thread's wait primitive (wait.h WaitWoken: a peer that never reads cannot make it deaf to signals or the
  // process's end). False: interrupted (the caller returns INTR; the trampoline delivers what waits).
  virtual bool WaitIdle(Instance& inst, FdEntry& e) = 0;
  // Waits up to timeout_ms for every queue to empty; true when empty.
  virtual bool Drain(uint64_t timeout_ms) = 0;
  // Stops the pool threads (after Drain); queued ops left are dropped, closing their host fds.
  virtual void Stop() = 0;
  // A host fd that becomes readable when some entry's queue drained after an AGAIN (poll_oneoff waits on it).
  virtual int notify_fd() const = 0;
  // The queue limit of one entry (AGAIN for a non-blocking send above it).
  virtual uint64_t per_fd_limit() const = 0;
  // Queued shutdowns not yet done: a guest polling its own socket must see their effect (HUP), so epoll_wait and
  // poll_oneoff wait for the queues of entries with offload_flag::kShutQueued first.
  virtual uint32_t shutdowns_queued() const = 0;
  // The kernel says `e` is writable but its queue is over the limit (kFull): waits briefly (a few ms) for the pool
  // to catch up. True when kFull cleared (its synthetic readiness has then been raised).
  virtual bool SettleFull(FdEntry& e) = 0;
  // Ops and bytes queued now, over every entry (the admin endpoint's queue depth).
  virtual void Queued(uint64_t* ops, uint64_t* bytes) const = 0;
};

// The error a failed background op left on `e`, for the guest's next call (SUCCESS when none). The first call
// gets the recorded errno; later sends get PIPE, later reads go to the kernel (which then reports EOF/errors).
Errno TakeOffloadError(FdEntry& e, bool is_send);
inline Errno CheckOffloadError(FdEntry& e, bool is_send) {
  return (e.offload_flags.load(std::memory_order_acquire) & offload_flag::kBroken) ? TakeOffloadError(e, is_send)
                                                                                   : err::SUCCESS;
}

// io_uring executor (offload_uring.cc). Null with *why set when unavailable (no liburing, or the kernel refuses).
class UringExec;
UringExec* CreateUringExec(std::string* why);

}  // namespace wasmx
