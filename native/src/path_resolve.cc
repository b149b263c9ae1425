#include "path_resolve.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#ifdef __linux__
#include <linux/openat2.h>
#include <sys/syscall.h>
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#endif

#include "errno_map.h"

namespace wasmx {

namespace {

constexpr int kMaxSymlinkHops = 40;  // like the kernel's MAXSYMLINKS

// Flags for opening a directory we only walk through or apply *at calls to.
#ifdef __linux__
constexpr int kDirWalkFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;
#else
constexpr int kDirWalkFlags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
#endif

template <typename F>
auto NoEintr(F f) -> decltype(f()) {
  decltype(f()) r;
  do r = f();
  while (r < 0 && errno == EINTR);
  return r;
}

// Reads symlink `name` in `dir`. Returns 1 and sets *target when it is a symlink, 0 when it is not (or does not
// exist: the caller's own call reports that), or -1 with *err set for a link that cannot be followed.
int ReadLink(int dir, const std::string& name, std::string* target, Errno* err) {
  char buf[PATH_MAX];
  ssize_t n = readlinkat(dir, name.c_str(), buf, sizeof buf);
  if (n < 0) return 0;
  if (size_t(n) >= sizeof buf) {
    *err = err::NAMETOOLONG;
    return -1;
  }
  target->assign(buf, size_t(n));
  if (target->empty()) {
    *err = err::NOENT;
    return -1;
  }
  if ((*target)[0] == '/') {  // absolute targets always leave the root we resolve beneath
    *err = err::NOTCAPABLE;
    return -1;
  }
  return 1;
}

// Splits `path` into its components, pushed in reverse order (so that back() is the next one).
void PushComponents(const std::string& path, std::vector<std::string>* todo) {
  size_t end = path.size();
  while (end > 0) {
    size_t start = path.rfind('/', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    if (end > start) todo->push_back(path.substr(start, end - start));
    end = start > 0 ? start - 1 : 0;
  }
}

// The portable walk (macOS, or Linux without openat2): one component at a time, never following a symlink in the
// kernel; symlinks are expanded here, and `..` pops a stack of directory fds that cannot go above `root`.
Errno WalkOpen(int root, const std::string& path, int flags, mode_t mode, bool follow, int* out_fd) {
  if (path.empty()) return err::NOENT;
  if (path[0] == '/') return err::NOTCAPABLE;
  if (path.back() == '/') {  // "dir/": must be a directory, reached through symlinks
    follow = true;
    flags |= O_DIRECTORY;
  }
  std::vector<std::string> todo;
  PushComponents(path, &todo);
  std::vector<UniqueFd> stack;  // directories entered below root; empty = at root
  auto cur = [&] { return stack.empty() ? root : stack.back().get(); };
  int hops = 0;
  auto expand = [&](const std::string& name, Errno open_err, bool* expanded) -> Errno {
    std::string target;
    Errno e = err::SUCCESS;
    int r = ReadLink(cur(), name, &target, &e);
    *expanded = r == 1;
    if (r < 0) return e;
    if (r == 0) return open_err;
    if (++hops > kMaxSymlinkHops) return err::LOOP;
    bool had_slash = target.back() == '/';
    size_t before = todo.size();
    PushComponents(target, &todo);
    if (todo.size() == before || had_slash) todo.insert(todo.begin() + before, ".");  // "x/" = "x/."
    return err::SUCCESS;
  };

  while (true) {
    std::string c = todo.empty() ? std::string(".") : std::move(todo.back());
    if (!todo.empty()) todo.pop_back();
    bool last = todo.empty();
    if (c == "..") {
      if (stack.empty()) return err::NOTCAPABLE;
      stack.pop_back();
      c = ".";
    }
    if (c == "." && !last) continue;
    if (!last) {
      int fd = NoEintr([&] { return openat(cur(), c.c_str(), kDirWalkFlags | O_NOFOLLOW); });
      if (fd >= 0) {
        stack.emplace_back(fd);
        continue;
      }
      Errno open_err = LastErrno();
      if (errno != ELOOP && errno != ENOTDIR && errno != EMLINK) return open_err;
      bool expanded;
      if (Errno e = expand(c, open_err, &expanded)) return e;
      continue;
    }
    // The last component (or "." for the directory we ended in).
    int fd = NoEintr([&] { return openat(cur(), c.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode); });
    if (fd >= 0) {
#ifdef O_PATH
      if (follow && (flags & O_PATH) && c != ".") {  // O_PATH|O_NOFOLLOW opens a symlink itself
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
          close(fd);
          bool expanded;
          if (Errno e = expand(c, err::LOOP, &expanded)) return e;
          continue;
        }
      }
#endif
      *out_fd = fd;
      return err::SUCCESS;
    }
    Errno open_err = LastErrno();
    if (!follow || c == "." || (errno != ELOOP && errno != EMLINK && errno != ENOTDIR)) return open_err;
    bool expanded;
    if (Errno e = expand(c, open_err, &expanded)) return e;
  }
}

#ifdef __linux__
int Openat2(int dir, const char* path, int flags, mode_t mode) {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = uint64_t(unsigned(flags));
  // openat2 rejects a mode without O_CREAT / O_TMPFILE (which includes the O_DIRECTORY bit: compare all of it).
  bool takes_mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
  how.mode = takes_mode ? (mode & 07777) : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int tries = 0;; tries++) {
    int fd = int(syscall(SYS_openat2, dir, path, &how, sizeof how));
    if (fd >= 0) return fd;
    if (errno == EINTR) continue;
    // EAGAIN: the kernel could not rule out a racing rename making ".." escape; it asks us to retry.
    if (errno == EAGAIN && tries < 64) continue;
    return -1;
  }
}

bool ProbeOpenat2() {
  const char* off = std::getenv("WASMX_NO_OPENAT2");
  if (off && *off && std::strcmp(off, "0") != 0) return false;
  int fd = Openat2(AT_FDCWD, ".", O_PATH | O_CLOEXEC, 0);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return errno != ENOSYS && errno != EPERM;  // too old a kernel, or a seccomp filter that denies it
}
#endif

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

bool UsingOpenat2() {
#ifdef __linux__
  static const bool use = ProbeOpenat2();
  return use;
#else
  return false;
#endif
}

Errno LookupDirFd(FdTable& fds, uint32_t fd, uint64_t needed, FdRef* out) {
  if (Errno r = fds.Lookup(fd, needed, out)) return r;
  if (!(*out)->IsDirectory()) return err::NOTDIR;
  return err::SUCCESS;
}

Errno ReadGuestPath(GuestMemory& mem, uint32_t ptr, uint32_t len, std::string* out) {
  if (!mem.InBounds(ptr, len)) return err::FAULT;
  out->assign(reinterpret_cast<const char*>(mem.At(ptr)), len);  // one copy: the guest may change it under us
  if (out->find('\0') != std::string::npos) return err::INVAL;
  if (out->empty()) return err::NOENT;
  if ((*out)[0] == '/') return err::NOTCAPABLE;
  return err::SUCCESS;
}

Errno OpenBeneath(int root, const std::string& path, int flags, mode_t mode, bool follow, int* out_fd) {
  if (path.empty()) return err::NOENT;
  if (path[0] == '/') return err::NOTCAPABLE;
#ifdef __linux__
  if (UsingOpenat2()) {
    int fd = Openat2(root, path.c_str(), flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), mode);
    if (fd < 0) return errno == EXDEV ? err::NOTCAPABLE : LastErrno();
    *out_fd = fd;
    return err::SUCCESS;
  }
#endif
  return WalkOpen(root, path, flags, mode, follow, out_fd);
}

