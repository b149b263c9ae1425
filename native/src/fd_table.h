// The guest's file-descriptor table: guest fd numbers -> host resources, with its own lock.
//
// One table per guest process, shared by all of its threads. Entries are reference-counted: a syscall holds a
// reference for its duration, so another thread closing the same guest fd can never make the host fd number be
// reused under a call in flight (the host fd closes when the last reference goes).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "wasi_types.h"

struct stat;

namespace wasmx {

struct ReaddirState;  // fd_readdir's listing of a directory fd (syscalls/wasi/fd_readdir.cc)

enum class FdKind : uint8_t { kStdio, kFile, kDirectory, kSocket, kPipe, kEvent, kEpoll, kOther };

struct FdEntry;

// Something that holds per-entry state keyed on an FdEntry (an epoll set's registrations) and must drop it when
// the guest closes the entry's last fd. An entry may have several (one per epoll set it is in): see
// FdEntry::AddCloseListener.
class GuestCloseListener {
 public:
  virtual ~GuestCloseListener() = default;
  // Runs at most once per (entry, listener) subscription, without any FdTable or FdEntry lock held.
  virtual void OnGuestClose(FdEntry& e) = 0;
  // The offload pool drained `e`'s queue after the guest got AGAIN from it (a synthetic write readiness the host
  // poller cannot see: see offload/offload.h). Runs on a pool thread, without FdTable or FdEntry locks held.
  virtual void OnOffloadWritable(FdEntry& e) {}
};

// FdEntry::offload_flags bits (offload/offload.h).
namespace offload_flag {
constexpr uint32_t kFull = 1;         // the guest got AGAIN because this entry's queue is over its limit
constexpr uint32_t kBroken = 2;       // a background send failed: offload_error holds the host errno
constexpr uint32_t kReported = 4;     // offload_error was returned to the guest once
constexpr uint32_t kHostClosed = 8;   // the pool closed host_fd itself (io_uring close): the destructor must not
constexpr uint32_t kShutWr = 16;      // the guest shut down writing (sends now fail with PIPE at once)
constexpr uint32_t kShutQueued = 32;  // that shutdown is still queued (epoll/poll wait for it: HUP is visible)
}  // namespace offload_flag

struct FdEntry : std::enable_shared_from_this<FdEntry> {
  FdEntry(int host_fd, FdKind kind, uint8_t filetype, bool close_host = true)
      : host_fd(host_fd), kind(kind), filetype(filetype), close_host(close_host) {}
  ~FdEntry();
  FdEntry(const FdEntry&) = delete;
  FdEntry& operator=(const FdEntry&) = delete;

  const int host_fd;
  // kFile also for a directory that path_open opened without oflags DIRECTORY: ask IsDirectory(), not kind.
  const FdKind kind;
  std::atomic<uint8_t> filetype;         // WASI filetype reported by fd_fdstat_get: read it with Filetype()
  std::atomic<uint16_t> fdflags{0};      // guest-visible fdflags (APPEND, NONBLOCK, ...)
  uint64_t rights_base = rights::ALL;
  uint64_t rights_inheriting = rights::ALL;
  const bool close_host;

  // Directories: the guest name of a preopen (empty for directories opened later).
  std::string preopen_name;
  // The guest's /dev preopen (dev_dir.h): path_open / path_filestat_get serve device names beneath it.
  bool dev_root = false;
  // Sockets: WASI address family and socket type, fixed at creation.
  uint8_t sock_family = 0;
  uint8_t sock_type = 0;
  // Unix sockets the guest bound to a path: that path as the guest gave it (the host bound a /proc/self/fd name,
  // unix_addr.h), which sock_addr_local reports. Guarded by unix_mu (another thread may bind as it is read).
  std::mutex unix_mu;
  std::string unix_bound_path;
  // Sockets: timeouts set through sock_set_opt_time (ns; 0 = none), applied by the socket calls.
  std::atomic<uint64_t> accept_timeout_ns{0};
  std::atomic<uint64_t> connect_timeout_ns{0};
  // Event fds (fd_event) emulated without eventfd need a second host fd; -1 where unused.
  int aux_fd = -1;

