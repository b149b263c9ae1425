// The offload pool: guest-side hand-off (rings, pooled nodes, limits, readiness) and the pool threads running
// each entry's FIFO with non-blocking syscalls (the "threads" backend). See offload.h.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#ifdef __linux__
#include <sched.h>
#endif
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "errno_map.h"
#include "instance.h"
#include "io_counters.h"
#include "offload.h"
#include "offload_internal.h"
#include "poller/poller.h"
#include "wait.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  // macOS: SO_NOSIGPIPE is set on every socket
#endif

namespace wasmx {

bool ParseOffloadMode(const std::string& s, OffloadMode* out) {
  if (s == "off") *out = OffloadMode::kOff;
  else if (s == "threads") *out = OffloadMode::kThreads;
  else if (s == "uring") *out = OffloadMode::kUring;
  else if (s == "auto" || s.empty()) *out = OffloadMode::kAuto;
  else return false;
  return true;
}

const char* OffloadModeName(OffloadMode m) {
  switch (m) {
    case OffloadMode::kOff: return "off";
    case OffloadMode::kThreads: return "threads";
    case OffloadMode::kUring: return "uring";
    default: return "auto";
  }
}

namespace offload {
static bool UsableCpuTimes(uint64_t* idle, uint64_t* total);
}

// The pool only pays off when its thread has a core that neither the guest's thread nor the rest of the machine
// needs (README "Offload", bench/offload-latency.js). Where the governor can see the CPUs (Linux /proc/stat) it
// hands off only while a core is idle and runs the ops inline otherwise, so auto takes the threads backend on any
// machine; elsewhere it keeps the measured rule: off below 4 cores (on 2 cores an ungoverned pool cost 1.2-2x the
// CPU per response). io_uring never measured better than threads, so auto never picks it.
OffloadMode AutoOffloadMode() {
#ifdef __linux__
  static const bool can_govern = [] {
    uint64_t idle, total;
    return offload::UsableCpuTimes(&idle, &total);
  }();
  if (can_govern) return OffloadMode::kThreads;
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n >= 4 ? OffloadMode::kThreads : OffloadMode::kOff;
}

Errno TakeOffloadError(FdEntry& e, bool is_send) {
  uint32_t f = e.offload_flags.fetch_or(offload_flag::kReported, std::memory_order_acq_rel);
  if (!(f & offload_flag::kReported)) return WasiErrno(e.offload_error.load(std::memory_order_acquire));
  return is_send ? err::PIPE : err::SUCCESS;
}

namespace offload {

constexpr uint32_t kClassCap[] = {0, 256, 2048, 16384, 65536};
constexpr int kClasses = 5;
constexpr uint32_t kMaxChunk = 65536;
constexpr uint32_t kMaxNodes = Ring::kCap;  // per producer: the return rings can never overflow

static void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

static uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// Idle CPU time (jiffies) and all CPU time, summed over the CPUs this process may run on (/proc/stat's cpuN lines;
// Linux only). False where unknown: the governor then never switches to inline.
static bool UsableCpuTimes(uint64_t* idle, uint64_t* total) {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  bool have_set = sched_getaffinity(0, sizeof set, &set) == 0;
  FILE* f = std::fopen("/proc/stat", "re");
  if (!f) return false;
  char line[512];
  *idle = *total = 0;
  bool any = false;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "cpu", 3) != 0) break;  // the cpu lines come first
    if (line[3] < '0' || line[3] > '9') continue;  // the "cpu " total line
    int cpu = std::atoi(line + 3);
    if (have_set && (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set))) continue;
    unsigned long long v[10] = {};
    const char* p = std::strchr(line, ' ');
    int n = p ? std::sscanf(p, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                            &v[5], &v[6], &v[7], &v[8], &v[9])
              : 0;
    if (n < 4) continue;
    for (int i = 0; i < n && i < 8; i++) *total += v[i];  // guest/guest_nice (8, 9) are already in user/nice
    *idle += v[3] + (n > 4 ? v[4] : 0);                  // idle + iowait
    any = true;
  }
  std::fclose(f);
  return any;
#else
  (void)idle;
  (void)total;
  return false;
#endif
}

// A CPU quota (cgroup v2 cpu.max, as containers set it): the cores it allows, and the directory whose cpu.stat
// counts this group's usage. 0 when there is none (or on cgroup v1 / other systems: not looked at).
static double CgroupQuotaCores(std::string* dir) {
#ifdef __linux__
  FILE* f = std::fopen("/proc/self/cgroup", "re");
  if (!f) return 0;
  char line[4096];
  std::string rel;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "0::", 3) == 0) {
      rel = line + 3;
      while (!rel.empty() && (rel.back() == '\n' || rel.back() == '/')) rel.pop_back();
    }
  std::fclose(f);
  *dir = "/sys/fs/cgroup" + rel;
  f = std::fopen((*dir + "/cpu.max").c_str(), "re");
  if (!f) return 0;
  char quota[32] = {};
  unsigned long long period = 0;
  int n = std::fscanf(f, "%31s %llu", quota, &period);
  std::fclose(f);
  if (n != 2 || std::strcmp(quota, "max") == 0 || period == 0) return 0;
  return double(std::strtoull(quota, nullptr, 10)) / double(period);
#else
  (void)dir;
  return 0;
#endif
}

