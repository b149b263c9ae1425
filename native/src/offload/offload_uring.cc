// io_uring executor of the offload pool (Linux, liburing). Each pool thread owns one ring: for every entry with
// queued ops and nothing in flight it preps the whole FIFO as linked SQEs (send → send → shutdown → close, with
// IOSQE_IO_LINK so the kernel runs them in order), then submits every entry's chain with one io_uring_submit.
// Completions are reaped from the CQ on the same thread (no syscall; the ring's eventfd wakes it when idle).
// A short send breaks the chain (the rest completes with -ECANCELED): the remainder and the rest are resubmitted.
// The guest's thread never enters io_uring: it only pushes nodes on its ring (offload_threads.cc).
//
// Built only with WASMX_HAVE_LIBURING (binding.gyp finds /usr/include/liburing.h); elsewhere, or where the kernel
// refuses io_uring (EPERM/ENOSYS: seccomp, kernel.io_uring_disabled), the pool runs the threads executor.
#include "offload.h"
#include "offload_internal.h"

#if defined(WASMX_HAVE_LIBURING)
#include <liburing.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace wasmx {
namespace offload {

struct UringCtx {
  struct io_uring ring;
  int efd = -1;
};

static constexpr unsigned kEntries = 256;
static constexpr uint32_t kMaxChain = 32;

UringCtx* UringCreate(std::string* why) {
  if (const char* v = getenv("WASMX_IO_URING"); v && std::strcmp(v, "0") == 0) {
    *why = "io_uring disabled by WASMX_IO_URING=0";  // what a seccomp or sysctl refusal looks like, on demand
    return nullptr;
  }
  auto* u = new UringCtx();
  int r = io_uring_queue_init(kEntries, &u->ring, 0);
  if (r < 0) {
    *why = std::string("io_uring_queue_init: ") + std::strerror(-r);
    delete u;
    return nullptr;
  }
  u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (u->efd < 0 || io_uring_register_eventfd(&u->ring, u->efd) < 0) {
    *why = std::string("io_uring_register_eventfd: ") + std::strerror(errno);
    if (u->efd >= 0) ::close(u->efd);
    io_uring_queue_exit(&u->ring);
    delete u;
    return nullptr;
  }
  return u;
}

void UringDestroy(UringCtx* u) {
  if (!u) return;
  io_uring_queue_exit(&u->ring);  // waits for nothing: callers drain first
  if (u->efd >= 0) ::close(u->efd);
  delete u;
}

int UringEventFd(UringCtx* u) { return u->efd; }

// Settles the completed nodes at the head of e's FIFO (nothing of e in flight). Returns false when e's last node
// was finished (e unlinked, maybe destroyed).
static bool Settle(Worker& w, FdEntry& e) {
  auto& q = e.offload_q;
  for (;;) {
    Node* n = static_cast<Node*>(q.head);
    const bool broken = e.offload_flags.load(std::memory_order_relaxed) & offload_flag::kBroken;
    if (!broken && !n->done) {
      // A close we may not hand to the kernel (someone else still holds the entry): it closes when the last
      // reference drops, on this thread if that is the node's.
      if (n->type == kClose && n->entry.use_count() != long(e.offload_ops.load(std::memory_order_acquire))) {
        n->done = true;
        n->res = 0;
        n->host_close = false;
      } else {
        return true;  // to be submitted
      }
    }
    if (n->done && n->res == -ECANCELED && !broken) {  // its chain broke before it: submit it again
      n->done = false;
      n->host_close = false;
      return true;
    }
    if (n->type == kSend && !broken && n->done) {
      if (n->res > 0) {
        n->off += uint32_t(n->res);
        w.BytesDone(e, uint64_t(n->res));
        if (n->off < n->len) {
          n->done = false;  // short send: the remainder goes in the next chain
          return true;
        }
      } else {
        w.RecordError(e, n->res < 0 ? -n->res : EPIPE);
      }
    }
    if (n->type == kSend && n->off < n->len) w.BytesDone(e, n->len - n->off);  // dropped after an error
    if (n->type == kClose && n->done && n->host_close && n->res == 0)
      e.offload_flags.fetch_or(offload_flag::kHostClosed, std::memory_order_release);
    Node* next = n->next;
    q.head = next;
    if (!next) {
      q.tail = nullptr;
      q.listed = false;
      w.FinishNode(n);
      return false;
    }
    w.FinishNode(n);
  }
}

// Preps e's FIFO as one linked chain. Returns the SQEs prepped.
static uint32_t Prep(UringCtx* u, FdEntry& e) {
  uint32_t count = 0;
  struct io_uring_sqe* last = nullptr;
  for (Node* n = static_cast<Node*>(e.offload_q.head); n && count < kMaxChain; n = n->next) {
    // A close goes to the kernel only when the pool's nodes hold every reference (no call in flight can use the
    // fd number afterwards); otherwise Settle drops it after the chain and the last reference closes the fd.
    if (n->type == kClose && n->entry.use_count() != long(e.offload_ops.load(std::memory_order_acquire))) break;
    struct io_uring_sqe* sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) break;
    if (n->type == kSend) {
      io_uring_prep_send(sqe, e.host_fd, n->buf() + n->off, n->len - n->off, MSG_NOSIGNAL | MSG_WAITALL);
    } else if (n->type == kShutdown) {
      io_uring_prep_shutdown(sqe, e.host_fd, SHUT_WR);
    } else {
      io_uring_prep_close(sqe, e.host_fd);
      n->host_close = true;
    }
    io_uring_sqe_set_data(sqe, n);
    sqe->flags |= IOSQE_IO_LINK;
    last = sqe;
    n->done = false;
    count++;
  }
  if (last) last->flags &= ~IOSQE_IO_LINK;
  return count;
}

