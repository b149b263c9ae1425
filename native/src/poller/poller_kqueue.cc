// macOS / BSD backend of the Poller interface: a host kqueue.
//
// epoll's model is one registration per fd with a bit mask; kqueue's is one knote per (fd, filter). Each
// registration here becomes an EVFILT_READ and/or an EVFILT_WRITE knote, and Wait merges the knotes of one fd
// back into one event with merged bits:
//   IN / PRI / RDHUP  -> EVFILT_READ (PRI has no kqueue equivalent and is never reported)
//   OUT               -> EVFILT_WRITE
//   ET                -> EV_CLEAR on both knotes
//   ONESHOT           -> EV_DISPATCH on both knotes; when one fires, the registration is disarmed (the other knote
//                        is disabled and anything it still reports is dropped) until Set(..., is_new=false)
//                        re-adds both, which re-enables them — epoll's "one event, then MOD to re-arm"
//   EXCLUSIVE         -> accepted and ignored (kqueue has no wake-one mode; waking every waiter is allowed)
//   EV_EOF on READ    -> sockets: IN | RDHUP (peer shut down its side; Linux reports HUP only once both directions
//                        are down); pipes/FIFOs: HUP (no writer left, as Linux pipe_poll reports)
//   EV_EOF on WRITE   -> sockets: HUP; pipes/FIFOs: ERR (no reader left)
//   fflags on EV_EOF  -> the pending socket error: ERR
// A registration asking for neither IN nor OUT (only ERR/HUP, which epoll always reports) gets a read knote with
// NOTE_LOWAT = INT_MAX, which fires on EOF only; the same trick serves RDHUP without IN.
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
#include <sys/types.h>
#include <sys/event.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "poller.h"

namespace wasmx {
namespace {

// struct kevent's udata is `void*` on macOS/FreeBSD/OpenBSD and `intptr_t` on older NetBSD. (Templates, so
// that `if constexpr` discards the branch that does not apply.)
using Udata = decltype(((struct kevent*)nullptr)->udata);
template <typename U = Udata>
U ToUdata(uint32_t token) {
  if constexpr (std::is_pointer_v<U>) return reinterpret_cast<U>(static_cast<uintptr_t>(token));
  else return static_cast<U>(token);
}
template <typename U = Udata>
uint32_t FromUdata(U u) {
  if constexpr (std::is_pointer_v<U>) return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(u));
  else return static_cast<uint32_t>(u);
}

struct kevent MakeKevent(int fd, short filter, unsigned short flags, unsigned int fflags, intptr_t data,
                         uint32_t token) {
  struct kevent k;
  EV_SET(&k, fd, filter, flags, fflags, data, 0);
  k.udata = ToUdata(token);
  return k;
}

// Applies one change; returns 0 or the errno it failed with.
int Apply(int kq, const struct kevent& k) {
  struct timespec zero = {0, 0};
  if (kevent(kq, &k, 1, nullptr, 0, &zero) == 0) return 0;
  return errno;
}

class KqueuePoller final : public Poller {
 public:
  explicit KqueuePoller(int kq) : kq_(kq) {}
  ~KqueuePoller() override { close(kq_); }

  int Set(int fd, uint32_t events, bool is_new, uint32_t token) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = fds_.find(fd);
    if (is_new && it != fds_.end()) return Fail(EEXIST);
    if (!is_new && it == fds_.end()) return Fail(ENOENT);
    Interest in;
    if (is_new) {
      struct stat st;
      if (fstat(fd, &st) != 0) return -1;
      in.is_socket = S_ISSOCK(st.st_mode);
    } else {
      in.is_socket = it->second.is_socket;
    }
    in.events = events;
    in.token = token;
    in.armed = true;
    in.read = (events & (pollbits::IN | pollbits::PRI | pollbits::RDHUP)) || !(events & pollbits::OUT);
    in.write = (events & pollbits::OUT) != 0;

    unsigned short mode = EV_ADD | EV_ENABLE;  // EV_ADD on an existing knote modifies and re-enables it
    if (events & pollbits::ET) mode |= EV_CLEAR;
    if (events & pollbits::ONESHOT) mode |= EV_DISPATCH;
    bool data_wanted = (events & (pollbits::IN | pollbits::PRI)) != 0;

    int error = 0;
    if (in.read) {
      // Without IN, fire on EOF only: a low-water mark no buffer reaches.
      error = Apply(kq_, MakeKevent(fd, EVFILT_READ, mode, data_wanted ? 0 : NOTE_LOWAT, data_wanted ? 0 : INT_MAX,
                                    token));
    } else if (!is_new && it->second.read) {
      Drop(fd, EVFILT_READ);
    }
    if (!error) {
      if (in.write) error = Apply(kq_, MakeKevent(fd, EVFILT_WRITE, mode, 0, 0, token));
      else if (!is_new && it->second.write) Drop(fd, EVFILT_WRITE);
    }
    if (error) {
      // Leave no half registration behind: a failed add removes both knotes, a failed modify too (epoll's MOD
      // cannot half-fail either; the caller sees the error and the fd is no longer watched).
      Drop(fd, EVFILT_READ);
      Drop(fd, EVFILT_WRITE);
      if (!is_new) fds_.erase(it);
      return Fail(error);
    }
    fds_[fd] = in;
    return 0;
  }

