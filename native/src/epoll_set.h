// A guest epoll instance (epoll_create/ctl/wait, ABI §5.2 / §6.3): a real host Poller plus the guest-side
// registration state — guest fd -> {events mask, 24 data bytes, the entry}, host fd -> guest fd.
//
// Semantics: Linux's. Level-triggered unless EPOLLET; EPOLLONESHOT disarms after one report until re-armed by
// a modify; ERR and HUP are reported even when not asked for; one event per fd with merged bits; events name
// guest fds and echo the registration's data bytes verbatim.
//
// Lifetime and close: a registration holds a reference to the watched FdEntry (so its host fd cannot be closed
// and its number reused by the host under the poller), and the set subscribes to the entry's last guest close
// (FdEntry::AddCloseListener), which removes every registration of that entry — so a guest fd number that is
// closed and reused never reports the old registration (ABI §9.6). As on Linux, a registration survives while
// another guest fd (fd_dup / fd_renumber) still refers to the same entry; if its number has meanwhile been reused
// for a different entry, the next epoll_ctl on that number replaces the orphan instead of modifying it.
//
// Threading: one mutex guards the maps; Wait does not hold it while blocked, so other guest threads can add,
// modify, delete and close fds while one thread waits. Reports that race with a removal are recognised by a
// per-registration token and dropped.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "fd_table.h"
#include "poller/poller.h"
#include "wake_fd.h"
#include "wasi_serdes.h"
#include "wasi_types.h"

namespace wasmx {

class Offload;  // offload/offload.h
struct Instance;

// epoll_ctl op encodings (§6.3.3): the witx's ADD is 0; wasix-libc passes Linux's ADD=1 / MOD=3.
namespace epollop {
constexpr uint32_t ADD = 0, UPSERT_1 = 1, DEL = 2, UPSERT_3 = 3;
}

class EpollSet final : public GuestCloseListener, public std::enable_shared_from_this<EpollSet> {
 public:
  // Creates the host poller. On failure returns null with *error set.
  static std::shared_ptr<EpollSet> Create(Errno* error);
  ~EpollSet() override;

  // The host poller's fd (readable when Wait would report something), for nesting and fdstat.
  int host_fd() const { return poller_->fd(); }

  // epoll_ctl on guest fd `gfd`, whose entry is `target`. `ev` is null for DEL.
  Errno Ctl(uint32_t op, uint32_t gfd, const FdRef& target, const EpollEventImage* ev);

  // Waits up to timeout_ns (UINT64_MAX = forever) and fills out[0..max) (max >= 1). Timeout is success with 0.
  // `off` (may be null): the process's offload pool, whose queued shutdowns of watched entries are waited for first.
  // The calling thread's wake fd is in the host poller too (registered on its first wait here), so a signal
  // ends the wait with INTR at the cost of no extra syscall (wait.h).
  Errno Wait(Instance& inst, EpollEventImage* out, uint32_t max, uint64_t timeout_ns, uint32_t* count,
             Offload* off = nullptr);

  // The guest closed the last fd of `e`: drop its registrations.
  void OnGuestClose(FdEntry& e) override;
  // The offload pool drained `e`'s queue after an AGAIN: report OUT for its registrations that ask for it, even
  // where the kernel raises no new edge (EPOLLET), through the synthetic-readiness fd in the poller.
  void OnOffloadWritable(FdEntry& e) override;
  // The epoll fd itself was closed by the guest: drop every registration (releases the watched entries).
  void Clear();

  size_t size();  // number of registrations (tests / diagnostics)

 private:
  struct Reg {
    FdPtr entry;       // owned: keeps the entry (and its host fd) alive while registered
    int host_fd;       // entry->host_fd, or a private dup when another registration here already uses that fd
    bool own_host_fd;  // host_fd is the private dup (closed with the registration)
    uint32_t token;    // distinguishes this registration from earlier ones on the same host fd
    uint32_t events;   // guest mask (interest + modes)
    uint8_t data[24];
    bool synth_out;    // a synthetic OUT (offload queue drained) waits to be reported
  };

  EpollSet() = default;
  // Removes the registration of `gfd` (lock held). Releases go into *released, to be dropped after unlocking.
  void EraseLocked(uint32_t gfd, std::vector<FdPtr>* released);

  std::unique_ptr<Poller> poller_;
  std::mutex mu_;
  std::unordered_map<uint32_t, Reg> by_guest_;                    // guest fd -> registration
  std::unordered_map<int, uint32_t> by_host_;                     // host fd in the poller -> guest fd
  std::unordered_multimap<const FdEntry*, uint32_t> by_entry_;    // entry -> its registered guest fds
  uint32_t next_token_ = 1;
  // Synthetic readiness (offload): guest fds with synth_out set, and the host fd in the poller that is readable
  // while there are any (an eventfd on Linux, a pipe elsewhere).
  std::vector<uint32_t> synth_;
  WakeFd synth_wake_;  // readable while synthetic readiness (offload writability) is waiting to be merged
  // The wake fds of guest threads that waited here (host fd -> WakeFd::id), in the poller with kWakeToken. A
  // report of another thread's wake fd is ignored (that thread drains it in its own wait).
  static constexpr uint32_t kWakeToken = 0xFFFFFFFFu;
  std::unordered_map<int, uint64_t> wakes_;
  void SignalSynth();
  void ClearSynth();
};

// The fd-table entry of a guest epoll fd (FdKind::kEpoll). Its host_fd is the poller's (owned by the set).
struct EpollEntry final : FdEntry {
  explicit EpollEntry(std::shared_ptr<EpollSet> s);
  const std::shared_ptr<EpollSet> set;
};

// The set behind `e`, or null when `e` is not an epoll fd.
inline EpollSet* AsEpollSet(FdEntry& e) {
  return e.kind == FdKind::kEpoll ? static_cast<EpollEntry&>(e).set.get() : nullptr;
}

}  // namespace wasmx
