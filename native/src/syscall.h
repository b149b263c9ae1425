// What every syscall file includes: the registration macros, guest memory, serdes and the errno mapping.
#pragma once
#include <cerrno>

#include "errno_map.h"
#include "import_registry.h"
#include "instance.h"
#include "wasi_serdes.h"
#include "wasi_types.h"

namespace wasmx {

// Runs a kernel call, retrying on EINTR (the guest never sees host-side signal interruptions).
template <typename F>
inline auto RetryEintr(F f) -> decltype(f()) {
  decltype(f()) r;
  do r = f();
  while (r < 0 && errno == EINTR);
  return r;
}

// Stores a u32 result for the guest; FAULT when the pointer is out of range.
inline Errno StoreU32(Instance& inst, uint32_t ptr, uint32_t v) {
  return inst.mem.Store<uint32_t>(ptr, v) ? err::SUCCESS : err::FAULT;
}
// Installs two new entries at the lowest free numbers and stores both numbers (fd_pipe, sock_pair). If the
// second cannot be installed, the first is closed again: the guest never sees half a pair.
inline Errno InstallFdPair(Instance& inst, FdPtr a, FdPtr b, uint32_t fd1_p, uint32_t fd2_p) {
  if (!inst.mem.InBounds(fd1_p, 4) || !inst.mem.InBounds(fd2_p, 4)) return err::FAULT;
  uint32_t fd1, fd2;
  if (Errno r = inst.fds().Insert(std::move(a), 0, &fd1)) return r;
  if (Errno r = inst.fds().Insert(std::move(b), 0, &fd2)) {
    CloseGuestFd(inst.fds(), fd1);
    return r;
  }
  StoreU32(inst, fd1_p, fd1);
  return StoreU32(inst, fd2_p, fd2);
}

inline Errno StoreU64(Instance& inst, uint32_t ptr, uint64_t v) {
  return inst.mem.Store<uint64_t>(ptr, v) ? err::SUCCESS : err::FAULT;
}

}  // namespace wasmx