// The group's CPU use so far (us, cpu.stat usage_usec); false when unreadable.
static bool CgroupUsageUs(const std::string& dir, uint64_t* us) {
  FILE* f = std::fopen((dir + "/cpu.stat").c_str(), "re");
  if (!f) return false;
  unsigned long long v = 0;
  bool ok = std::fscanf(f, "usage_usec %llu", &v) == 1;
  std::fclose(f);
  *us = v;
  return ok;
}

// WASMX_OFFLOAD_STATS=FILE (or "-" for stderr): the pool's figures since it started, as one JSON line, rewritten
// about every second by pool thread 0 and at a drained exit (a host signal may end the process without one:
// bench/offload-latency.js waits for a rewrite after its load). Off: one predictable branch per op.
struct PoolStats {
  static constexpr uint32_t kBuckets = 20001;  // 1 us buckets for hand-off latency up to 20 ms, then overflow
  std::string file;
  std::atomic<uint64_t> ops{0}, sends{0}, inline_ops{0}, wakes{0}, inline_switches{0};
  std::atomic<uint64_t> lat_max_ns{0}, lat_sum_ns{0};
  std::unique_ptr<std::atomic<uint32_t>[]> lat_us;
  std::mutex write_mu;
  std::atomic<uint64_t> written_at{0};
};

static int ClassFor(uint32_t n) {
  for (int c = 1; c < kClasses; c++)
    if (n <= kClassCap[c]) return c;
  return kClasses - 1;
}

// One guest thread's side: a forward ring per pool thread, a return ring per pool thread, free nodes by class.
struct Producer {
  explicit Producer(uint32_t workers) : fwd(new Ring[workers]), ret(new Ring[workers]), nworkers(workers) {}
  ~Producer() {
    for (int c = 0; c < kClasses; c++)
      while (Node* n = free[c]) {
        free[c] = n->next;
        FreeNode(n);
      }
    for (uint32_t w = 0; w < nworkers; w++)
      while (Node* n = ret[w].Pop()) FreeNode(n);
  }
  static void FreeNode(Node* n) {
    n->~Node();
    std::free(n);
  }
  Node* Get(int cls) {
    if (!free[cls]) Reclaim();
    if (Node* n = free[cls]) {
      free[cls] = n->next;
      n->next = nullptr;
      return n;
    }
    if (created >= kMaxNodes) return nullptr;
    void* mem = std::malloc(sizeof(Node) + kClassCap[cls]);
    if (!mem) return nullptr;
    created++;
    Node* n = new (mem) Node();
    n->owner = this;
    n->cls = uint8_t(cls);
    n->cap = kClassCap[cls];
    return n;
  }
  void Put(Node* n) {
    n->next = free[n->cls];
    free[n->cls] = n;
  }
  void Reclaim() {
    for (uint32_t w = 0; w < nworkers; w++)
      while (Node* n = ret[w].Pop()) Put(n);
  }
  // Nodes available without exceeding the budget (an estimate: enough for a pre-check).
  uint32_t Available() const { return kMaxNodes - created; }

  std::unique_ptr<Ring[]> fwd;
  std::unique_ptr<Ring[]> ret;
  uint32_t nworkers;
  Node* free[kClasses] = {};
  uint32_t created = 0;
  std::thread::id thread;
};

