#include "syscall.h"

namespace wasmx {
// fd_dup2(fd, min_result_fd, cloexec, newfd_p): F_DUPFD / F_DUPFD_CLOEXEC semantics (§5.3, §10.14) — the lowest
// free fd >= min_result_fd, sharing fd's entry. Not POSIX dup2 (that is fd_renumber). The cloexec flag
// belongs to the new number only.
static Errno fd_dup2(Instance& inst, uint32_t fd, uint32_t min_result_fd, uint32_t cloexec, uint32_t newfd_p) {
  cloexec &= 0xff;  // bool (u8)
  if (cloexec > 1) return err::INVAL;
  if (!inst.mem.InBounds(newfd_p, 4)) return err::FAULT;
  if (min_result_fd >= FdTable::kMaxFds) {
    // Linux F_DUPFD: EINVAL when the minimum is beyond the fd limit (BADF when fd itself is not open).
    return inst.fds().Get(fd) ? err::INVAL : err::BADF;
  }
  uint32_t nfd;
  if (Errno r = inst.fds().Duplicate(fd, min_result_fd, &nfd, nullptr, cloexec != 0)) return r;
  return StoreU32(inst, newfd_p, nfd);
}
WASMX_WASIX(fd_dup2);
}  // namespace wasmx
