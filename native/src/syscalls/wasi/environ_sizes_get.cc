#include "syscall.h"

namespace wasmx {
Errno ListSizesGet(Instance& inst, const std::vector<std::string>& list, uint32_t count_p, uint32_t size_p);

static Errno environ_sizes_get(Instance& inst, uint32_t count_p, uint32_t buf_size_p) {
  return ListSizesGet(inst, inst.proc->env(), count_p, buf_size_p);
}
WASMX_WASI(environ_sizes_get);
}  // namespace wasmx
