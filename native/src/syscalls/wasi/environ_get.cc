#include "syscall.h"

namespace wasmx {
Errno ListGet(Instance& inst, const std::vector<std::string>& list, uint32_t ptrs_p, uint32_t buf_p);

static Errno environ_get(Instance& inst, uint32_t environ_p, uint32_t buf_p) {
  return ListGet(inst, inst.proc->env(), environ_p, buf_p);
}
WASMX_WASI(environ_get);
}  // namespace wasmx
