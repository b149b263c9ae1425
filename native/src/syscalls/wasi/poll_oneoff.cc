#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vector>

#include "syscall.h"
#include "wait.h"

namespace wasmx {
#ifdef POLLRDHUP
constexpr short kPollReadHup = POLLRDHUP;
#else
constexpr short kPollReadHup = 0;
#endif

namespace {

uint64_t NowNs(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return TimespecToNs(ts);
}

uint64_t SatAdd(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

struct FdWatch {
  size_t sub;      // subscription index
  FdRef entry;     // held for the call: the host fd stays valid even if another thread closes the guest fd
  bool offload = false;  // FD_WRITE on a socket whose offload queue is over its limit: waits on the pool's notify fd
};

}  // namespace

// ABI §4.2 / §4.5. Clock subscriptions (REALTIME / MONOTONIC, relative or ABSTIME; relative 0 fires at once, as
// the WASI spec says) and fd_read / fd_write subscriptions on any fd backed by a host fd, waited for together
// with poll(2). Regular files and directories are always ready. One event per triggered subscription, written in
// subscription order. An fd subscription on a closed fd is an event with error BADF, not a failed call.
static Errno poll_oneoff(Instance& inst, uint32_t in_p, uint32_t out_p, uint32_t nsubs, uint32_t nevents_p) {
  if (nsubs == 0) return err::INVAL;
  if (!inst.mem.InBounds(in_p, uint64_t(nsubs) * kSubscriptionSize) ||
      !inst.mem.InBounds(out_p, uint64_t(nsubs) * kEventSize) || !inst.mem.InBounds(nevents_p, 4))
    return err::FAULT;

  // Read every subscription once: another guest thread may change the memory while we wait.
  std::vector<Subscription> subs(nsubs);
  for (uint32_t i = 0; i < nsubs; i++) DecodeSubscription(inst.mem.At(in_p + i * kSubscriptionSize), &subs[i]);

  std::vector<PollEvent> events(nsubs);
  std::vector<bool> fired(nsubs, false);
  size_t nfired = 0;
  auto fire = [&](size_t i, Errno error, uint64_t nbytes, uint16_t flags) {
    if (fired[i]) return;
    fired[i] = true;
    nfired++;
    events[i] = PollEvent{subs[i].userdata, error, subs[i].tag, nbytes, flags};
  };

  const uint64_t start = NowNs(CLOCK_MONOTONIC);
  std::vector<std::pair<size_t, uint64_t>> clocks;  // (subscription, monotonic deadline)
  std::vector<FdWatch> watches;
  std::vector<struct pollfd> pfds;

  for (size_t i = 0; i < nsubs; i++) {
    const Subscription& s = subs[i];
    if (s.tag == eventtype::CLOCK) {
      clockid_t c;
      if (s.clock_id == clockid::REALTIME) c = CLOCK_REALTIME;
      else if (s.clock_id == clockid::MONOTONIC) c = CLOCK_MONOTONIC;
      else return err::INVAL;
      if (s.flags & ~subclockflags::ABSTIME) return err::INVAL;
      uint64_t remaining = s.timeout;
      if (s.flags & subclockflags::ABSTIME) {
        uint64_t now = c == CLOCK_MONOTONIC ? start : NowNs(c);
        remaining = s.timeout > now ? s.timeout - now : 0;
      }
      clocks.push_back({i, SatAdd(start, remaining)});
    } else if (s.tag == eventtype::FD_READ || s.tag == eventtype::FD_WRITE) {
      FdRef e = inst.fds().Get(s.fd);
      if (!e) {
        fire(i, err::BADF, 0, 0);
        continue;
      }
      if (e->host_fd < 0) {
        fire(i, err::NOTSUP, 0, 0);
        continue;
      }
      // Regular files and directories are always ready. The entry knows its type (sockets, pipes, event fds never
      // are one; a file learns its type once): no fstat per subscription per call, which a poll() server over
      // many connections would pay on every loop.
      const bool may_be_file = e->kind == FdKind::kFile || e->kind == FdKind::kDirectory || e->kind == FdKind::kStdio;
      const uint8_t ft = may_be_file ? e->Filetype() : filetype::UNKNOWN;
      if (ft == filetype::REGULAR_FILE || ft == filetype::DIRECTORY) {
        uint64_t nbytes = 0;
        struct stat st;
        if (s.tag == eventtype::FD_READ && ft == filetype::REGULAR_FILE && fstat(e->host_fd, &st) == 0) {
          off_t pos = lseek(e->host_fd, 0, SEEK_CUR);
          if (pos >= 0 && st.st_size > pos) nbytes = uint64_t(st.st_size - pos);
        }
        fire(i, err::SUCCESS, nbytes, 0);
        continue;
      }
      Offload* off = e->offloadable ? inst.proc->offload() : nullptr;
      // A queued shutdown(WR) of this socket must be visible to the poll (HUP): let it happen first.
      if (off && (e->offload_flags.load(std::memory_order_acquire) & offload_flag::kShutQueued) && !off->WaitIdle(inst, *e))
        return err::INTR;
      if (off && s.tag == eventtype::FD_WRITE &&
          (e->offload_flags.load(std::memory_order_acquire) & offload_flag::kFull)) {
        // The kernel has room: the pool may only be behind in its accounting; give it a moment (epoll_set.cc).
        struct pollfd k = {e->host_fd, POLLOUT, 0};
        if (::poll(&k, 1, 0) == 1 && off->SettleFull(*e)) {
          fire(i, err::SUCCESS, 0, 0);
          continue;
        }
        // Not writable for the guest until the pool drains its queue (the kernel may well say writable).
        pfds.push_back({off->notify_fd(), POLLIN, 0});
        watches.push_back({i, std::move(e), true});
        continue;
      }
      pfds.push_back({e->host_fd, short(s.tag == eventtype::FD_READ ? POLLIN | kPollReadHup : POLLOUT), 0});
      watches.push_back({i, std::move(e)});
    } else {
      return err::INVAL;
    }
  }

  for (;;) {
    uint64_t now = NowNs(CLOCK_MONOTONIC);
    uint64_t next = UINT64_MAX;
    for (auto& [i, deadline] : clocks) {
      if (deadline <= now) fire(i, err::SUCCESS, 0, 0);
      else if (deadline < next) next = deadline;
    }
    bool offload_waits = false;
    for (const FdWatch& w : watches) {
      if (!w.offload || fired[w.sub]) continue;
      if (w.entry->offload_flags.load(std::memory_order_acquire) & offload_flag::kFull) offload_waits = true;
      else fire(w.sub, err::SUCCESS, 0, 0);
    }
    // Something already fired: still look at the fds once (without waiting) so every ready one is reported.
    uint64_t timeout = nfired > 0 ? 0 : next == UINT64_MAX ? UINT64_MAX : next - now;
    // The notify fd is shared by the process's waiters: re-check now and then rather than trust one wake-up.
    if (offload_waits && timeout > 10000000ull) timeout = 10000000ull;
    if (pfds.empty() && timeout == 0) break;
    if (pfds.empty() && timeout == UINT64_MAX) return err::INVAL;  // unreachable: nsubs > 0 and nothing to wait on
    // The one wait primitive: a signal for this thread ends the wait with INTR (delivered as the call returns).
    WaitResult w = WaitFds(inst, pfds.data(), pfds.size(), timeout);
    if (w == WaitResult::kInterrupted || w == WaitResult::kError) return WaitErrno(w);
    for (size_t k = 0; k < pfds.size(); k++) {
      short rev = pfds[k].revents;
      if (!rev) continue;
      const FdWatch& w = watches[k];
      if (w.offload) {
        char drain[64];
        while (::read(pfds[k].fd, drain, sizeof drain) > 0) {
        }
        if (!(w.entry->offload_flags.load(std::memory_order_acquire) & offload_flag::kFull))
          fire(w.sub, err::SUCCESS, 0, 0);
        continue;
      }
      const bool is_read = subs[w.sub].tag == eventtype::FD_READ;
      // For a reader, a peer that shut down its writing side (a socket's POLLRDHUP) is a hang-up too: every read
      // from now on returns EOF. (Node's child stdio are socketpairs: end() is such a half-close.)
      uint16_t flags = (rev & POLLHUP) || (is_read && (rev & kPollReadHup)) ? eventrwflags::HANGUP : 0;
      if (is_read) {
        if (!(rev & (POLLIN | POLLHUP | kPollReadHup | POLLERR | POLLNVAL))) continue;
        uint64_t nbytes = 0;
        int avail = 0;
        // The byte count costs an ioctl per ready fd. wasix-libc's poll() never reads it, so a WASIX module's ready
        // socket reports 0 ("ready, count not asked"); preview1 modules and pipes/stdio get the count.
        const bool count = !(inst.proc->wasix() && w.entry->kind == FdKind::kSocket);
        if (count && (rev & POLLIN) && ioctl(pfds[k].fd, FIONREAD, &avail) == 0 && avail > 0) nbytes = uint64_t(avail);
        fire(w.sub, err::SUCCESS, nbytes, flags);
      } else {
        if (!(rev & (POLLOUT | POLLHUP | POLLERR | POLLNVAL))) continue;
        // A pipe whose reader is gone reports POLLERR: EPIPE for the guest (libc turns it into POLLHUP). Socket
        // errors are left for the next socket call to report (reading SO_ERROR here would consume them).
        Errno error = ((rev & POLLERR) && w.entry->kind != FdKind::kSocket) ? err::PIPE : err::SUCCESS;
        fire(w.sub, error, 0, flags);
      }
    }
    now = NowNs(CLOCK_MONOTONIC);
    for (auto& [i, deadline] : clocks)
      if (deadline <= now) fire(i, err::SUCCESS, 0, 0);
    if (nfired > 0) break;
  }

  uint32_t n = 0;
  uint8_t buf[kEventSize];
  for (size_t i = 0; i < nsubs; i++) {
    if (!fired[i]) continue;
    EncodeEvent(events[i], buf);
    if (!inst.mem.Write(out_p + n * kEventSize, buf, kEventSize)) return err::FAULT;
    n++;
  }
  return StoreU32(inst, nevents_p, n);
}
WASMX_WASI(poll_oneoff);
}  // namespace wasmx
