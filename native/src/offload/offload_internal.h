// Internals shared by the offload pool (offload_threads.cc) and its io_uring executor (offload_uring.cc).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include <string>

#include "fd_table.h"
#include "poller/poller.h"
#include "wake_fd.h"

namespace wasmx {
namespace offload {

struct Producer;

enum OpType : uint8_t { kSend, kShutdown, kClose };

// One queued operation; send data lives right after the header (cap bytes). Nodes are made once and reused: they
// travel guest -> pool on the forward ring and back on the return ring.
struct Node {
  Node* next = nullptr;
  FdPtr entry;
  Producer* owner = nullptr;
  uint8_t type = kSend;
  uint8_t cls = 0;
  bool done = false;     // io_uring: a completion was reaped for the current submission
  bool host_close = false;  // io_uring: this close op closes the host fd itself
  int32_t res = 0;       // io_uring: its result
  uint64_t t_enq = 0;    // WASMX_OFFLOAD_STATS: when the guest queued it (CLOCK_MONOTONIC ns)
  uint32_t cap = 0, len = 0, off = 0;
  char* buf() { return reinterpret_cast<char*>(this + 1); }
};

// Single-producer / single-consumer ring of node pointers (power-of-two capacity).
class Ring {
 public:
  static constexpr size_t kCap = 4096;
  bool Push(Node* n) {
    size_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ >= kCap) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ >= kCap) return false;
    }
    slots_[t & (kCap - 1)] = n;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  Node* Pop() {
    size_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return nullptr;
    }
    Node* n = slots_[h & (kCap - 1)];
    head_.store(h + 1, std::memory_order_release);
    return n;
  }
  bool Empty() const { return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire); }

 private:
  alignas(64) std::atomic<size_t> head_{0};
  size_t tail_cache_ = 0;  // consumer's copy
  alignas(64) std::atomic<size_t> tail_{0};
  size_t head_cache_ = 0;  // producer's copy
  alignas(64) Node* slots_[kCap];
};

class Pool;

// One pool thread: the rings of every producer (guest thread) for its shard, the entries with queued work, a
// poller for fds whose socket buffer is full (and the wake fd), and optionally an io_uring.
class Worker {
 public:
  Worker(Pool* pool, uint32_t index) : pool_(pool), index_(index) {}
  void Loop();
  // Retires `n`, already taken off its entry's FIFO: accounting, return to its producer, and the node's entry
  // reference dropped here (so a host close happens on this thread). When it was the entry's last node the
  // caller unlinks the entry first: dropping the reference may destroy it.
  void FinishNode(Node* n);
  void BytesDone(FdEntry& e, uint64_t k);
  void RecordError(FdEntry& e, int host_errno);

  Pool* pool_;
  uint32_t index_;
  WakeFd wake_;  // readable when the guest queued work while this thread slept (or on Stop)
  std::atomic<bool> sleeping_{false};
  Poller* poller_ = nullptr;
  struct UringCtx* uring_ = nullptr;
  FdEntry* active_ = nullptr;  // entries with queued nodes (FdEntry::offload_q.next)
  FdEntry* active_tail_ = nullptr;
  uint32_t polled_ = 0;        // entries waiting in poller_
  // WASMX_OFFLOAD_STATS counters (this thread's idle policy; written by this thread only).
  std::atomic<uint64_t> naps_taken_{0}, sleeps_{0};

 private:
  bool PullRings();
  bool RunThreads();
  bool RunEntryThreads(FdEntry& e);
  void Block(FdEntry& e);
  void Unpoll(FdEntry& e);
  void Append(Node* n);
};

// io_uring executor (offload_uring.cc).
struct UringCtx;
UringCtx* UringCreate(std::string* why);
void UringDestroy(UringCtx* u);
int UringEventFd(UringCtx* u);
// Preps and submits (one io_uring_submit) linked SQEs for every active entry with nothing in flight; reaps
// completions. Returns true when it made progress.
bool UringRun(UringCtx* u, Worker& w);

}  // namespace offload
}  // namespace wasmx
