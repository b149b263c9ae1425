#include <unistd.h>

#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
// Note the order (§3): the link's target comes first, the directory fd third. A relative target is stored as given;
// following it later is resolved beneath the root like any path, so a link pointing outside cannot be used.
static Errno path_symlink(Instance& inst, uint32_t old_p, uint32_t old_len, uint32_t fd, uint32_t new_p,
                          uint32_t new_len) {
  FdRef dir;
  if (Errno r = LookupDirFd(inst.fds(), fd, rights::PATH_SYMLINK, &dir)) return r;
  std::string target;
  if (!inst.mem.InBounds(old_p, old_len)) return err::FAULT;
  target.assign(reinterpret_cast<const char*>(inst.mem.At(old_p)), old_len);
  if (target.find('\0') != std::string::npos) return err::INVAL;
  if (target.empty()) return err::NOENT;
  // An absolute target names a host path (the guest's "/" is not the host's): refused, like wasmtime, so no link
  // the guest leaves behind points a host program outside the preopen.
  if (target[0] == '/') return err::NOTCAPABLE;
  std::string path;
  if (Errno r = ReadGuestPath(inst.mem, new_p, new_len, &path)) return r;
  ResolvedPath nrp;
  if (Errno r = ResolveParent(dir->host_fd, path, kResolveNeverFollow, &nrp)) return r;
  if (nrp.trailing_slash) return nrp.Exists() ? err::EXIST : err::NOENT;  // a new link cannot be a directory
  if (symlinkat(target.c_str(), nrp.dir.get(), nrp.name.c_str()) != 0) return LastErrno();
  return err::SUCCESS;
}
WASMX_WASI(path_symlink);
}  // namespace wasmx