  // Offload pool (offload/offload.h). `offloadable` is set at creation for the sockets whose sends, shutdown(WR)
  // and close may run on the pool (accepted TCP sockets). The counters are shared by the guest threads and the
  // pool; offload_q is private to the one pool thread that owns this entry's shard.
  bool offloadable = false;
  std::atomic<uint32_t> offload_flags{0};   // offload_flag bits
  std::atomic<int32_t> offload_error{0};    // host errno of the first failed background op (kBroken)
  std::atomic<uint32_t> offload_ops{0};     // ops queued or running for this entry
  std::atomic<uint64_t> offload_bytes{0};   // bytes queued and not yet handed to the kernel
  std::atomic<void*> offload_producer{nullptr};  // the guest thread's queue that holds this entry's ops
  struct OffloadQueue {
    void* head = nullptr;    // ops in order (the pool's nodes)
    void* tail = nullptr;
    FdEntry* next = nullptr; // the pool thread's list of entries with work
    bool listed = false;
    bool blocked = false;    // waiting for the host fd to become writable
    bool polled = false;     // registered in the pool thread's poller
    uint32_t inflight = 0;   // io_uring: SQEs submitted and not completed
  } offload_q;

  // The host fd stays O_NONBLOCK whatever the guest's NONBLOCK flag; blocking calls are emulated with poll
  // (serve listeners, so a graceful drain can wake a blocked accept). Set by PinHostNonblocking.
  std::atomic<bool> host_nonblock_pinned{false};

  bool nonblocking() const { return fdflags.load(std::memory_order_relaxed) & fdflags::NONBLOCK; }

  // Files from path_open: their type is learnt when first needed, so that an open is one host call (native
  // programs open then fstat; that fstat, fd_filestat_get, supplies the type for free through LearnType).
  // type_pending entries have kind kFile, filetype UNKNOWN and the rights asked for until then; learning the type
  // also masks rights_base per type (DIR_BASE / FILE_BASE, no FD_SEEK/FD_TELL on a terminal). Read rights_base of
  // a pending entry only after Filetype() when the right depends on the type (FdTable::Lookup does).
  std::atomic<bool> type_pending{false};
  uint8_t Filetype() {
    if (type_pending.load(std::memory_order_acquire)) ResolveType();
    return filetype.load(std::memory_order_relaxed);
  }
  bool IsDirectory() { return kind == FdKind::kDirectory || Filetype() == filetype::DIRECTORY; }
  // Records the type from a stat of host_fd made for another reason (no-op when the type is known).
  void LearnType(const struct stat& st);
  // The position fd_tell last reported (-1 = none since the last sock_send_file). wasix-libc's sendfile() with a
  // NULL offset passes fd_tell's answer: sock_send_file then advances the file position like Linux sendfile(2)
  // does for a NULL offset, and leaves it alone for an explicit offset (see syscalls/wasix/sock_send_file.cc).
  std::atomic<int64_t> told_position{-1};

  // How many guest fd numbers refer to this entry (fd_dup / fd_renumber share entries). Maintained by FdTable.
  uint32_t guest_refs = 0;

  // Directories: the listing fd_readdir hands out by cookie (taken at cookie 0), guarded by readdir_mu.
  std::mutex readdir_mu;
  std::shared_ptr<ReaddirState> readdir;

  // Called (once) when the last guest fd referring to this entry is closed, before the host fd is released.
  // Used by epoll sets and the offload pool to drop registrations for this entry.
  std::function<void(FdEntry&)> on_guest_close;

  // Subscribes `l` to this entry's last guest close (in addition to on_guest_close; any number of listeners,
  // each held weakly, duplicates ignored). Returns false, without subscribing, when the last guest fd is already
  // gone: the caller must then treat the entry as closed (BADF). Thread-safe.
  bool AddCloseListener(const std::shared_ptr<GuestCloseListener>& l);
  void RemoveCloseListener(const GuestCloseListener* l);
  // Tells every listener (epoll set) watching this entry that the offload queue drained (OnOffloadWritable).
  void NotifyOffloadWritable();
  // Marks the entry guest-closed and runs on_guest_close and the listeners (once). Called by FdTable.
  void RunGuestCloseHooks();

 private:
  void ResolveType();  // one fstat of host_fd
  std::mutex listeners_mu_;
  bool guest_closed_ = false;  // guarded by listeners_mu_
  std::vector<std::weak_ptr<GuestCloseListener>> listeners_;
};

using FdPtr = std::shared_ptr<FdEntry>;

// An open fd entry held for the duration of a call. While the guest process has a single thread nothing can
// close the entry under the call, so the handle is a plain pointer (no lock, no atomic refcount: this is the
// syscall hot path). Once the process has several threads the table hands out owning references instead.
class FdRef {
 public:
  FdRef() = default;
  FdRef(std::nullptr_t) {}
  FdRef(FdPtr p) : raw_(p.get()), owner_(std::move(p)) {}
  static FdRef Borrow(FdEntry* e) {
    FdRef r;
    r.raw_ = e;
    return r;
  }
  FdEntry* operator->() const { return raw_; }
  FdEntry& operator*() const { return *raw_; }
  explicit operator bool() const { return raw_ != nullptr; }
  bool operator==(std::nullptr_t) const { return raw_ == nullptr; }
  bool operator!=(std::nullptr_t) const { return raw_ != nullptr; }
  FdEntry* get() const { return raw_; }
  // An owning pointer (to keep the entry beyond the call, or to install it under another number).
  FdPtr shared() const { return owner_ ? owner_ : raw_ ? raw_->shared_from_this() : nullptr; }
  operator FdPtr() const { return shared(); }

