#include <fcntl.h>
#include <sys/stat.h>

#include "dev_dir.h"
#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
static Errno path_filestat_get(Instance& inst, uint32_t fd, uint32_t flags, uint32_t path_p, uint32_t path_len,
                               uint32_t filestat_p) {
  FdRef dir;
  if (Errno r = LookupDirFd(inst.fds(), fd, rights::PATH_FILESTAT_GET, &dir)) return r;
  std::string path;
  if (Errno r = ReadGuestPath(inst.mem, path_p, path_len, &path)) return r;
  if (!inst.mem.InBounds(filestat_p, 64)) return err::FAULT;
  struct stat st;
  DevNode node = dir->dev_root ? DevNodeNamed(path) : DevNode::kNone;
  if (node != DevNode::kNone) {
    if (Errno r = StatDevNode(inst, node, &st)) return r;
  } else if (Errno r = StatBeneath(dir->host_fd, path, flags & lookupflags::SYMLINK_FOLLOW, &st, &inst.proc->stat_dirs())) {
    return r;
  }
  return WriteFilestat(inst.mem, filestat_p, st);
}
WASMX_WASI(path_filestat_get);
}  // namespace wasmx
