// Resolving guest paths beneath a directory fd: the one place where the filesystem sandbox is enforced.
//
// A guest path is always relative to a directory fd (a preopen, or a directory opened beneath one). It may never
// name anything outside that directory: absolute paths, `..` past the top and symlinks that lead out (absolute
// targets, or relative ones that climb out) all fail with NOTCAPABLE.
//
// On Linux the kernel does the walk: openat2(2) with RESOLVE_BENEATH (EXDEV from the kernel = an escape). Operations
// that are not opens (unlink, mkdir, rename, stat, ...) open the *parent* directory beneath the root that way and
// apply the *at call to the last component, which this module guarantees is a plain name or "." (never "..", never
// empty), so the *at call cannot leave the parent. Elsewhere (macOS), or where openat2 is missing, a user-space walk
// opens one component at a time with O_NOFOLLOW and expands symlinks itself, keeping a stack of directory fds so that
// `..` can never pop above the root.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "fd_table.h"
#include "guest_memory.h"
#include "wasi_types.h"

namespace wasmx {

struct Instance;

// An owned host fd, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Looks up the directory fd a path is relative to: BADF when not open, NOTCAPABLE when a right in `needed` is
// missing, NOTDIR when it is not a directory.
Errno LookupDirFd(FdTable& fds, uint32_t fd, uint64_t needed, FdRef* out);

// Reads a guest path string (ptr, len) into `out`: FAULT when out of range, INVAL when it contains a NUL byte,
// NOENT when empty, NOTCAPABLE when absolute.
Errno ReadGuestPath(GuestMemory& mem, uint32_t ptr, uint32_t len, std::string* out);

// Opens `path` beneath directory `root` with host open(2) `flags` (O_CLOEXEC is added; `mode` is used with
// O_CREAT). Symlinks in the directory part are followed as long as they stay beneath `root`; the final component
// is followed only when `follow` (else O_NOFOLLOW semantics: a final symlink gives LOOP, or is opened itself with
// O_PATH). A path ending in '/' must name a directory.
Errno OpenBeneath(int root, const std::string& path, int flags, mode_t mode, bool follow, int* out_fd);

// The parent directory of a guest path, opened beneath the root, and the last component to apply an *at call to.
struct ResolvedPath {
  UniqueFd dir;          // the directory containing `name`
  std::string name;      // a single component: a plain name, or "." for the directory itself (never ".." or "")
  // The guest path ended in '/'. It is never passed on to the host (a kernel follows a final symlink when it sees
  // one, and not every kernel does so beneath us): ResolveParent has already checked that an existing `name` is a
  // directory.
  bool trailing_slash = false;

  // True when `name` exists in `dir` (not following it).
  bool Exists() const;
};

enum ResolveFlags : unsigned {
  kResolveNoFollow = 0,
  // Follow a symlink in the last component (lookupflags SYMLINK_FOLLOW). Also done when the path ends in '/',
  // which must then name a directory (NOTDIR otherwise).
  kResolveFollow = 1,
  // The operation never follows the last component (unlink, rename, ...), even with a trailing slash (which then
  // still requires an existing `name` to be a directory: NOTDIR for a file or a symlink).
  kResolveNeverFollow = 2,
};

// Resolves `path` beneath `root` into (parent dir, last component). With kResolveFollow the final component is
// expanded while it is a symlink, each expansion resolved beneath `root` again (absolute target = NOTCAPABLE,
// more than 40 = LOOP), so on success `name` is not a symlink (barring a concurrent change, which the caller's
// *_NOFOLLOW call then treats as the link itself).
Errno ResolveParent(int root, const std::string& path, unsigned flags, ResolvedPath* out);

// Directories that path_filestat_get looked into, per guest process, so that a server's stat("dir/name") (nginx
// tests for its index file this way on every request) is two host calls instead of three: one fstatat of "dir" in
// the root, which must still be the very directory remembered (same device and inode, not a symlink: the remembered
// fd keeps that inode alive, so the pair cannot be reused by another directory), then one fstatat of "name" in it.
// Nothing is trusted across calls but that check, so a directory renamed, swapped or replaced by a symlink on the
// host is seen at once (the check fails, the slow path runs and remembers the new one). A few entries, replaced
// round-robin; the fds are closed when the process ends (Clear). Thread-safe.
class StatDirCache {
 public:
  StatDirCache() = default;
  StatDirCache(const StatDirCache&) = delete;
  StatDirCache& operator=(const StatDirCache&) = delete;
  // Answers stat of `path` beneath `root` when the path is "name" or "dir/name" with plain names (no ".", "..",
  // empty components or trailing '/') and the answer needs no symlink followed: returns true with *out set
  // (the errno of the stat, or SUCCESS). Returns false when the caller must take the general path.
  bool TryStat(int root, const std::string& path, bool follow, struct stat* st, Errno* out);
  void Clear();

 private:
  struct Dir;
  static constexpr size_t kSlots = 8;
  std::mutex mu_;
  std::shared_ptr<Dir> slots_[kSlots];
  size_t next_ = 0;
};

// stat(2) of `path` beneath `root` (following a final symlink when `follow`), for path_filestat_get. `cache`
// (optional) answers the common shapes in one or two host calls; otherwise with openat2: one openat2(O_PATH) +
// fstat + close, and no readlinkat (the kernel follows and confines the symlinks); without it, or for a path
// ending in '/', ResolveParent + fstatat.
Errno StatBeneath(int root, const std::string& path, bool follow, struct stat* st, StatDirCache* cache = nullptr);

// Host timespecs for futimens/utimensat from WASI (atim, mtim, fst_flags). INVAL for contradictory or unknown flags.
Errno TimesFromFstflags(uint64_t atim, uint64_t mtim, uint32_t fst_flags, struct timespec out[2]);

// path_open / path_open2 (syscalls/wasi/path_open.cc): opens `path` beneath directory fd `fd` and installs the
// new entry at the lowest free guest fd, written to `fd_p`.
Errno PathOpen(Instance& inst, uint32_t fd, uint32_t dirflags, uint32_t path_p, uint32_t path_len, uint32_t oflags,
               uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdflags, uint32_t fdflagsext, uint32_t fd_p);

// True when openat2(RESOLVE_BENEATH) is in use (false on non-Linux, old kernels, or WASMX_NO_OPENAT2=1, which
// forces the portable walk so that it can be tested on Linux too).
bool UsingOpenat2();

}  // namespace wasmx
