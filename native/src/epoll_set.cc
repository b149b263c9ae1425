#include "epoll_set.h"

#include "instance.h"
#include "wait.h"

#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstring>

#include "errno_map.h"
#include "offload/offload.h"

namespace wasmx {

EpollEntry::EpollEntry(std::shared_ptr<EpollSet> s)
    : FdEntry(s->host_fd(), FdKind::kEpoll, filetype::UNKNOWN, /*close_host=*/false), set(std::move(s)) {
  rights_base = rights::POLL_FD_READWRITE | rights::FD_FDSTAT_SET_FLAGS | rights::FD_FILESTAT_GET;
  rights_inheriting = 0;
  // The guest closing its last epoll fd releases every watched entry now (not when in-flight waits finish).
  on_guest_close = [](FdEntry& e) { static_cast<EpollEntry&>(e).set->Clear(); };
}

std::shared_ptr<EpollSet> EpollSet::Create(Errno* error) {
  std::shared_ptr<EpollSet> s(new EpollSet());
  s->poller_.reset(Poller::Create());
  if (!s->poller_) {
    *error = LastErrno();
    return nullptr;
  }
  if (!s->synth_wake_.Open() || s->poller_->Set(s->synth_wake_.read_fd(), pollbits::IN, true) != 0) {
    *error = LastErrno();
    return nullptr;
  }
  return s;
}

EpollSet::~EpollSet() {
  Clear();
}

void EpollSet::SignalSynth() { synth_wake_.Signal(); }

void EpollSet::ClearSynth() { synth_wake_.Drain(); }

void EpollSet::OnOffloadWritable(FdEntry& e) {
  bool any = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto range = by_entry_.equal_range(&e);
    for (auto it = range.first; it != range.second; ++it) {
      auto g = by_guest_.find(it->second);
      if (g == by_guest_.end() || !(g->second.events & pollbits::OUT)) continue;
      if (!g->second.synth_out) {
        g->second.synth_out = true;
        synth_.push_back(it->second);
      }
      any = true;
    }
  }
  if (any) SignalSynth();
}

size_t EpollSet::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return by_guest_.size();
}

void EpollSet::EraseLocked(uint32_t gfd, std::vector<FdPtr>* released) {
  auto it = by_guest_.find(gfd);
  if (it == by_guest_.end()) return;
  Reg& r = it->second;
  poller_->Remove(r.host_fd);
  by_host_.erase(r.host_fd);
  if (r.own_host_fd) ::close(r.host_fd);
  const FdEntry* key = r.entry.get();
  bool others = false;
  auto range = by_entry_.equal_range(key);
  for (auto e = range.first; e != range.second;) {
    if (e->second == gfd) e = by_entry_.erase(e);
    else {
      others = true;
      ++e;
    }
  }
  // No registration here watches the entry any more: stop listening for its close.
  if (!others) r.entry->RemoveCloseListener(this);
  released->push_back(std::move(r.entry));
  by_guest_.erase(it);
}

