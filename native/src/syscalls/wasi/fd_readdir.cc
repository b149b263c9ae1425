#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "syscall.h"

namespace wasmx {

// The listing of a directory fd, taken when the guest starts reading it (cookie 0) and served by index: cookie N
// is "continue with entry N", so any number of calls with small buffers, or a seekdir to an old cookie, see one
// consistent listing. A fresh start (cookie 0, e.g. rewinddir) takes a new one.
struct ReaddirState {
  struct Entry {
    std::string name;
    uint64_t ino;
    uint8_t type;
  };
  std::vector<Entry> entries;
};

namespace {

uint8_t FiletypeFromDirent(int dir, const struct dirent* de) {
  switch (de->d_type) {
    case DT_REG: return filetype::REGULAR_FILE;
    case DT_DIR: return filetype::DIRECTORY;
    case DT_LNK: return filetype::SYMBOLIC_LINK;
    case DT_CHR: return filetype::CHARACTER_DEVICE;
    case DT_BLK: return filetype::BLOCK_DEVICE;
    case DT_SOCK: return filetype::SOCKET_STREAM;
    case DT_FIFO: return filetype::UNKNOWN;
    default: {  // DT_UNKNOWN: some filesystems do not fill d_type in
      struct stat st;
      if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return filetype::UNKNOWN;
      return FiletypeFromMode(st.st_mode);
    }
  }
}

// Reads the whole directory through a new open file description, so the guest fd's own offset is untouched.
Errno LoadListing(int host_fd, ReaddirState* out) {
  int dfd = RetryEintr([&] { return openat(host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (dfd < 0) return LastErrno();
  DIR* d = fdopendir(dfd);
  if (!d) {
    Errno r = LastErrno();
    close(dfd);
    return r;
  }
  out->entries.clear();
  for (;;) {
    errno = 0;
    struct dirent* de = readdir(d);
    if (!de) break;
    out->entries.push_back({de->d_name, uint64_t(de->d_ino), FiletypeFromDirent(dirfd(d), de)});
  }
  Errno r = errno ? LastErrno() : err::SUCCESS;
  closedir(d);
  return r;
}

}  // namespace

static Errno fd_readdir(Instance& inst, uint32_t fd, uint32_t buf_p, uint32_t buf_len, uint64_t cookie,
                        uint32_t bufused_p) {
  FdRef e;
  // The file type first: a file has no FD_READDIR (rights per type), and NOTDIR is what libc expects for it.
  e = inst.fds().Get(fd);
  if (!e) return err::BADF;
  if (!e->IsDirectory()) return err::NOTDIR;
  if (!(e->rights_base & rights::FD_READDIR)) return err::NOTCAPABLE;
  if (!inst.mem.InBounds(buf_p, buf_len) || !inst.mem.InBounds(bufused_p, 4)) return err::FAULT;

  std::lock_guard<std::mutex> lock(e->readdir_mu);
  if (cookie == 0 || !e->readdir) {
    auto st = std::make_shared<ReaddirState>();
    if (Errno r = LoadListing(e->host_fd, st.get())) return r;
    e->readdir = std::move(st);
  }
  const auto& entries = e->readdir->entries;
  uint8_t* buf = inst.mem.At(buf_p);
  uint32_t used = 0;
  for (uint64_t i = cookie; i < entries.size() && used < buf_len; i++) {
    const auto& ent = entries[size_t(i)];
    uint8_t head[kDirentSize];
    EncodeDirent(head, i + 1, ent.ino, uint32_t(ent.name.size()), ent.type);
    // The last entry may not fit: copy what does; the guest sees bufused == buf_len and asks again from its cookie.
    uint32_t n = std::min<uint32_t>(kDirentSize, buf_len - used);
    std::memcpy(buf + used, head, n);
    used += n;
    n = uint32_t(std::min<uint64_t>(ent.name.size(), buf_len - used));
    std::memcpy(buf + used, ent.name.data(), n);
    used += n;
  }
  return StoreU32(inst, bufused_p, used);
}
WASMX_WASI(fd_readdir);
}  // namespace wasmx
