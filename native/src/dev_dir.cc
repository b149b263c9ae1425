#include "dev_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "errno_map.h"
#include "instance.h"

namespace wasmx {

namespace {

// "/dev/", "dev", "./dev/" -> "dev".
std::string Bare(std::string s) {
  for (;;) {
    if (!s.empty() && s[0] == '/') s.erase(0, 1);
    else if (s.compare(0, 2, "./") == 0) s.erase(0, 2);
    else break;
  }
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Private directories are named wasmx-dev-PID-XXXXXX, so that a later wasmx can tell whose they are.
constexpr char kPrefix[] = "wasmx-dev-";

std::string BaseDir() {
  struct stat st;
  if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK | X_OK) == 0) return "/dev/shm";
  const char* t = getenv("TMPDIR");
  if (t && *t) return t;
  return "/tmp";
}

int RemoveOne(const char* path, const struct stat*, int, struct FTW*) {
  ::remove(path);  // a directory is empty by now (FTW_DEPTH); a symlink is removed, not followed (FTW_PHYS)
  return 0;
}

// Directories a wasmx killed with SIGKILL left behind: their owner's pid no longer exists. Once per host process.
void SweepDeadOwners(const std::string& base) {
  static std::once_flag once;
  std::call_once(once, [&base] {
    DIR* d = opendir(base.c_str());
    if (!d) return;
    while (struct dirent* de = readdir(d)) {
      if (strncmp(de->d_name, kPrefix, sizeof kPrefix - 1) != 0) continue;
      char* end = nullptr;
      long pid = strtol(de->d_name + sizeof kPrefix - 1, &end, 10);
      if (pid <= 0 || !end || *end != '-') continue;
      if (kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge (EPERM)
      RemovePrivateDev(base + "/" + de->d_name);
    }
    closedir(d);
  });
}

const char* HostDevice(DevNode n) {
  switch (n) {
    case DevNode::kNull: return "/dev/null";
    case DevNode::kZero: return "/dev/zero";
    case DevNode::kFull: return "/dev/full";
    case DevNode::kRandom: return "/dev/random";
    case DevNode::kUrandom: return "/dev/urandom";
    case DevNode::kTty: return "/dev/tty";
    default: return nullptr;
  }
}

// The terminal is the guest's only when the host gave it one as stdio.
bool GuestHasTerminal(Instance& inst) {
  for (uint32_t fd = 0; fd < 3; fd++) {
    FdRef e = inst.fds().Get(fd);
    if (e && e->kind == FdKind::kStdio && isatty(e->host_fd)) return true;
  }
  return false;
}

}  // namespace

DevNode DevNodeNamed(const std::string& path) {
  std::string p = path;
  while (p.compare(0, 2, "./") == 0) p.erase(0, 2);
  static const struct {
    const char* name;
    DevNode node;
  } kNodes[] = {{"null", DevNode::kNull},   {"zero", DevNode::kZero},     {"full", DevNode::kFull},
                {"random", DevNode::kRandom}, {"urandom", DevNode::kUrandom}, {"stdin", DevNode::kStdin},
                {"stdout", DevNode::kStdout}, {"stderr", DevNode::kStderr}, {"tty", DevNode::kTty}};
  for (const auto& n : kNodes)
    if (p == n.name) return n.node;
  return DevNode::kNone;
}

DevPlan PlanDev(const std::vector<std::string>& guest_preopen_names) {
  DevPlan plan;
  for (const auto& g : guest_preopen_names) {
    std::string b = Bare(g);
    if (b == "dev") plan.dev = false;
    if (b == "dev/shm") plan.shm = false;
  }
  return plan;
}

std::string CreatePrivateDev(bool with_shm, std::string* host_dir) {
  std::string base = BaseDir();
  SweepDeadOwners(base);
  std::string tmpl = base + "/" + kPrefix + std::to_string(getpid()) + "-XXXXXX";
  if (!mkdtemp(&tmpl[0])) return "the guest's /dev: cannot make a directory in " + base + ": " + std::strerror(errno);
  if (with_shm && mkdir((tmpl + "/shm").c_str(), 0700) != 0) {
    std::string why = std::strerror(errno);
    RemovePrivateDev(tmpl);
    return "the guest's /dev: cannot make " + tmpl + "/shm: " + why;
  }
  *host_dir = tmpl;
  return "";
}

void RemovePrivateDev(const std::string& host_dir) {
  if (host_dir.empty()) return;
  nftw(host_dir.c_str(), RemoveOne, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

Errno OpenDevNode(Instance& inst, DevNode node, int flags, bool cloexec, int* host_fd, uint32_t* guest_fd) {
  *host_fd = -1;
  if (node == DevNode::kStdin || node == DevNode::kStdout || node == DevNode::kStderr) {
    // These exist: creating them exclusively fails, and none is a directory.
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) return err::EXIST;
    if (flags & O_DIRECTORY) return err::NOTDIR;
    uint32_t which = node == DevNode::kStdin ? 0 : node == DevNode::kStdout ? 1 : 2;
    Errno r = inst.fds().Duplicate(which, 0, guest_fd, nullptr, cloexec);
    return r == err::BADF ? err::NOENT : r;  // the guest closed that fd: the name leads nowhere (Linux: ENOENT)
  }
  if (node == DevNode::kTty && !GuestHasTerminal(inst)) return err::NXIO;
  int fd = ::open(HostDevice(node), flags | O_CLOEXEC | O_NOCTTY, 0666);
  if (fd < 0) return node == DevNode::kTty ? err::NXIO : LastErrno();
  *host_fd = fd;
  return err::SUCCESS;
}

Errno StatDevNode(Instance& inst, DevNode node, struct stat* st) {
  if (node == DevNode::kStdin || node == DevNode::kStdout || node == DevNode::kStderr) {
    FdRef e = inst.fds().Get(node == DevNode::kStdin ? 0 : node == DevNode::kStdout ? 1 : 2);
    if (!e) return err::NOENT;
    return fstat(e->host_fd, st) == 0 ? err::SUCCESS : LastErrno();
  }
  if (node == DevNode::kTty && !GuestHasTerminal(inst)) return err::NXIO;
  return stat(HostDevice(node), st) == 0 ? err::SUCCESS : LastErrno();
}

}  // namespace wasmx