class Pool final : public Offload {
 public:
  Pool(const OffloadConfig& cfg, OffloadMode mode) : cfg_(cfg), mode_(mode) {
    static std::atomic<uint64_t> next_id{1};
    id_ = next_id.fetch_add(1);
    uint32_t n = cfg.threads;
    if (n == 0) {
      unsigned cores = std::thread::hardware_concurrency();
      n = std::max(1u, std::min(4u, cores / 4));
    }
    nworkers_ = n;
#ifdef __linux__
    cpu_set_t set;
    CPU_ZERO(&set);
    usable_cores_ = sched_getaffinity(0, sizeof set, &set) == 0 ? uint32_t(CPU_COUNT(&set)) : 1;
#endif
    quota_cores_ = CgroupQuotaCores(&cgroup_dir_);
    per_fd_limit_ = std::max<uint64_t>(4096, std::min<uint64_t>(cfg.max_bytes, 1u << 20));
    if (const char* v = getenv("WASMX_OFFLOAD_SPIN")) spin_ = uint32_t(strtoul(v, nullptr, 10));
    if (const char* v = getenv("WASMX_OFFLOAD_NAPS")) naps_ = uint32_t(strtoul(v, nullptr, 10));
    if (const char* v = getenv("WASMX_OFFLOAD_GOVERN")) governed_ = std::strcmp(v, "0") != 0;
    uint64_t idle0, total0;
    if (!UsableCpuTimes(&idle0, &total0)) governed_ = false;  // nothing to govern with (not Linux)
    inline_.store(governed_, std::memory_order_relaxed);     // inline until a window shows a core to spare
    if (const char* v = getenv("WASMX_OFFLOAD_STATS"); v && *v) {
      stats_ = std::make_unique<PoolStats>();
      stats_->file = v;
      stats_->lat_us.reset(new std::atomic<uint32_t>[PoolStats::kBuckets]());
    }
    int p[2];
    if (::pipe(p) == 0) {
      notify_rd_ = p[0];
      notify_wr_ = p[1];
      for (int fd : p) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      }
    }
  }
  ~Pool() override {
    Stop();
    if (notify_rd_ >= 0) ::close(notify_rd_);
    if (notify_wr_ >= 0) ::close(notify_wr_);
  }

  // Starts the threads (lazily, on the first offloaded op). False when they cannot start: offload stays off.
  bool Start(std::string* why) {
    std::call_once(started_, [&] {
      for (uint32_t i = 0; i < nworkers_; i++) {
        auto w = std::make_unique<Worker>(this, i);
        w->wake_.Open();
        w->poller_ = Poller::Create();
        if (!w->wake_.is_open() || !w->poller_ || w->poller_->Set(w->wake_.read_fd(), pollbits::IN, true) != 0) {
          start_error_ = std::string("offload: pool thread setup failed: ") + std::strerror(errno);
          break;
        }
        if (mode_ == OffloadMode::kUring) {
          std::string uwhy;
          w->uring_ = UringCreate(&uwhy);
          if (w->uring_ && w->poller_->Set(UringEventFd(w->uring_), pollbits::IN, true) != 0) {
            UringDestroy(w->uring_);
            w->uring_ = nullptr;
          }
          // (probed in Offload::Create; a thread whose ring fails now runs the threads executor)
        }
        workers_.push_back(std::move(w));
      }
      if (!start_error_.empty()) return;
      for (auto& w : workers_) threads_.emplace_back([wp = w.get()] { wp->Loop(); });
      running_.store(true, std::memory_order_release);
    });
    if (why) *why = start_error_;
    return running_.load(std::memory_order_acquire);
  }

  OffloadMode mode() const override { return mode_; }
  int notify_fd() const override { return notify_rd_; }
  uint64_t per_fd_limit() const override { return per_fd_limit_; }
  uint32_t shutdowns_queued() const override { return shutdowns_.load(std::memory_order_acquire); }
  void Queued(uint64_t* ops, uint64_t* bytes) const override {
    *ops = ops_.load(std::memory_order_relaxed);
    *bytes = bytes_.load(std::memory_order_relaxed);
  }

  bool SettleFull(FdEntry& e) override {
    for (int i = 0; i < 100; i++) {
      if (!(e.offload_flags.load(std::memory_order_acquire) & offload_flag::kFull)) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return !(e.offload_flags.load(std::memory_order_acquire) & offload_flag::kFull);
  }

  Producer* GetProducer() {
    struct Cache {
      uint64_t id = 0;
      Producer* p = nullptr;
    };
    thread_local Cache cache;
    if (cache.id == id_) return cache.p;
    std::lock_guard<std::mutex> lock(reg_mu_);
    auto me = std::this_thread::get_id();
    Producer* found = nullptr;
    for (auto& p : producers_)
      if (p->thread == me) found = p.get();
    if (!found) {
      producers_.push_back(std::make_unique<Producer>(nworkers_));
      found = producers_.back().get();
      found->thread = me;
      producers_gen_.fetch_add(1, std::memory_order_release);
    }
    cache = {id_, found};
    return found;
  }

  // The producers a worker polls (snapshot refreshed when the generation changes).
  void Snapshot(std::vector<Producer*>* out, uint64_t* gen) {
    uint64_t g = producers_gen_.load(std::memory_order_acquire);
    if (g == *gen) return;
    std::lock_guard<std::mutex> lock(reg_mu_);
    out->clear();
    for (auto& p : producers_) out->push_back(p.get());
    *gen = producers_gen_.load(std::memory_order_relaxed);
  }

  uint32_t Shard(const FdEntry& e) const { return uint32_t(e.host_fd) % nworkers_; }

  void Wake(Worker& w) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (w.sleeping_.load(std::memory_order_relaxed) && w.sleeping_.exchange(false)) {
      w.wake_.Signal();
      if (stats_) stats_->wakes.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // This guest thread takes over `e`'s queue: ops another guest thread queued must finish first (order per fd).
  // False: that wait was interrupted (`inst`; none for a close, which must happen).
  bool Own(FdEntry& e, Producer* p, Instance* inst) {
    if (e.offload_producer.load(std::memory_order_relaxed) == p) return true;
    if (e.offload_ops.load(std::memory_order_acquire) != 0 && !WaitFor(e, inst)) return false;
    e.offload_producer.store(p, std::memory_order_relaxed);
    return true;
  }

  // Queues `nodes` (already filled) for `e` on this guest thread's ring to e's shard.
  void Push(FdEntry& e, Producer* p, Node** nodes, uint32_t count, uint64_t bytes) {
    e.offload_ops.fetch_add(count, std::memory_order_relaxed);
    e.offload_bytes.fetch_add(bytes, std::memory_order_relaxed);
    ops_.fetch_add(count, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    uint32_t w = Shard(e);
    if (stats_) {
      uint64_t now = NowNs();
      for (uint32_t i = 0; i < count; i++) nodes[i]->t_enq = now;
    }
    for (uint32_t i = 0; i < count; i++) {
      while (!p->fwd[w].Push(nodes[i])) {  // cannot happen (node budget == ring size); be safe anyway
        Wake(*workers_[w]);
        std::this_thread::yield();
      }
    }
    Wake(*workers_[w]);
  }

  bool Send(Instance& inst, const FdRef& ref, IoVecs& iov, bool dont_wait, uint64_t* n, Errno* r) override {
    FdEntry& e = *ref;
    *n = 0;
    if (Errno er = CheckOffloadError(e, true)) {
      *r = er;
      return true;
    }
    const uint64_t total = iov.total();
    if (e.offload_flags.load(std::memory_order_relaxed) & offload_flag::kShutWr) {
      *r = err::PIPE;  // as the kernel says right after shutdown(WR), even while that shutdown is queued
      return true;
    }
    if (total == 0) return false;
    if (!Start(nullptr)) return false;
    if (RunInline(e)) return false;
    const bool nonblock = dont_wait || e.nonblocking();
    Producer* p = GetProducer();
    if (!Own(e, p, &inst)) {
      *r = err::INTR;
      return true;
    }
    uint64_t take;
    for (;;) {
      uint64_t queued = e.offload_bytes.load(std::memory_order_relaxed);
      uint64_t inflight = bytes_.load(std::memory_order_relaxed);
      // The per-fd limit gives non-blocking sockets their AGAIN; blocking ones are bounded by the process cap.
      uint64_t room = !nonblock ? UINT64_MAX : queued < per_fd_limit_ ? per_fd_limit_ - queued : 0;
      uint64_t proc_room = inflight < cfg_.max_bytes ? cfg_.max_bytes - inflight : 0;
      room = std::min(room, proc_room);
      p->Reclaim();
      uint64_t node_room = uint64_t(p->Available()) * kMaxChunk;
      for (int c = 1; c < kClasses; c++)
        for (Node* f = p->free[c]; f && node_room < room; f = f->next) node_room += f->cap;
      room = std::min(room, node_room);
      if (total <= room) {
        take = total;
        break;
      }
      if (!nonblock) {
        // Over a limit: a blocking send runs inline, after this fd's queue (order).
        CountIo(kIoOffloadInlineSends);
        if (WaitFor(e, &inst)) return false;
        *r = err::INTR;
        return true;
      }
      if (e.offload_ops.load(std::memory_order_acquire) == 0) return false;  // nothing queued: the kernel decides
      if (room > 0) {  // non-blocking: a partial write, as the kernel does
        take = room;
        break;
      }
      // AGAIN; the pool clears kFull (and raises a synthetic EPOLLOUT) once the queue is below half its limit.
      e.offload_flags.fetch_or(offload_flag::kFull, std::memory_order_seq_cst);
      if (e.offload_bytes.load(std::memory_order_seq_cst) <= per_fd_limit_ / 2 ||
          e.offload_ops.load(std::memory_order_seq_cst) == 0) {
        e.offload_flags.fetch_and(~offload_flag::kFull, std::memory_order_seq_cst);
        continue;
      }
      *r = err::AGAIN;
      return true;
    }
    // Copy the iovecs into nodes of up to kMaxChunk bytes.
    Node* batch[64];
    uint32_t nb = 0;
    uint64_t left = take, pushed_bytes = 0;
    struct iovec* v = iov.data();
    int vi = 0;
    size_t voff = 0;
    auto flush = [&] {
      Push(e, p, batch, nb, pushed_bytes);
      nb = 0;
      pushed_bytes = 0;
    };
    while (left > 0) {
      uint32_t chunk = uint32_t(std::min<uint64_t>(left, kMaxChunk));
      Node* nd = p->Get(ClassFor(chunk));
      if (!nd) break;  // budget raced away (cannot happen with one producer); report what was queued
      nd->type = kSend;
      nd->entry = ref.shared();
      nd->len = std::min(chunk, nd->cap);
      nd->off = 0;
      uint32_t filled = 0;
      while (filled < nd->len) {
        size_t k = std::min<size_t>(nd->len - filled, v[vi].iov_len - voff);
        std::memcpy(nd->buf() + filled, static_cast<char*>(v[vi].iov_base) + voff, k);
        filled += uint32_t(k);
        voff += k;
        if (voff == v[vi].iov_len) {
          vi++;
          voff = 0;
        }
      }
      left -= nd->len;
      pushed_bytes += nd->len;
      batch[nb++] = nd;
      if (nb == 64) flush();
    }
    if (nb) flush();
    *n = take - left;
    *r = *n ? err::SUCCESS : err::AGAIN;
    if (*n) CountIo(kIoBytesSent, *n);
    return true;
  }

  bool ShutdownWrite(Instance& inst, const FdRef& ref, Errno* r) override {
    FdEntry& e = *ref;
    *r = err::SUCCESS;
    if (!Start(nullptr)) return false;
    if (RunInline(e)) return false;
    Producer* p = GetProducer();
    if (!Own(e, p, &inst)) {
      *r = err::INTR;
      return true;
    }
    Node* nd = p->Get(0);
    if (!nd) {
      if (WaitFor(e, &inst)) return false;
      *r = err::INTR;
      return true;
    }
    nd->type = kShutdown;
    nd->entry = ref.shared();
    nd->len = nd->off = 0;
    shutdowns_.fetch_add(1, std::memory_order_seq_cst);
    e.offload_flags.fetch_or(offload_flag::kShutWr | offload_flag::kShutQueued, std::memory_order_seq_cst);
    Push(e, p, &nd, 1, 0);
    return true;
  }

  void Close(FdPtr e) override {
    if (!Start(nullptr)) return;  // e drops here: closes inline
    if (RunInline(*e)) return;
    Producer* p = GetProducer();
    Own(*e, p, nullptr);
    Node* nd = p->Get(0);
    if (!nd) return;
    FdEntry& ref = *e;
    nd->type = kClose;
    nd->entry = std::move(e);
    nd->len = nd->off = 0;
    Push(ref, p, &nd, 1, 0);
  }

  bool WaitIdle(Instance& inst, FdEntry& e) override { return WaitFor(e, &inst); }

  // Until `e`'s queue is empty. A guest thread (`inst`) parks in the wait primitive and NodeDone unparks it, so an
  // interrupt ends the wait (false). Without one (a close taking over another thread's queue) it cannot be
  // interrupted: the condition variable, re-checked every 10 ms.
  bool WaitFor(FdEntry& e, Instance* inst) {
    if (e.offload_ops.load(std::memory_order_acquire) == 0) return true;
    if (inst) {
      {
        std::lock_guard<std::mutex> lock(idle_mu_);
        idle_instances_.push_back(inst);
        idle_waiters_.fetch_add(1, std::memory_order_seq_cst);
      }
      auto drained = [](void* a) { return static_cast<FdEntry*>(a)->offload_ops.load(std::memory_order_seq_cst) == 0; };
      WaitResult w = WaitWoken(*inst, wait::kForever, drained, &e);
      std::lock_guard<std::mutex> lock(idle_mu_);
      idle_instances_.erase(std::find(idle_instances_.begin(), idle_instances_.end(), inst));
      idle_waiters_.fetch_sub(1, std::memory_order_relaxed);
      return w == WaitResult::kReady;
    }
    std::unique_lock<std::mutex> lock(idle_mu_);
    idle_waiters_.fetch_add(1, std::memory_order_seq_cst);
    while (e.offload_ops.load(std::memory_order_seq_cst) != 0)
      idle_cv_.wait_for(lock, std::chrono::milliseconds(10));
    idle_waiters_.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }

  bool Drain(uint64_t timeout_ms) override {
    if (!running_.load(std::memory_order_acquire)) return true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::unique_lock<std::mutex> lock(idle_mu_);
    idle_waiters_.fetch_add(1, std::memory_order_seq_cst);
    bool ok = true;
    while (ops_.load(std::memory_order_seq_cst) != 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ok = false;
        break;
      }
      idle_cv_.wait_for(lock, std::chrono::milliseconds(10));
    }
    idle_waiters_.fetch_sub(1, std::memory_order_relaxed);
    WriteStats();  // Drain runs on every exit path (Process::PrepareExit)
    return ok;
  }

  void Stop() override {
    if (!running_.exchange(false)) return;
    WriteStats();
    stop_.store(true, std::memory_order_seq_cst);
    for (auto& w : workers_) w->wake_.Signal();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  // The governor: the pool only pays when its threads get CPU that neither the guest nor its clients need (bench/
  // offload-latency.js: on a saturated 2-core machine the hand-off added 40-80 % CPU per request). While no usable
  // core is idle, ops run inline on the guest's thread, as with --offload off; an entry with ops still queued keeps
  // queuing until they are done, so the order per fd holds across the switch.
  bool RunInline(FdEntry& e) {
    if (!inline_.load(std::memory_order_relaxed)) return false;
    if (e.offload_ops.load(std::memory_order_acquire) != 0) return false;
    if (stats_) stats_->inline_ops.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  static constexpr uint64_t kGovernWindowNs = 200 * 1000000ull;
  // Called by pool thread 0 now and then: over each window, idle CPU of the usable cores decides. Handing off
  // stops below a quarter of a core idle (the pool's own use counts as busy), and resumes at a whole core.
  void Govern() {
    if (!governed_) return;
    uint64_t now = NowNs();
    if (now - govern_at_ < kGovernWindowNs) return;
    uint64_t idle, total, cg_us = 0;
    if (!UsableCpuTimes(&idle, &total)) return;
    const bool cg = quota_cores_ > 0 && CgroupUsageUs(cgroup_dir_, &cg_us);
    if (govern_at_ != 0 && total > govern_total_) {
      double cores = double(usable_cores_);
      double idle_cores = cores * double(idle - govern_idle_) / double(total - govern_total_);
      // Under a CPU quota, what the group may still use counts too (the host's idle cores may be others').
      if (cg && govern_cg_us_ != 0 && cg_us >= govern_cg_us_)
        idle_cores = std::min(idle_cores, quota_cores_ - double(cg_us - govern_cg_us_) * 1000.0 / double(now - govern_at_));
      bool was = inline_.load(std::memory_order_relaxed);
      bool now_inline = was ? idle_cores < 1.0 : idle_cores < 0.25;
      if (now_inline != was) {
        inline_.store(now_inline, std::memory_order_relaxed);
        if (stats_) stats_->inline_switches.fetch_add(1, std::memory_order_relaxed);
      }
    }
    govern_at_ = now;
    govern_cg_us_ = cg ? cg_us : 0;
    govern_idle_ = idle;
    govern_total_ = total;
  }
  bool governed() const { return governed_; }
  bool inline_now() const { return inline_.load(std::memory_order_relaxed); }
  // Pool thread 0's periodic work: the governor and the stats file.
  bool ticks() const { return governed_ || stats_; }
  void Tick() {
    Govern();
    if (stats_ && NowNs() - stats_->written_at >= 1000000000ull) WriteStats();
  }

  void RecordDone(const Node& n) {
    if (!stats_) return;
    stats_->ops.fetch_add(1, std::memory_order_relaxed);
    if (n.type != kSend || n.t_enq == 0) return;
    uint64_t d = NowNs() - n.t_enq;
    stats_->sends.fetch_add(1, std::memory_order_relaxed);
    stats_->lat_sum_ns.fetch_add(d, std::memory_order_relaxed);
    uint64_t m = stats_->lat_max_ns.load(std::memory_order_relaxed);
    while (d > m && !stats_->lat_max_ns.compare_exchange_weak(m, d, std::memory_order_relaxed)) {
    }
    stats_->lat_us[std::min<uint64_t>(d / 1000, PoolStats::kBuckets - 1)].fetch_add(1, std::memory_order_relaxed);
  }

  // (Re)writes the WASMX_OFFLOAD_STATS line (while the pool threads still exist).
  void WriteStats() {
    if (!stats_) return;
    PoolStats& st = *stats_;
    std::lock_guard<std::mutex> lock(st.write_mu);
    st.written_at = NowNs();
    uint64_t sends = st.sends.load(), ops = st.ops.load();
    auto pct = [&](double q) -> double {
      if (sends == 0) return 0;
      uint64_t want = uint64_t(q * double(sends - 1)) + 1, seen = 0;
      for (uint32_t b = 0; b < PoolStats::kBuckets; b++)
        if ((seen += st.lat_us[b].load(std::memory_order_relaxed)) >= want) return b + 0.5;
      return PoolStats::kBuckets;
    };
    double cpu_us = 0;
    uint64_t naps = 0, sleeps = 0;
    for (size_t i = 0; i < threads_.size(); i++) {
      clockid_t cid;
      struct timespec ts;
      if (pthread_getcpuclockid(threads_[i].native_handle(), &cid) == 0 && clock_gettime(cid, &ts) == 0)
        cpu_us += double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
      naps += workers_[i]->naps_taken_.load();
      sleeps += workers_[i]->sleeps_.load();
    }
    char buf[1024];
    int len = std::snprintf(buf, sizeof buf,
                            "{\"mode\":\"%s\",\"threads\":%u,\"governed\":%s,\"ops\":%llu,\"sends\":%llu,"
                            "\"inline_ops\":%llu,\"inline_switches\":%llu,\"inline_at_exit\":%s,"
                            "\"handoff_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"mean\":%.1f},"
                            "\"pool_cpu_us\":%.0f,\"pool_cpu_us_per_op\":%.2f,\"wakes\":%llu,\"naps\":%llu,"
                            "\"sleeps\":%llu}\n",
                            OffloadModeName(mode_), nworkers_, governed_ ? "true" : "false", (unsigned long long)ops,
                            (unsigned long long)sends, (unsigned long long)st.inline_ops.load(),
                            (unsigned long long)st.inline_switches.load(), inline_.load() ? "true" : "false",
                            pct(0.5), pct(0.9), pct(0.99), double(st.lat_max_ns.load()) / 1e3,
                            sends ? double(st.lat_sum_ns.load()) / 1e3 / double(sends) : 0.0, cpu_us,
                            ops ? cpu_us / double(ops) : 0.0, (unsigned long long)st.wakes.load(),
                            (unsigned long long)naps, (unsigned long long)sleeps);
    if (len <= 0) return;
    if (st.file == "-") {
      ssize_t r = ::write(2, buf, size_t(len));
      (void)r;
    } else if (FILE* f = std::fopen(st.file.c_str(), "we")) {
      std::fwrite(buf, 1, size_t(len), f);
      std::fclose(f);
    }
  }

  // Called by the workers.
  void NodeDone(FdEntry& e) {
    uint32_t left = e.offload_ops.fetch_sub(1, std::memory_order_seq_cst) - 1;
    uint64_t all = ops_.fetch_sub(1, std::memory_order_seq_cst) - 1;
    if ((left == 0 || all == 0) && idle_waiters_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(idle_mu_);
      idle_cv_.notify_all();
      for (Instance* i : idle_instances_) UnparkThread(*i);  // each re-checks its own entry
    }
  }
  void BytesDone(FdEntry& e, uint64_t k) {
    bytes_.fetch_sub(k, std::memory_order_relaxed);
    uint64_t q = e.offload_bytes.fetch_sub(k, std::memory_order_seq_cst) - k;
    CheckWritable(e, q);
  }
  void CheckWritable(FdEntry& e, uint64_t queued) {
    if (!(e.offload_flags.load(std::memory_order_seq_cst) & offload_flag::kFull)) return;
    if (queued > per_fd_limit_ / 2 && e.offload_ops.load(std::memory_order_seq_cst) != 0) return;
    if (!(e.offload_flags.fetch_and(~offload_flag::kFull, std::memory_order_seq_cst) & offload_flag::kFull)) return;
    e.NotifyOffloadWritable();
    char b = 1;
    ssize_t r = ::write(notify_wr_, &b, 1);  // poll_oneoff waiters; a full pipe is awake already
    (void)r;
  }

  bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  Producer** ProducersFor(std::vector<Producer*>& v) { return v.data(); }

  OffloadConfig cfg_;
  OffloadMode mode_;
  uint64_t id_ = 0;
  uint32_t nworkers_ = 1;
  uint64_t per_fd_limit_ = 1u << 20;
  uint32_t spin_ = 200;   // idle passes a pool thread spins before napping (WASMX_OFFLOAD_SPIN overrides)
  uint32_t naps_ = 200;   // 50 us naps before it sleeps until woken (WASMX_OFFLOAD_NAPS overrides)
  bool governed_ = true;  // WASMX_OFFLOAD_GOVERN=0: always hand off, whatever the CPUs do (the offload tests)
  std::atomic<bool> inline_{false};
  uint64_t govern_at_ = 0, govern_idle_ = 0, govern_total_ = 0;  // pool thread 0 only
  uint32_t usable_cores_ = 1;
  double quota_cores_ = 0;  // cgroup v2 cpu.max, 0 = none
  std::string cgroup_dir_;
  uint64_t govern_cg_us_ = 0;
  std::unique_ptr<PoolStats> stats_;
  std::once_flag started_;
  std::string start_error_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::mutex reg_mu_;
  std::vector<std::unique_ptr<Producer>> producers_;
  std::atomic<uint64_t> producers_gen_{1};
  std::atomic<uint64_t> ops_{0}, bytes_{0};
  std::atomic<uint32_t> shutdowns_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  std::atomic<uint32_t> idle_waiters_{0};
  std::vector<Instance*> idle_instances_;  // guest threads parked in WaitFor (guarded by idle_mu_)
  int notify_rd_ = -1, notify_wr_ = -1;
};

// ---- pool thread ----

void Worker::FinishNode(Node* n) {
  FdPtr keep = std::move(n->entry);
  n->next = nullptr;
  n->done = false;
  n->host_close = false;
  Producer* owner = n->owner;
  pool_->RecordDone(*n);
  n->t_enq = 0;
  if (n->type == kShutdown) {
    keep->offload_flags.fetch_and(~offload_flag::kShutQueued, std::memory_order_seq_cst);
    pool_->shutdowns_.fetch_sub(1, std::memory_order_seq_cst);
  }
  pool_->NodeDone(*keep);
  owner->ret[index_].Push(n);  // never full: a producer has at most Ring::kCap nodes
  keep.reset();                // the last reference: the host fd closes here, on the pool thread
}

void Worker::BytesDone(FdEntry& e, uint64_t k) { pool_->BytesDone(e, k); }

void Worker::RecordError(FdEntry& e, int host_errno) {
  int32_t zero = 0;
  e.offload_error.compare_exchange_strong(zero, host_errno ? host_errno : EPIPE);
  e.offload_flags.fetch_or(offload_flag::kBroken, std::memory_order_release);
}

void Worker::Append(Node* n) {
  FdEntry& e = *n->entry;
  auto& q = e.offload_q;
  n->next = nullptr;
  if (q.tail) static_cast<Node*>(q.tail)->next = n;
  else q.head = n;
  q.tail = n;
  if (!q.listed) {
    q.listed = true;
    q.next = nullptr;
    if (active_tail_) active_tail_->offload_q.next = &e;
    else active_ = &e;
    active_tail_ = &e;
  }
}

bool Worker::PullRings() {
  thread_local std::vector<Producer*> prods;
  thread_local uint64_t gen = 0;
  thread_local Pool* for_pool = nullptr;
  if (for_pool != pool_) {
    for_pool = pool_;
    gen = 0;
  }
  pool_->Snapshot(&prods, &gen);
  bool any = false;
  for (Producer* p : prods) {
    Ring& r = p->fwd[index_];
    for (int k = 0; k < 256; k++) {
      Node* n = r.Pop();
      if (!n) break;
      Append(n);
      any = true;
    }
  }
  return any;
}

void Worker::Block(FdEntry& e) {
  e.offload_q.blocked = true;
  uint32_t ev = pollbits::OUT | pollbits::ONESHOT;
  if (poller_->Set(e.host_fd, ev, !e.offload_q.polled) == 0) {
    if (!e.offload_q.polled) polled_++;
    e.offload_q.polled = true;
  } else {
    e.offload_q.blocked = false;  // cannot wait for it: retry on the next pass
  }
}

void Worker::Unpoll(FdEntry& e) {
  if (!e.offload_q.polled) return;
  poller_->Remove(e.host_fd);
  e.offload_q.polled = false;
  e.offload_q.blocked = false;
  polled_--;
}

// Runs e's FIFO until it is empty or the socket buffer is full. Returns whether e stays active (false: e was
// unlinked and may be gone).
bool Worker::RunEntryThreads(FdEntry& e) {
  auto& q = e.offload_q;
  for (;;) {
    Node* n = static_cast<Node*>(q.head);
    bool broken = e.offload_flags.load(std::memory_order_relaxed) & offload_flag::kBroken;
    if (n->type == kSend && !broken) {
      ssize_t k = ::send(e.host_fd, n->buf() + n->off, n->len - n->off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (k > 0) {
        n->off += uint32_t(k);
        BytesDone(e, uint64_t(k));
        if (n->off < n->len) continue;
      } else if (k < 0 && errno == EINTR) {
        continue;
      } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Block(e);
        if (q.blocked) return true;
        continue;
      } else {
        RecordError(e, k < 0 ? errno : EPIPE);
        broken = true;
      }
    }
    if (n->type == kSend && n->off < n->len) BytesDone(e, n->len - n->off);  // dropped after an error
    if (n->type == kShutdown && !broken) ::shutdown(e.host_fd, SHUT_WR);
    Node* next = n->next;
    q.head = next;
    if (!next) {
      q.tail = nullptr;
      q.listed = false;
      Unpoll(e);
      FinishNode(n);  // may destroy e
      return false;
    }
    FinishNode(n);
  }
}

bool Worker::RunThreads() {
  FdEntry* e = active_;
  active_ = active_tail_ = nullptr;
  bool progress = false;
  while (e) {
    FdEntry* next = e->offload_q.next;
    bool keep = true;
    if (!e->offload_q.blocked) {
      progress = true;
      keep = RunEntryThreads(*e);
    }
    if (keep) {
      e->offload_q.next = nullptr;
      if (active_tail_) active_tail_->offload_q.next = e;
      else active_ = e;
      active_tail_ = e;
    }
    e = next;
  }
  return progress;
}

void Worker::Loop() {
  PollerEvent evs[64];
  uint32_t idle = 0;
  auto handle = [&](int n) {
    for (int i = 0; i < n; i++) {
      if (evs[i].fd == wake_.read_fd()) {
        wake_.Drain();
        continue;
      }
      if (uring_ && evs[i].fd == UringEventFd(uring_)) {
        uint64_t v;
        ssize_t r = ::read(evs[i].fd, &v, sizeof v);
        (void)r;
        continue;
      }
      // A blocked fd became writable (or failed): run its queue again.
      for (FdEntry* e = active_; e; e = e->offload_q.next)
        if (e->offload_q.polled && e->host_fd == evs[i].fd) e->offload_q.blocked = false;
    }
  };
  // Idle policy: spin a little (a busy guest hands off again within microseconds), then nap in short sleeps for a
  // while (the guest never has to wake a napping thread: no syscall on its side), then sleep until woken (the guest
  // writes the wake fd, once, only in that state). Blocked fds and io_uring completions are watched by the poller.
  uint32_t naps = 0, busy = 0, tick = 0;
  const bool governor = index_ == 0 && pool_->ticks();
  while (!pool_->stopping()) {
    if (governor && (++tick & 63) == 0) pool_->Tick();
    bool work = PullRings();
    bool progress = uring_ ? UringRun(uring_, *this) : RunThreads();
    if (work || progress) {
      idle = 0;
      naps = 0;
      // Blocked fds must not starve while other fds keep this thread busy: look at the poller now and then.
      if (polled_ > 0 && (++busy & 15) == 0) {
        int n = poller_->Wait(evs, 64, 0);
        if (n > 0) handle(n);
      }
      continue;
    }
    // While the governor keeps ops inline nothing is coming: no spinning or napping (each nap is a wake-up that
    // costs the guest and its clients CPU), straight to sleep.
    const bool inline_now = pool_->inline_now();
    if (++idle < pool_->spin_ && !inline_now) {
      CpuRelax();
      continue;
    }
    if (naps < pool_->naps_ && !inline_now) {
      naps++;
      naps_taken_.store(naps_taken_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      if (polled_ > 0) {
        int n = poller_->Wait(evs, 64, 1000000);  // blocked fds: wait for them, and look at the rings every ms
        if (n > 0) handle(n);
      } else {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, nullptr);
      }
      continue;
    }
    sleeping_.store(true, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    thread_local std::vector<Producer*> prods;
    thread_local uint64_t gen = 0;
    pool_->Snapshot(&prods, &gen);
    bool pending = false;
    for (Producer* p : prods)
      if (!p->fwd[index_].Empty()) pending = true;
    bool woke = pending;
    if (!pending && !pool_->stopping()) {
      sleeps_.store(sleeps_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      // Thread 0 of a governed pool wakes now and then to look at the CPUs again (inline ops never wake it).
      int n = poller_->Wait(evs, 64, governor ? Pool::kGovernWindowNs : UINT64_MAX);
      if (n > 0) {
        handle(n);
        woke = true;
      }
      if (governor) pool_->Tick();
    }
    sleeping_.store(false, std::memory_order_relaxed);
    if (woke) {  // work or a wake-up: spin and nap again before the next sleep; a timeout goes back to sleep
      idle = 0;
      naps = 0;
    }
  }
  // Stopped: drop what is left (closing the host fds).
  PullRings();
  while (FdEntry* e = active_) {
    active_ = e->offload_q.next;
    auto& q = e->offload_q;
    Node* n = static_cast<Node*>(q.head);
    q.head = q.tail = nullptr;
    q.listed = false;
    Unpoll(*e);
    while (n) {
      Node* next = n->next;
      if (n->type == kSend && n->off < n->len) BytesDone(*e, n->len - n->off);
      FinishNode(n);
      n = next;
    }
  }
  active_tail_ = nullptr;
  if (uring_) UringDestroy(uring_);
  uring_ = nullptr;
  delete poller_;
  poller_ = nullptr;
}

}  // namespace offload

static void Say(const OffloadConfig& cfg, const std::string& m) {
  if (!cfg.verbose) return;
  std::string line = "wasmx: offload: " + m + "\n";
  ssize_t r = ::write(2, line.data(), line.size());
  (void)r;
}

std::unique_ptr<Offload> Offload::Create(const OffloadConfig& cfg) {
  OffloadMode m = cfg.mode == OffloadMode::kAuto ? AutoOffloadMode() : cfg.mode;
  if (m == OffloadMode::kUring) {
    // Probe once, up front: seccomp, kernel.io_uring_disabled or an old kernel make io_uring_queue_init fail.
    static std::once_flag probed;
    static std::string why;
    static bool ok = false;
    std::call_once(probed, [] {
      offload::UringCtx* u = offload::UringCreate(&why);
      ok = u != nullptr;
      if (u) offload::UringDestroy(u);
    });
    if (!ok) {
      static std::atomic<bool> said{false};
      if (!said.exchange(true)) Say(cfg, "io_uring unavailable (" + why + "); falling back to threads");
      CountIo(kIoOffloadUringFallbacks);
      m = OffloadMode::kThreads;
    }
  }
  if (m == OffloadMode::kOff) {
    static std::atomic<bool> said{false};
    if (!said.exchange(true)) Say(cfg, cfg.mode == OffloadMode::kAuto ? "off (auto: fewer than 4 cores)" : "off");
    return nullptr;
  }
  auto pool = std::make_unique<offload::Pool>(cfg, m);
  static std::atomic<bool> said{false};
  if (!said.exchange(true))
    Say(cfg, std::string(OffloadModeName(m)) + (cfg.mode == OffloadMode::kAuto ? " (auto)" : "") +
                 ", up to " + std::to_string(cfg.max_bytes) + " bytes in flight per process" +
                 (pool->governed() ? "; inline while no usable core is idle" : ""));
  return pool;
}

}  // namespace wasmx
