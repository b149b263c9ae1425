#include "syscall.h"

namespace wasmx {
// Shared by args_* and environ_*: count and total bytes (with NULs) of a string list.
Errno ListSizesGet(Instance& inst, const std::vector<std::string>& list, uint32_t count_p, uint32_t size_p) {
  uint64_t total = 0;
  for (auto& s : list) total += s.size() + 1;
  if (Errno e = StoreU32(inst, count_p, uint32_t(list.size()))) return e;
  return StoreU32(inst, size_p, uint32_t(total));
}

static Errno args_sizes_get(Instance& inst, uint32_t argc_p, uint32_t buf_size_p) {
  return ListSizesGet(inst, inst.proc->args(), argc_p, buf_size_p);
}
WASMX_WASI(args_sizes_get);
}  // namespace wasmx