Errno ResolveParent(int root, const std::string& guest_path, unsigned flags, ResolvedPath* out) {
  std::string path = guest_path;
  for (int hops = 0;;) {
    if (path.empty()) return err::NOENT;
    if (path[0] == '/') return err::NOTCAPABLE;
    size_t end = path.size();
    while (end > 0 && path[end - 1] == '/') end--;
    bool trailing = end < path.size();
    size_t slash = path.rfind('/', end - 1);
    std::string dir_part = slash == std::string::npos ? std::string(".") : path.substr(0, slash + 1);
    std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1,
                                   slash == std::string::npos ? end : end - slash - 1);
    int dfd = -1;
    if (name == "." || name == "..") {
      // The path names a directory by "." or "..": open that directory itself (beneath root, so ".." cannot
      // leave it) and let the caller operate on "." inside it.
      if (Errno e = OpenBeneath(root, path.substr(0, end), kDirWalkFlags, 0, true, &dfd)) return e;
      out->dir.reset(dfd);
      out->name = ".";
      out->trailing_slash = trailing;
      return err::SUCCESS;
    }
    if (Errno e = OpenBeneath(root, dir_part, kDirWalkFlags, 0, true, &dfd)) return e;
    UniqueFd dir(dfd);
    bool follow = (flags & kResolveFollow) || (trailing && !(flags & kResolveNeverFollow));
    if (follow) {
      std::string target;
      Errno e = err::SUCCESS;
      int r = ReadLink(dir.get(), name, &target, &e);
      if (r < 0) return e;
      if (r == 1) {
        if (++hops > kMaxSymlinkHops) return err::LOOP;
        // Resolve the target relative to the link's directory, from the root again (beneath it, as before).
        path = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + target +
               (trailing ? "/" : "");
        continue;
      }
    }
    if (trailing) {  // "name/" must be a directory; after following, `name` is no longer a symlink
      struct stat st;
      if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        return err::NOTDIR;
    }
    out->dir = std::move(dir);
    out->name = std::move(name);
    out->trailing_slash = trailing;
    return err::SUCCESS;
  }
}

