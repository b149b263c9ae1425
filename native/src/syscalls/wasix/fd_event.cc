#include "event_fd.h"
#include "fd_io.h"
#include "syscall.h"

namespace wasmx {

// fd_event(initial_val, flags, fd_p): eventfd(). flags: SEMAPHORE = 1 (eventfdflags). wasix-libc's eventfd()
// passes its int flags truncated to u16, so EFD_NONBLOCK arrives as O_NONBLOCK = fdflags NONBLOCK (4) and
// EFD_CLOEXEC is lost: NONBLOCK is honoured (through SetFdFlags, so the host fd mirrors it), other bits ignored.
static Errno fd_event(Instance& inst, uint64_t initial_val, uint32_t flags, uint32_t fd_p) {
  flags &= 0xffff;
  if (!inst.mem.InBounds(fd_p, 4)) return err::FAULT;
  FdPtr e;
  if (Errno r = CreateEventEntry(initial_val, (flags & eventfdflags::SEMAPHORE) != 0, &e)) return r;
  if (flags & fdflags::NONBLOCK)
    if (Errno r = SetFdFlags(*e, fdflags::NONBLOCK)) return r;
  uint32_t fd;
  if (Errno r = inst.fds().Insert(std::move(e), 0, &fd)) return r;
  return StoreU32(inst, fd_p, fd);
}
WASMX_WASIX(fd_event);
}  // namespace wasmx
