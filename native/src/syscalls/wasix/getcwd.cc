#include <string>

#include "syscall.h"

namespace wasmx {
// len_p is in/out: the buffer's size in, the path's length out. The path is written with a NUL, so it needs
// length + 1 bytes; a smaller buffer gets RANGE with length + 1 in len_p (libc's getcwd(NULL, 0) allocates that
// much and calls again, ABI §5.3).
static Errno getcwd(Instance& inst, uint32_t buf_p, uint32_t len_p) {
  uint32_t size;
  if (!inst.mem.Load<uint32_t>(len_p, &size)) return err::FAULT;
  std::string cwd = inst.proc->cwd();
  uint32_t len = uint32_t(cwd.size());
  if (uint64_t(len) + 1 > size) {
    if (Errno r = StoreU32(inst, len_p, len + 1)) return r;
    return err::RANGE;
  }
  if (buf_p == 0) return err::INVAL;
  if (!inst.mem.InBounds(buf_p, uint64_t(len) + 1)) return err::FAULT;
  cwd.push_back('\0');
  inst.mem.Write(buf_p, cwd.data(), cwd.size());
  return StoreU32(inst, len_p, len);
}
WASMX_WASIX(getcwd);
}  // namespace wasmx
