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
inline Errno StoreU64(Instance& inst, uint32_t ptr, uint64_t v) {
  return inst.mem.Store<uint64_t>(ptr, v) ? err::SUCCESS : err::FAULT;
}

}  // namespace wasmx
