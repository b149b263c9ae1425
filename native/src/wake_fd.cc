#include "wake_fd.h"

#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include <atomic>
#include <cstdint>

namespace wasmx {

WakeFd::~WakeFd() {
  if (rd_ >= 0) ::close(rd_);
  if (wr_ >= 0 && wr_ != rd_) ::close(wr_);
}

static std::atomic<uint64_t> g_next_id{1};

bool WakeFd::Open() {
  id_ = g_next_id.fetch_add(1);
#ifdef __linux__
  rd_ = wr_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return rd_ >= 0;
#else
  int p[2];
  if (::pipe(p) != 0) return false;
  for (int fd : p) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  rd_ = p[0];
  wr_ = p[1];
  return true;
#endif
}

void WakeFd::Signal() {
  uint64_t one = 1;  // an eventfd takes 8 bytes; a pipe, one
  ssize_t r = ::write(wr_, &one, wr_ == rd_ ? 8 : 1);
  (void)r;  // full pipe / saturated counter: already readable
}

void WakeFd::Drain() {
  uint64_t v;
  while (::read(rd_, &v, sizeof v) > 0) {
  }
}

}  // namespace wasmx
