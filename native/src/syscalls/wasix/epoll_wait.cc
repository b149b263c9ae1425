#include <vector>

#include "epoll_set.h"
#include "syscall.h"

namespace wasmx {
// epoll_wait(epfd, events_p, maxevents, timeout_ns, count_p). Timeout in ns: 0 = poll, UINT64_MAX = forever;
// expiry is success with count 0 (§9.5). Writes at most maxevents 32-byte events (one per fd, merged bits).
static Errno epoll_wait(Instance& inst, uint32_t epfd, uint32_t events_p, uint32_t maxevents, uint64_t timeout,
                        uint32_t count_p) {
  FdRef ep;
  if (Errno r = inst.fds().Lookup(epfd, 0, &ep)) return r;
  EpollSet* set = AsEpollSet(*ep);
  if (!set) return err::INVAL;
  if (maxevents == 0 || maxevents > 0x7fffffffu / kEpollEventSize) return err::INVAL;
  // Like Linux's access_ok: the whole output array must be addressable before anything waits.
  if (!inst.mem.InBounds(events_p, uint64_t(maxevents) * kEpollEventSize)) return err::FAULT;
  if (!inst.mem.InBounds(count_p, 4)) return err::FAULT;
  const uint32_t batch = maxevents < uint32_t(Poller::kMaxBatch) ? maxevents : uint32_t(Poller::kMaxBatch);
  thread_local std::vector<EpollEventImage> out;
  if (out.size() < batch) out.resize(batch);
  uint32_t n = 0;
  if (Errno r = set->Wait(inst, out.data(), batch, timeout, &n, inst.proc->offload())) return r;
  if (Errno r = WriteEpollEvents(inst.mem, events_p, out.data(), n)) return r;
  return StoreU32(inst, count_p, n);
}
WASMX_WASIX(epoll_wait);
}  // namespace wasmx
