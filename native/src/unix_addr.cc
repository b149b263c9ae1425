#include "unix_addr.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstring>

#include "errno_map.h"

namespace wasmx {

namespace {

// "/a//b/./c" -> "/a/b/c" (no `..` folding: `..` is resolved beneath the preopen, where it cannot climb out).
std::string Tidy(const std::string& p) {
  std::string out;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string c = p.substr(i, j - i);
    if (!c.empty() && c != ".") out += "/" + c;
    i = j + 1;
  }
  return out.empty() ? "/" : out;
}

// The preopen a guest path lies in (longest guest-name prefix) and the path relative to it.
Errno FindPreopen(Instance& inst, const std::string& abs_path, FdPtr* dir, std::string* rel) {
  size_t best = 0;
  bool found = false;
  inst.fds().ForEach([&](uint32_t, FdEntry& e) {
    if (e.kind != FdKind::kDirectory || e.preopen_name.empty()) return;
    std::string name = Tidy(e.preopen_name[0] == '/' ? e.preopen_name : "/" + e.preopen_name);
    bool match = name == "/" || abs_path == name || abs_path.compare(0, name.size() + 1, name + "/") == 0;
    if (!match || (found && name.size() <= best)) return;
    found = true;
    best = name.size();
    *dir = e.shared_from_this();
    *rel = name == "/" ? abs_path.substr(1) : abs_path.substr(std::min(abs_path.size(), name.size() + 1));
  });
  if (!found) return err::NOTCAPABLE;
  if (rel->empty()) *rel = ".";
  return err::SUCCESS;
}

Errno ProcPath(const char* fmt, int fd, const char* name, HostUnixAddr* out) {
  auto* sun = reinterpret_cast<struct sockaddr_un*>(&out->ss);
  std::memset(&out->ss, 0, sizeof out->ss);
  sun->sun_family = AF_UNIX;
  int n = std::snprintf(sun->sun_path, sizeof sun->sun_path, fmt, fd, name);
  if (n < 0 || size_t(n) >= sizeof sun->sun_path) return err::NAMETOOLONG;
  out->len = socklen_t(offsetof(struct sockaddr_un, sun_path) + size_t(n) + 1);
  return err::SUCCESS;
}

}  // namespace

Errno ConfineUnixAddr(Instance& inst, const struct sockaddr_storage& guest, socklen_t guest_len, UnixAddrUse use,
                      HostUnixAddr* out) {
  const auto* sun = reinterpret_cast<const struct sockaddr_un*>(&guest);
  const size_t path_bytes = guest_len > offsetof(struct sockaddr_un, sun_path)
                                ? size_t(guest_len) - offsetof(struct sockaddr_un, sun_path) : 0;
  if (path_bytes == 0 || sun->sun_path[0] == '\0') {  // abstract (or autobind): host-wide, like the network
    if (use == UnixAddrUse::kConnect && path_bytes == 0) return err::INVAL;
    if (!inst.proc->net_allowed()) {
      inst.proc->HintNetDenied();
      return err::ACCES;
    }
    std::memcpy(&out->ss, &guest, sizeof guest);
    out->len = guest_len;
    return err::SUCCESS;
  }
#ifndef __linux__
  return err::NOTSUP;
#else
  std::string path(sun->sun_path, strnlen(sun->sun_path, path_bytes));
  std::string cwd = inst.proc->cwd();
  std::string abs_path = Tidy(path[0] == '/' ? path : cwd + "/" + path);
  FdPtr dir;
  std::string rel;
  if (Errno r = FindPreopen(inst, abs_path, &dir, &rel)) return r;
  if (use == UnixAddrUse::kBind) {
    ResolvedPath rp;
    if (Errno r = ResolveParent(dir->host_fd, rel, kResolveNeverFollow, &rp)) return r;
    if (rp.name == "." || rp.trailing_slash) return err::ADDRINUSE;  // an existing directory (what bind says)
    if (Errno r = ProcPath("/proc/self/fd/%d/%s", rp.dir.get(), rp.name.c_str(), out)) return r;
    out->hold = std::move(rp.dir);
    return err::SUCCESS;
  }
  int fd = -1;
  if (Errno r = OpenBeneath(dir->host_fd, rel, O_PATH, 0, /*follow=*/true, &fd)) return r;
  UniqueFd sock(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return LastErrno();
  if (!S_ISSOCK(st.st_mode)) return err::CONNREFUSED;  // what connect(2) says for a file that is not a socket
  if (Errno r = ProcPath("/proc/self/fd/%d%s", fd, "", out)) return r;
  out->hold = std::move(sock);
  return err::SUCCESS;
#endif
}

}  // namespace wasmx