bool UringRun(UringCtx* u, Worker& w) {
  bool progress = false;
  // Reap.
  unsigned head, seen = 0;
  struct io_uring_cqe* cqe;
  io_uring_for_each_cqe(&u->ring, head, cqe) {
    Node* n = static_cast<Node*>(io_uring_cqe_get_data(cqe));
    seen++;
    n->res = cqe->res;
    n->done = true;
    n->entry->offload_q.inflight--;
  }
  if (seen) {
    io_uring_cq_advance(&u->ring, seen);
    progress = true;
  }
  // Settle and prep every active entry with nothing in flight; one submit for all of them.
  FdEntry* e = w.active_;
  w.active_ = w.active_tail_ = nullptr;
  uint32_t prepped = 0;
  while (e) {
    FdEntry* next = e->offload_q.next;
    bool keep = true;
    if (e->offload_q.inflight == 0) {
      keep = Settle(w, *e);
      if (keep) {
        if (io_uring_sq_space_left(&u->ring) < kMaxChain && prepped) {
          io_uring_submit(&u->ring);
          prepped = 0;
        }
        uint32_t c = Prep(u, *e);
        e->offload_q.inflight = c;
        prepped += c;
        if (c) progress = true;
      }
    }
    if (keep) {
      e->offload_q.next = nullptr;
      if (w.active_tail_) w.active_tail_->offload_q.next = e;
      else w.active_ = e;
      w.active_tail_ = e;
    }
    e = next;
  }
  if (prepped) io_uring_submit(&u->ring);
  return progress;
}

}  // namespace offload
}  // namespace wasmx

#else  // !WASMX_HAVE_LIBURING

namespace wasmx {
namespace offload {
UringCtx* UringCreate(std::string* why) {
  *why = "wasmx was built without liburing";
  return nullptr;
}
void UringDestroy(UringCtx*) {}
int UringEventFd(UringCtx*) { return -1; }
bool UringRun(UringCtx*, Worker&) { return false; }
}  // namespace offload
}  // namespace wasmx
#endif