  int Remove(int fd) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = fds_.find(fd);
    if (it == fds_.end()) return Fail(ENOENT);
    if (it->second.read) Drop(fd, EVFILT_READ);
    if (it->second.write) Drop(fd, EVFILT_WRITE);
    fds_.erase(it);
    return 0;
  }

  int Wait(PollerEvent* out, int max, uint64_t timeout_ns) override {
    if (max <= 0) return Fail(EINVAL);
    if (max > kMaxBatch) max = kMaxBatch;
    struct kevent small[64];
    std::vector<struct kevent> big;
    struct kevent* evs = small;
    if (max > 64) {
      big.resize(size_t(max));
      evs = big.data();
    }
    struct timespec ts, *tsp = nullptr;
    if (timeout_ns != UINT64_MAX) {
      uint64_t sec = timeout_ns / 1000000000u;
      ts.tv_sec = sec > uint64_t(INT_MAX) ? INT_MAX : time_t(sec);
      ts.tv_nsec = long(timeout_ns % 1000000000u);
      tsp = &ts;
    }
    // Each fd yields at most two knotes, so `max` knotes may merge into fewer events; never more than `max`.
    int n = kevent(kq_, nullptr, 0, evs, max, tsp);
    if (n < 0) return -1;

    std::lock_guard<std::mutex> lock(mu_);
    int count = 0;
    std::unordered_map<int, int> slot;  // fd -> index in out (only consulted when the batch is large)
    for (int i = 0; i < n; i++) {
      const struct kevent& k = evs[i];
      if (k.flags & EV_ERROR) continue;  // an asynchronous registration error: nothing to report
      int fd = int(k.ident);
      auto it = fds_.find(fd);
      // Removed, or removed and re-added (a new token), while this Wait was collecting: stale.
      if (it == fds_.end() || it->second.token != FromUdata(k.udata)) continue;
      Interest& in = it->second;
      if ((in.events & pollbits::ONESHOT) && !in.armed) continue;  // already reported once; awaits re-arm
      uint32_t bits = Translate(k, in);
      bits &= (in.events & pollbits::INTEREST) | pollbits::ALWAYS;
      if (bits == 0) continue;

      int at = -1;
      if (count <= 16) {
        for (int j = 0; j < count; j++)
          if (out[j].fd == fd) at = j;
      } else {
        if (slot.empty())
          for (int j = 0; j < count; j++) slot[out[j].fd] = j;
        auto s = slot.find(fd);
        if (s != slot.end()) at = s->second;
      }
      if (at >= 0) {
        out[at].events |= bits;
      } else {
        out[count] = {fd, bits, in.token};
        if (!slot.empty()) slot[fd] = count;
        count++;
      }
      if (in.events & pollbits::ONESHOT) {
        in.armed = false;
        // The knote that fired disabled itself (EV_DISPATCH); disable its sibling so that the registration stays
        // silent as a whole until re-armed.
        short other = k.filter == EVFILT_READ ? EVFILT_WRITE : EVFILT_READ;
        if (other == EVFILT_READ ? in.read : in.write)
          Apply(kq_, MakeKevent(fd, other, EV_DISABLE, 0, 0, in.token));
      }
    }
    if (count == 0 && n > 0) {
      // Everything was stale or filtered. Report a timeout-free "nothing" as EINTR so that callers with a
      // deadline retry with the remaining time instead of returning early with no events.
      errno = EINTR;
      return -1;
    }
    return count;
  }

  int fd() const override { return kq_; }

 private:
  struct Interest {
    uint32_t events = 0;
    uint32_t token = 0;
    bool is_socket = false;
    bool read = false;   // an EVFILT_READ knote exists
    bool write = false;  // an EVFILT_WRITE knote exists
    bool armed = true;   // ONESHOT: false once reported, until Set re-arms
  };

  static int Fail(int e) {
    errno = e;
    return -1;
  }

  void Drop(int fd, short filter) { Apply(kq_, MakeKevent(fd, filter, EV_DELETE, 0, 0, 0)); }

  static uint32_t Translate(const struct kevent& k, const Interest& in) {
    uint32_t bits = 0;
    const bool eof = (k.flags & EV_EOF) != 0;
    if (eof && k.fflags != 0) bits |= pollbits::ERR;  // pending socket error (ECONNRESET, ...)
    if (k.filter == EVFILT_READ) {
      if (k.data > 0) bits |= pollbits::IN;
      if (eof) bits |= in.is_socket ? (pollbits::IN | pollbits::RDHUP) : pollbits::HUP;
    } else if (k.filter == EVFILT_WRITE) {
      if (!eof) bits |= pollbits::OUT;
      else bits |= in.is_socket ? pollbits::HUP : (pollbits::OUT | pollbits::ERR);
    }
    return bits;
  }

  const int kq_;
  std::mutex mu_;
  std::unordered_map<int, Interest> fds_;
};

}  // namespace

Poller* Poller::Create() {
  int kq = kqueue();
  if (kq < 0) return nullptr;
  fcntl(kq, F_SETFD, FD_CLOEXEC);  // kqueues are not inherited by fork; exec is what this guards
  return new KqueuePoller(kq);
}

}  // namespace wasmx
#endif
