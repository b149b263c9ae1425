#include <fcntl.h>
#include <unistd.h>

#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
static Errno path_remove_directory(Instance& inst, uint32_t fd, uint32_t path_p, uint32_t path_len) {
  FdRef dir;
  if (Errno r = LookupDirFd(inst.fds(), fd, rights::PATH_REMOVE_DIRECTORY, &dir)) return r;
  std::string path;
  if (Errno r = ReadGuestPath(inst.mem, path_p, path_len, &path)) return r;
  ResolvedPath rp;
  if (Errno r = ResolveParent(dir->host_fd, path, kResolveNeverFollow, &rp)) return r;
  if (unlinkat(rp.dir.get(), rp.name.c_str(), AT_REMOVEDIR) != 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(path_remove_directory);
}  // namespace wasmx
