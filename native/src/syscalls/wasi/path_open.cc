#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "dev_dir.h"
#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {

Errno PathOpen(Instance& inst, uint32_t fd, uint32_t dirflags, uint32_t path_p, uint32_t path_len, uint32_t oflags_,
               uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdflags_, uint32_t fdflagsext_,
               uint32_t fd_p) {
  uint16_t of = uint16_t(oflags_), ff = uint16_t(fdflags_), fx = uint16_t(fdflagsext_);
  uint64_t needed = rights::PATH_OPEN;
  if (of & oflags::CREAT) needed |= rights::PATH_CREATE_FILE;
  if (of & oflags::TRUNC) needed |= rights::PATH_FILESTAT_SET_SIZE;
  FdRef dir;
  if (Errno r = LookupDirFd(inst.fds(), fd, needed, &dir)) return r;
  if ((of & ~oflags::ALL) || (ff & ~fdflags::ALL) || (fx & ~fdflagsext::CLOEXEC) ||
      (dirflags & ~lookupflags::SYMLINK_FOLLOW))
    return err::INVAL;
  std::string path;
  if (Errno r = ReadGuestPath(inst.mem, path_p, path_len, &path)) return r;
  if (!inst.mem.InBounds(fd_p, 4)) return err::FAULT;

  // The new fd can have no right its directory does not pass on.
  uint64_t base = rights_base & dir->rights_inheriting;
  uint64_t inheriting = rights_inheriting & dir->rights_inheriting;

  // The host access mode follows the rights asked for (libc derives them from O_RDONLY / O_WRONLY / O_RDWR).
  // FD_DATASYNC / FD_SYNC need no write access (fdatasync works on a read-only fd), so asking for them never makes
  // a directory unopenable.
  bool rd = base & (rights::FD_READ | rights::FD_READDIR);
  bool wr = base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE);
  int flags = O_NOCTTY;
  if (of & oflags::DIRECTORY) {
    if (base & rights::FD_WRITE) return err::ISDIR;  // a directory cannot be written (what the kernel says too)
    flags |= O_RDONLY | O_DIRECTORY;
  } else {
    flags |= wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  }
  if (of & oflags::CREAT) flags |= O_CREAT;
  if (of & oflags::EXCL) flags |= O_EXCL;
  if (of & oflags::TRUNC) flags |= O_TRUNC;
  if (ff & fdflags::APPEND) flags |= O_APPEND;
  if (ff & fdflags::NONBLOCK) flags |= O_NONBLOCK;
  if (ff & fdflags::DSYNC) flags |= O_DSYNC;
  if (ff & fdflags::SYNC) flags |= O_SYNC;
#ifdef O_RSYNC
  if (ff & fdflags::RSYNC) flags |= O_RSYNC;
#else
  if (ff & fdflags::RSYNC) flags |= O_SYNC;
#endif

  int hfd = -1;
  DevNode node = dir->dev_root ? DevNodeNamed(path) : DevNode::kNone;
  if (node != DevNode::kNone) {
    uint32_t shared_fd = 0;
    if (Errno r = OpenDevNode(inst, node, flags, fx & fdflagsext::CLOEXEC, &hfd, &shared_fd)) return r;
    if (hfd < 0) return StoreU32(inst, fd_p, shared_fd);  // /dev/stdin etc.: a dup of the guest's own fd
  } else if (Errno r = OpenBeneath(dir->host_fd, path, flags, 0666, dirflags & lookupflags::SYMLINK_FOLLOW, &hfd)) {
    return r;
  }
  // One host call per open: the type (and with it the rights per type, FdEntry::LearnType) is learnt when first
  // needed; libc's fstat after open (fd_filestat_get) supplies it for free. O_DIRECTORY already tells the type.
  std::shared_ptr<FdEntry> e;
  if (of & oflags::DIRECTORY) {
    e = std::make_shared<FdEntry>(hfd, FdKind::kDirectory, filetype::DIRECTORY);
    base &= rights::DIR_BASE;
  } else {
    e = std::make_shared<FdEntry>(hfd, FdKind::kFile, filetype::UNKNOWN);
    base &= rights::DIR_BASE | rights::FILE_BASE;
    e->type_pending.store(true, std::memory_order_relaxed);
  }
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  e->fdflags.store(ff & (fdflags::APPEND | fdflags::DSYNC | fdflags::NONBLOCK | fdflags::RSYNC | fdflags::SYNC));
  uint32_t newfd;
  if (Errno r = inst.fds().Insert(std::move(e), 0, &newfd, fx & fdflagsext::CLOEXEC)) return r;
  return StoreU32(inst, fd_p, newfd);
}

static Errno path_open(Instance& inst, uint32_t fd, uint32_t dirflags, uint32_t path_p, uint32_t path_len,
                       uint32_t oflags, uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdflags,
                       uint32_t fd_p) {
  return PathOpen(inst, fd, dirflags, path_p, path_len, oflags, rights_base, rights_inheriting, fdflags, 0, fd_p);
}
WASMX_WASI(path_open);
}  // namespace wasmx
