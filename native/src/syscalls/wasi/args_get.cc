#include <cstring>

#include "syscall.h"

namespace wasmx {
// Shared by args_get and environ_get: writes the pointer array and the NUL-terminated strings.
Errno ListGet(Instance& inst, const std::vector<std::string>& list, uint32_t ptrs_p, uint32_t buf_p) {
  uint64_t total = 0;
  for (auto& s : list) total += s.size() + 1;
  if (!inst.mem.InBounds(ptrs_p, uint64_t(list.size()) * 4) || !inst.mem.InBounds(buf_p, total)) return err::FAULT;
  uint32_t at = buf_p;
  for (size_t i = 0; i < list.size(); i++) {
    inst.mem.Store<uint32_t>(ptrs_p + uint32_t(i) * 4, at);
    std::memcpy(inst.mem.At(at), list[i].data(), list[i].size());
    inst.mem.At(at)[list[i].size()] = 0;
    at += uint32_t(list[i].size() + 1);
  }
  return err::SUCCESS;
}

static Errno args_get(Instance& inst, uint32_t argv_p, uint32_t buf_p) {
  return ListGet(inst, inst.proc->args(), argv_p, buf_p);
}
WASMX_WASI(args_get);
}  // namespace wasmx
