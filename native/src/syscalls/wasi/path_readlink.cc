#include <unistd.h>

#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
// The link's contents are copied as they are (truncated to buf_len, like readlink(2)); following them is what the
// sandbox checks, not reading them.
static Errno path_readlink(Instance& inst, uint32_t fd, uint32_t path_p, uint32_t path_len, uint32_t buf_p,
                           uint32_t buf_len, uint32_t bufused_p) {
  FdRef dir;
  if (Errno r = LookupDirFd(inst.fds(), fd, rights::PATH_READLINK, &dir)) return r;
  std::string path;
  if (Errno r = ReadGuestPath(inst.mem, path_p, path_len, &path)) return r;
  if (!inst.mem.InBounds(buf_p, buf_len) || !inst.mem.InBounds(bufused_p, 4)) return err::FAULT;
  ResolvedPath rp;
  if (Errno r = ResolveParent(dir->host_fd, path, kResolveNoFollow, &rp)) return r;
  ssize_t n = readlinkat(rp.dir.get(), rp.name.c_str(), reinterpret_cast<char*>(inst.mem.At(buf_p)), buf_len);
  if (n < 0) return LastErrno();
  return StoreU32(inst, bufused_p, uint32_t(n));
}
WASMX_WASI(path_readlink);
}  // namespace wasmx
