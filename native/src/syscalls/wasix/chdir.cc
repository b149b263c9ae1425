#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "path_resolve.h"
#include "syscall.h"

namespace wasmx {
namespace {

// `path` made absolute against `base` (an absolute guest path) with ".", ".." and repeated slashes folded away
// lexically; ".." at "/" stays at "/".
std::string Normalize(const std::string& base, const std::string& path) {
  std::string full = !path.empty() && path[0] == '/' ? path : base + "/" + path;
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= full.size()) {
    size_t j = full.find('/', i);
    if (j == std::string::npos) j = full.size();
    std::string c = full.substr(i, j - i);
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(std::move(c));
    }
    i = j + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

// The part of `path` below `prefix` ("." for prefix itself), or false when `path` is not at or under `prefix`.
bool Below(const std::string& path, const std::string& prefix, std::string* rest) {
  if (prefix == "/") {
    *rest = path == "/" ? "." : path.substr(1);
    return true;
  }
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  if (path.size() == prefix.size()) {
    *rest = ".";
    return true;
  }
  if (path[prefix.size()] != '/') return false;
  *rest = path.substr(prefix.size() + 1);
  return true;
}

}  // namespace

// The working directory is a guest path kept by the process. It must name a directory inside a preopen (checked
// beneath that preopen, like any path), or be "/" itself.
static Errno chdir(Instance& inst, uint32_t path_p, uint32_t path_len) {
  if (!inst.mem.InBounds(path_p, path_len)) return err::FAULT;
  std::string path(reinterpret_cast<const char*>(inst.mem.At(path_p)), path_len);
  if (path.find('\0') != std::string::npos) return err::INVAL;
  if (path.empty()) return err::NOENT;
  std::string target = Normalize(inst.proc->cwd(), path);
  if (target == "/") {
    inst.proc->set_cwd(target);
    return err::SUCCESS;
  }
  const ProcessOptions::Preopen* best = nullptr;
  std::string best_name, rest;
  for (const auto& p : inst.proc->preopens()) {
    std::string name = Normalize("/", p.guest_path), r;
    if (Below(target, name, &r) && (!best || name.size() > best_name.size())) {
      best = &p;
      best_name = name;
      rest = r;
    }
  }
  if (!best) return err::NOENT;
  UniqueFd root(::open(best->host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return LastErrno();
  int fd = -1;
  if (Errno r = OpenBeneath(root.get(), rest, O_RDONLY | O_DIRECTORY, 0, true, &fd)) return r;
  UniqueFd dir(fd);
  inst.proc->set_cwd(target);
  return err::SUCCESS;
}
WASMX_WASIX(chdir);
}  // namespace wasmx