 private:
  FdEntry* raw_ = nullptr;
  FdPtr owner_;
};

class FdTable {
 public:
  static constexpr uint32_t kMaxFds = 1u << 20;

  // The entry at `fd`, or null when the fd is not open. Inline: every fd syscall starts here, and while the
  // process has one thread it is a bounds check and a load.
  FdRef Get(uint32_t fd) {
    if (!shared_.load(std::memory_order_relaxed)) return FdRef::Borrow(fd < slots_.size() ? slots_[fd].get() : nullptr);
    return GetShared(fd);
  }
  // Looks up `fd` and checks the rights `needed`: BADF when not open, NOTCAPABLE when a right is missing.
  Errno Lookup(uint32_t fd, uint64_t needed, FdRef* out) {
    FdRef e = Get(fd);
    if (!e) return err::BADF;
    // A right the file type decides (path_open left the type to be learnt): learn it before answering.
    if ((needed & rights::TYPE_DEPENDENT) && e->type_pending.load(std::memory_order_acquire)) e->Filetype();
    if ((e->rights_base & needed) != needed) return err::NOTCAPABLE;
    *out = std::move(e);
    return err::SUCCESS;
  }
  // Installs `entry` at the lowest free number >= min_fd, with the fd's CLOEXEC flag `cloexec`. MFILE when full.
  Errno Insert(FdPtr entry, uint32_t min_fd, uint32_t* out_fd, bool cloexec = false);
  // fd_dup / F_DUPFD: `fd`'s entry also at the lowest free number >= min_fd, atomically with respect to closes
  // (a concurrent fd_close of `fd` cannot run the entry's close hooks and then see it reinstalled). BADF when
  // `fd` is not open, MFILE when full; *out_entry (optional) receives the shared entry.
  // The new number gets CLOEXEC = `cloexec` (POSIX: per fd number, not shared with `fd`).
  Errno Duplicate(uint32_t fd, uint32_t min_fd, uint32_t* out_fd, FdPtr* out_entry = nullptr, bool cloexec = false);
  // The fd's CLOEXEC flag (fdflagsext), which POSIX keeps per fd number: a dup's flag is its own. BADF when not open.
  Errno GetCloexec(uint32_t fd, bool* out);
  Errno SetCloexec(uint32_t fd, bool cloexec);
  // Installs `entry` exactly at `fd` (used for stdio and preopens at startup). Replaces what was there.
  void Place(uint32_t fd, FdPtr entry);
  // Removes `fd` and returns its entry (null when not open); *last is set when no other guest fd refers to it.
  FdPtr Remove(uint32_t fd, bool* last = nullptr);
  // fd_renumber. kDup2 (WASIX, §10.13): POSIX dup2 — `to` (open or not) becomes a second reference to `from`'s
  // entry with CLOEXEC clear; `from` stays open with its own flag. kMove (preview1): `to` must be open (BADF
  // otherwise); it is replaced by `from`'s entry and CLOEXEC, and `from` is closed — one atomic step.
  enum class RenumberMode { kDup2, kMove };
  Errno Renumber(uint32_t from, uint32_t to, RenumberMode mode = RenumberMode::kDup2);
  // Closes every fd (process teardown).
  void Clear();
  // Calls fn for each open fd (under the table lock: fn must not call back into the table).
  void ForEach(const std::function<void(uint32_t fd, FdEntry& e)>& fn);
  // Called before a second thread can touch the table: from then on lookups lock and own references.
  void MarkShared() { shared_.store(true); }

 private:
  FdRef GetShared(uint32_t fd);  // several threads: under the lock, an owning reference
  // Stores `e` at `fd` (lock held), keeping guest_refs right; returns the displaced entry if its last ref went.
  FdPtr SetLocked(uint32_t fd, FdPtr e);

  std::atomic<bool> shared_{false};
  std::mutex mu_;
  std::vector<FdPtr> slots_;
  std::vector<uint8_t> cloexec_;  // per fd number, parallel to slots_ (guarded by mu_)
};

// Removes guest `fd` from `table` and, if it was the last guest fd for the entry, runs its on_guest_close hook.
// The host fd itself closes when the last in-flight reference drops.
Errno CloseGuestFd(FdTable& table, uint32_t fd);

}  // namespace wasmx
