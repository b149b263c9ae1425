#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
static Errno path_rename(Instance& inst, uint32_t fd, uint32_t old_p, uint32_t old_len, uint32_t new_fd,
                         uint32_t new_p, uint32_t new_len) {
  FdRef odir, ndir;
  if (Errno r = LookupDirFd(inst.fds(), fd, rights::PATH_RENAME_SOURCE, &odir)) return r;
  if (Errno r = LookupDirFd(inst.fds(), new_fd, rights::PATH_RENAME_TARGET, &ndir)) return r;
  std::string opath, npath;
  if (Errno r = ReadGuestPath(inst.mem, old_p, old_len, &opath)) return r;
  if (Errno r = ReadGuestPath(inst.mem, new_p, new_len, &npath)) return r;
  ResolvedPath orp, nrp;
  if (Errno r = ResolveParent(odir->host_fd, opath, kResolveNeverFollow, &orp)) return r;
  if (Errno r = ResolveParent(ndir->host_fd, npath, kResolveNeverFollow, &nrp)) return r;
  if ((orp.trailing_slash || nrp.trailing_slash) && orp.Exists()) {  // "a/" renames only directories
    struct stat st;
    if (fstatat(orp.dir.get(), orp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
      return err::NOTDIR;
  }
  if (renameat(orp.dir.get(), orp.name.c_str(), nrp.dir.get(), nrp.name.c_str()) != 0)
    return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(path_rename);
}  // namespace wasmx