namespace {
// A path component that names an entry of its directory and nothing else.
bool PlainName(std::string_view c) { return !c.empty() && c != "." && c != ".." && c.find('/') == c.npos; }
}  // namespace

struct StatDirCache::Dir {
  int root;
  std::string name;
  UniqueFd fd;
  dev_t dev;
  ino_t ino;
};

bool StatDirCache::TryStat(int root, const std::string& path, bool follow, struct stat* st, Errno* out) {
  // The final fstatat never follows: a symlink there is answered only when the guest asked not to follow it.
  auto finish = [&](int dirfd, const char* name) {
    if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) != 0) {
      *out = LastErrno();
      return true;
    }
    if (follow && S_ISLNK(st->st_mode)) return false;  // the general path follows it, confined
    *out = err::SUCCESS;
    return true;
  };
  size_t slash = path.find('/');
  if (slash == std::string::npos) return PlainName(path) && finish(root, path.c_str());  // a name in root itself
  std::string_view dir(path.data(), slash);
  const char* name = path.c_str() + slash + 1;
  if (!PlainName(dir) || !PlainName(name)) return false;
  std::shared_ptr<Dir> d;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : slots_)
      if (s && s->root == root && s->name == dir) d = s;
  }
  std::string dir_name(dir);
  if (d) {
    struct stat ds;
    if (fstatat(root, dir_name.c_str(), &ds, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(ds.st_mode) || ds.st_dev != d->dev ||
        ds.st_ino != d->ino) {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& s : slots_)
        if (s == d) s.reset();
      return false;
    }
  } else {
    // Remember it: opened beneath root without following (a symlinked directory is never remembered; its link
    // would never pass the check). The same three host calls as the general path.
    int fd = -1;
    if (OpenBeneath(root, dir_name, kDirWalkFlags, 0, false, &fd) != err::SUCCESS) return false;
    d = std::make_shared<Dir>();
    d->root = root;
    d->name = dir_name;
    d->fd.reset(fd);
    struct stat ds;
    if (fstat(fd, &ds) != 0) return false;
    d->dev = ds.st_dev;
    d->ino = ds.st_ino;
    std::lock_guard<std::mutex> lock(mu_);
    slots_[next_++ % kSlots] = d;
  }
  return finish(d->fd.get(), name);
}

void StatDirCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : slots_) s.reset();
}

Errno StatBeneath(int root, const std::string& path, bool follow, struct stat* st, StatDirCache* cache) {
  Errno answer;
  if (cache && cache->TryStat(root, path, follow, st, &answer)) return answer;
#ifdef __linux__
  // A trailing '/' keeps the careful path (ResolveParent documents why a kernel walk is not trusted with it).
  if (UsingOpenat2() && !path.empty() && path[0] != '/' && path.back() != '/') {
    int fd = Openat2(root, path.c_str(), O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW), 0);
    if (fd < 0) return errno == EXDEV ? err::NOTCAPABLE : LastErrno();
    int r = fstat(fd, st);  // O_PATH|O_NOFOLLOW on a symlink opens the link itself: this is lstat then
    Errno e = r == 0 ? err::SUCCESS : LastErrno();
    close(fd);
    return e;
  }
#endif
  ResolvedPath rp;
  if (Errno r = ResolveParent(root, path, follow ? kResolveFollow : kResolveNoFollow, &rp)) return r;
  if (fstatat(rp.dir.get(), rp.name.c_str(), st, AT_SYMLINK_NOFOLLOW) != 0) return LastErrno();
  return err::SUCCESS;
}

bool ResolvedPath::Exists() const {
  struct stat st;
  return fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

Errno TimesFromFstflags(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec out[2]) {
  constexpr uint32_t kAtim = 1, kAtimNow = 2, kMtim = 4, kMtimNow = 8;
  if (fst_flags & ~uint32_t(kAtim | kAtimNow | kMtim | kMtimNow)) return err::INVAL;
  if ((fst_flags & kAtim) && (fst_flags & kAtimNow)) return err::INVAL;
  if ((fst_flags & kMtim) && (fst_flags & kMtimNow)) return err::INVAL;
  auto set = [](struct timespec* ts, bool given, bool now, uint64_t ns) {
    if (now) {
      ts->tv_sec = 0;
      ts->tv_nsec = UTIME_NOW;
    } else if (given) {
      ts->tv_sec = time_t(ns / 1000000000ull);
      ts->tv_nsec = long(ns % 1000000000ull);
    } else {
      ts->tv_sec = 0;
      ts->tv_nsec = UTIME_OMIT;
    }
  };
  set(&out[0], fst_flags & kAtim, fst_flags & kAtimNow, atim);
  set(&out[1], fst_flags & kMtim, fst_flags & kMtimNow, mtim);
  return err::SUCCESS;
}

}  // namespace wasmx