Errno EpollSet::Ctl(uint32_t op, uint32_t gfd, const FdRef& target, const EpollEventImage* ev) {
  std::vector<FdPtr> released;  // dropped after unlocking: the last reference may close a host fd
  Errno result = err::SUCCESS;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_guest_.find(gfd);
    if (it != by_guest_.end() && it->second.entry.get() != target.get()) {
      // An orphan: `gfd` was closed while a dup kept the old entry alive, then reused for `target`.
      EraseLocked(gfd, &released);
      it = by_guest_.end();
    }
    const bool exists = it != by_guest_.end();
    if (op == epollop::DEL) {
      if (!exists) result = err::NOENT;
      else EraseLocked(gfd, &released);
    } else if (op == epollop::ADD && exists) {
      result = err::EXIST;
    } else {
      // Unknown bits are ignored, as Linux does.
      const uint32_t events = ev->events & (pollbits::INTEREST | pollbits::ALWAYS | pollbits::MODES);
      if (exists) {
        Reg& r = it->second;
        // Linux: EPOLLEXCLUSIVE can only be given when adding, and such a registration cannot be modified.
        if ((events | r.events) & pollbits::EXCLUSIVE) {
          result = err::INVAL;
        } else if (poller_->Set(r.host_fd, events, false, r.token) != 0) {
          result = LastErrno();
        } else {
          r.events = events;
          std::memcpy(r.data, ev->data, sizeof r.data);
        }
      } else if ((events & pollbits::EXCLUSIVE) &&
                 (events & ~(pollbits::IN | pollbits::OUT | pollbits::ALWAYS | pollbits::ET | pollbits::EXCLUSIVE))) {
        result = err::INVAL;  // Linux allows EXCLUSIVE only with IN, OUT, ERR, HUP, ET
      } else if (target->host_fd < 0) {
        result = err::PERM;  // nothing the host can poll
      } else if (!target->AddCloseListener(shared_from_this())) {
        result = err::BADF;  // its last guest fd was closed while this call was starting
      } else {
        int hfd = target->host_fd;
        bool own = false;
        if (by_host_.count(hfd)) {
          // The same host fd is already watched here under another guest fd (fd_dup shares entries). Linux keys
          // registrations on (file, fd), so both may coexist: give this one its own host fd.
          hfd = fcntl(target->host_fd, F_DUPFD_CLOEXEC, 0);
          own = hfd >= 0;
        }
        uint32_t token = next_token_++;
        if (token == 0 || token == kWakeToken) token = next_token_ = 1;  // 0: the 3-argument Set's; kWakeToken: wake fds
        wakes_.erase(hfd);  // a wake fd that had this number is closed (the poller dropped it with the close)
        if (hfd < 0 || poller_->Set(hfd, events, true, token) != 0) {
          result = LastErrno();
          if (own) ::close(hfd);
          if (by_entry_.count(target.get()) == 0) target->RemoveCloseListener(this);
        } else {
          Reg r{target.shared(), hfd, own, token, events, {}, false};
          std::memcpy(r.data, ev->data, sizeof r.data);
          by_guest_.emplace(gfd, std::move(r));
          by_host_[hfd] = gfd;
          by_entry_.emplace(target.get(), gfd);
        }
      }
    }
  }
  return result;
}

