#include <fcntl.h>
#include <unistd.h>

#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
static Errno path_link(Instance& inst, uint32_t old_fd, uint32_t old_flags, uint32_t old_p, uint32_t old_len,
                       uint32_t new_fd, uint32_t new_p, uint32_t new_len) {
  FdRef odir, ndir;
  if (Errno r = LookupDirFd(inst.fds(), old_fd, rights::PATH_LINK_SOURCE, &odir)) return r;
  if (Errno r = LookupDirFd(inst.fds(), new_fd, rights::PATH_LINK_TARGET, &ndir)) return r;
  std::string opath, npath;
  if (Errno r = ReadGuestPath(inst.mem, old_p, old_len, &opath)) return r;
  if (Errno r = ReadGuestPath(inst.mem, new_p, new_len, &npath)) return r;
  ResolvedPath orp, nrp;
  unsigned how = (old_flags & lookupflags::SYMLINK_FOLLOW) ? kResolveFollow : kResolveNoFollow;
  if (Errno r = ResolveParent(odir->host_fd, opath, how, &orp)) return r;
  if (Errno r = ResolveParent(ndir->host_fd, npath, kResolveNeverFollow, &nrp)) return r;
  // Any symlink the guest asked to follow was expanded by ResolveParent, so the host call never follows one.
  if (nrp.trailing_slash) return nrp.Exists() ? err::EXIST : err::NOENT;  // a new link cannot be a directory
  if (linkat(orp.dir.get(), orp.name.c_str(), nrp.dir.get(), nrp.name.c_str(), 0) != 0)
    return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(path_link);
}  // namespace wasmx
