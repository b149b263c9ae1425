#include <fcntl.h>
#include <sys/stat.h>

#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
static Errno path_filestat_set_times(Instance& inst, uint32_t fd, uint32_t flags, uint32_t path_p, uint32_t path_len,
                                     uint64_t atim, uint64_t mtim, uint32_t fst_flags) {
  FdRef dir;
  if (Errno r = LookupDirFd(inst.fds(), fd, rights::PATH_FILESTAT_SET_TIMES, &dir)) return r;
  struct timespec ts[2];
  if (Errno r = TimesFromFstflags(atim, mtim, fst_flags & 0xffff, ts)) return r;
  std::string path;
  if (Errno r = ReadGuestPath(inst.mem, path_p, path_len, &path)) return r;
  ResolvedPath rp;
  unsigned how = (flags & lookupflags::SYMLINK_FOLLOW) ? kResolveFollow : kResolveNoFollow;
  if (Errno r = ResolveParent(dir->host_fd, path, how, &rp)) return r;
  // With no flag set both times are UTIME_OMIT, and Linux then returns 0 without looking the name up: the path
  // must still exist (NOENT otherwise), so look at it first.
  struct stat st;
  if ((fst_flags & 0xffff) == 0 && fstatat(rp.dir.get(), rp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return LastErrno();
  if (utimensat(rp.dir.get(), rp.name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(path_filestat_set_times);
}  // namespace wasmx