Errno EpollSet::Wait(Instance& inst, EpollEventImage* out, uint32_t max, uint64_t timeout_ns, uint32_t* count,
                     Offload* off) {
  const int wake = inst.wake.read_fd();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto w = wakes_.find(wake);
    if (w == wakes_.end() || w->second != inst.wake.id()) {
      if (w != wakes_.end()) poller_->Remove(wake);
      if (poller_->Set(wake, pollbits::IN, true, kWakeToken) != 0) return LastErrno();
      wakes_[wake] = inst.wake.id();
    }
  }
  if (Interrupted(inst, wait::kCall)) return err::INTR;
  if (off && off->shutdowns_queued() != 0) {
    // A shutdown(WR) the guest made is still queued: its effect (HUP, no OUT) must be visible to this wait.
    std::vector<FdPtr> waiting;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& kv : by_guest_)
        if (kv.second.entry->offload_flags.load(std::memory_order_acquire) & offload_flag::kShutQueued)
          waiting.push_back(kv.second.entry);
    }
    for (auto& e : waiting)
      if (!off->WaitIdle(inst, *e)) return err::INTR;
  }
  using Clock = std::chrono::steady_clock;
  *count = 0;
  const int batch = max > uint32_t(Poller::kMaxBatch) ? Poller::kMaxBatch : int(max);
  thread_local std::vector<PollerEvent> buf;
  if (buf.size() < size_t(batch)) buf.resize(size_t(batch));

  const bool forever = timeout_ns == UINT64_MAX;
  Clock::time_point deadline{};
  if (!forever && timeout_ns > 0) {
    auto now = Clock::now();
    auto room = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::time_point::max() - now).count();
    deadline = uint64_t(room) <= timeout_ns ? Clock::time_point::max() : now + std::chrono::nanoseconds(timeout_ns);
  }
  uint64_t remaining = timeout_ns;
  thread_local std::vector<FdPtr> masked;  // entries whose kernel OUT was masked (offload queue over its limit)
  bool repoll = false;
  for (;;) {
    int n = poller_->Wait(buf.data(), batch, repoll ? 0 : remaining);
    repoll = false;
    if (n < 0 && errno != EINTR) return LastErrno();
    masked.clear();
    if (n > 0) {
      uint32_t c = 0;
      thread_local std::vector<uint32_t> out_gfd;  // the guest fd of each out[] event (to merge synthetic ones)
      if (out_gfd.size() < size_t(batch)) out_gfd.resize(size_t(batch));
      bool synth_fired = false, woken = false;
      std::unique_lock<std::mutex> lock(mu_);
      for (int i = 0; i < n; i++) {
        if (buf[i].fd == synth_wake_.read_fd()) {  // synthetic readiness: merged below
          synth_fired = true;
          continue;
        }
        if (buf[i].token == kWakeToken && wakes_.count(buf[i].fd)) {  // a thread's wake fd: ours, or ignored
          woken |= buf[i].fd == wake;
          continue;
        }
        auto h = by_host_.find(buf[i].fd);
        if (h == by_host_.end()) continue;  // removed while we waited
        auto g = by_guest_.find(h->second);
        if (g == by_guest_.end() || g->second.token != buf[i].token) continue;  // removed and re-added: stale
        const Reg& r = g->second;
        uint32_t bits = buf[i].events & ((r.events & pollbits::INTEREST) | pollbits::ALWAYS);
        // An offloaded socket whose queue is over its limit is not writable for the guest, whatever the kernel
        // says; the pool reports OUT (synthetically) once the queue has drained.
        if ((bits & pollbits::OUT) && (r.entry->offload_flags.load(std::memory_order_relaxed) & offload_flag::kFull)) {
          bits &= ~pollbits::OUT;
          if (off) masked.push_back(r.entry);
        }
        if (bits == 0) continue;
        out[c].events = bits;
        std::memcpy(out[c].data, r.data, sizeof r.data);
        out_gfd[c] = h->second;
        c++;
      }
      if (!synth_.empty()) {
        size_t keep = 0;
        for (size_t k = 0; k < synth_.size(); k++) {
          auto g = by_guest_.find(synth_[k]);
          if (g == by_guest_.end() || !g->second.synth_out) continue;  // removed meanwhile
          uint32_t j = 0;
          while (j < c && out_gfd[j] != synth_[k]) j++;
          if (j == c) {
            if (c == uint32_t(batch)) {  // no room this time: report it on the next wait
              synth_[keep++] = synth_[k];
              continue;
            }
            out[c].events = 0;
            std::memcpy(out[c].data, g->second.data, sizeof g->second.data);
            out_gfd[c] = synth_[k];
            c++;
          }
          out[j].events |= pollbits::OUT;
          g->second.synth_out = false;
        }
        synth_.resize(keep);
      }
      if (synth_fired && synth_.empty()) ClearSynth();
      lock.unlock();
      if (woken) inst.wake.Drain();  // before the reasons are looked at (wait.h's protocol)
      if (c > 0) {
        masked.clear();
        *count = c;
        return err::SUCCESS;  // a signal that came too is delivered as the call returns
      }
      if (woken && Interrupted(inst, wait::kCall)) return err::INTR;
    }
    if (!masked.empty()) {
      // The kernel has room but the pool's accounting says the queue is over its limit: it may just not have
      // caught up (the data left already). Give it a moment, so that a guest that saw its peer read everything
      // also sees the socket writable; the pool's synthetic OUT then shows in one more look at the poller.
      bool cleared = false;
      for (auto& e : masked) cleared |= off->SettleFull(*e);
      masked.clear();
      if (cleared) {
        repoll = true;
        continue;
      }
    }
    // Timed out, interrupted, or everything reported was stale: wait again for what is left of the timeout.
    if (timeout_ns == 0) return err::SUCCESS;
    if (!forever) {
      auto now = Clock::now();
      if (now >= deadline) return err::SUCCESS;
      remaining = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count());
      if (remaining == 0) remaining = 1;
    }
  }
}

void EpollSet::OnGuestClose(FdEntry& e) {
  std::vector<FdPtr> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<uint32_t> gfds;
    auto range = by_entry_.equal_range(&e);
    for (auto it = range.first; it != range.second; ++it) gfds.push_back(it->second);
    for (uint32_t g : gfds) EraseLocked(g, &released);
  }
}

void EpollSet::Clear() {
  std::vector<FdPtr> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<uint32_t> gfds;
    gfds.reserve(by_guest_.size());
    for (auto& kv : by_guest_) gfds.push_back(kv.first);
    for (uint32_t g : gfds) EraseLocked(g, &released);
  }
}

}  // namespace wasmx
