#include "process.h"

#include "dev_dir.h"
#include "fd_io.h"
#include "guest_signals.h"
#include "instance.h"
#include "socket_util.h"
#include "wait.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <thread>
#include <unordered_map>

namespace wasmx {

// proc_raise_interval's timer: one thread per process that has armed one, sleeping until the next expiry. Its
// state is shared with the thread: the process may end on the timer thread itself (a default action), and the
// thread must then find `stop` set rather than freed memory.
class SignalTimer {
 public:
  explicit SignalTimer(Process* p) : st_(std::make_shared<State>()) {
    thread_ = std::thread([st = st_, p] { Run(st, p); });
  }
  ~SignalTimer() {
    {
      std::lock_guard<std::mutex> lock(st_->mu);
      st_->stop = true;
    }
    st_->cv.notify_one();
    if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();
    else thread_.join();
  }
  void Set(uint8_t sig, uint64_t interval_ns, bool repeat) {
    {
      std::lock_guard<std::mutex> lock(st_->mu);
      st_->sig = sig;
      st_->interval = std::chrono::nanoseconds(int64_t(interval_ns > (uint64_t(1) << 62) ? (uint64_t(1) << 62) : interval_ns));
      st_->repeat = repeat;
      st_->armed = interval_ns != 0;
      st_->next = std::chrono::steady_clock::now() + st_->interval;
    }
    st_->cv.notify_one();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false, armed = false, repeat = false;
    uint8_t sig = 0;
    std::chrono::nanoseconds interval{0};
    std::chrono::steady_clock::time_point next;
  };
  static void Run(std::shared_ptr<State> st, Process* proc) {
    std::unique_lock<std::mutex> lock(st->mu);
    while (!st->stop) {
      if (!st->armed) {
        st->cv.wait(lock);
        continue;
      }
      if (st->cv.wait_until(lock, st->next) != std::cv_status::timeout) continue;  // re-armed, cancelled, stopping
      if (st->stop || !st->armed || std::chrono::steady_clock::now() < st->next) continue;
      uint8_t sig = st->sig;
      if (st->repeat) st->next += st->interval;
      else st->armed = false;
      lock.unlock();
      SignalProcess(*proc, sig);  // may end the host process, or the Process (then `stop` is set)
      lock.lock();
    }
  }
  std::shared_ptr<State> st_;
  std::thread thread_;
};

Process::Process(uint32_t id) : id_(id) {}

Process::~Process() {
  ClearListenNotifier();
  timer_.reset();
  PrepareExit();
  if (offload_) offload_->Stop();
  fds_.Clear();
}

void Process::SetSignalTimer(uint8_t sig, uint64_t interval_ns, bool repeat) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!timer_) {
    if (interval_ns == 0) return;
    timer_.reset(new SignalTimer(this));
  }
  timer_->Set(sig, interval_ns, repeat);
}

void Process::InterruptThreads(uint32_t reason) {
  threads_.ForEachInstance([reason](Instance& i) {
    if (reason) InterruptThread(i, reason);
    else WakeThread(i);
  });
}

void Process::BeginDrain() {
  if (draining_.exchange(true)) return;
  InterruptThreads(0);  // accepts wait with wait::kDrain and see draining(); other waits go back to sleep
}

void Process::Terminate(int code) {
  if (exit_ends_host()) ExitHost(code);
  if (exiting.load()) return;  // already ending (proc_exit): its code stands
  exit_code.store(code);
  if (exiting.exchange(true)) return;
  InterruptThreads(wait::kExit);
}

size_t Process::OpenConnections() {
  size_t n = 0;
  fds_.ForEach([&](uint32_t, FdEntry& e) {
    if (e.kind != FdKind::kSocket) return;
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(e.host_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) return;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (getpeername(e.host_fd, reinterpret_cast<struct sockaddr*>(&peer), &plen) == 0) n++;
  });
  return n;
}

std::string Process::Init(const ProcessOptions& opts) {
  opts_ = opts;
  offload_ = Offload::Create(opts.offload);
  // Stdio: guest 0..2 are the host's 0..2. Closing them in the guest never closes the host's.
  static const uint64_t kStdin = rights::FD_READ | rights::POLL_FD_READWRITE | rights::FD_FDSTAT_SET_FLAGS |
                                 rights::FD_FILESTAT_GET;
  static const uint64_t kStdout = rights::FD_WRITE | rights::POLL_FD_READWRITE | rights::FD_FDSTAT_SET_FLAGS |
                                  rights::FD_FILESTAT_GET | rights::FD_DATASYNC | rights::FD_SYNC;
  for (int fd = 0; fd < 3; fd++) {
    // A library run's stdio (pipes, files): a dup the process owns, closed when the guest closes it or ends,
    // so a pipe's reader sees EOF.
    int hfd = fd;
    if (opts.stdio[fd] >= 0) {
      hfd = ::fcntl(opts.stdio[fd], F_DUPFD_CLOEXEC, 3);
      if (hfd < 0) return "stdio[" + std::to_string(fd) + "]: " + std::strerror(errno);
    }
    struct stat st;
    uint8_t ft = filetype::CHARACTER_DEVICE;
    if (fstat(hfd, &st) == 0) {
      if (S_ISREG(st.st_mode)) ft = filetype::REGULAR_FILE;
      else if (S_ISSOCK(st.st_mode)) ft = filetype::SOCKET_STREAM;
      else if (S_ISFIFO(st.st_mode)) ft = filetype::UNKNOWN;
    }
    auto e = std::make_shared<FdEntry>(hfd, FdKind::kStdio, ft, /*close_host=*/hfd != fd);
    e->rights_base = fd == 0 ? kStdin : kStdout;
    e->rights_inheriting = 0;
    fds_.Place(fd, e);
  }
  uint32_t next = 3;
  for (const auto& p : opts.preopens) {
    int hfd = ::open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (hfd < 0) return "--dir " + p.host_path + ": " + std::strerror(errno);
    auto e = std::make_shared<FdEntry>(hfd, FdKind::kDirectory, filetype::DIRECTORY);
    e->preopen_name = p.guest_path;
    e->rights_base = rights::DIR_BASE;
    e->rights_inheriting = rights::DIR_INHERITING;
    fds_.Place(next++, e);
  }
  for (int sfd : opts.preopened_sockets) {
    int hfd = ::fcntl(sfd, F_DUPFD_CLOEXEC, 3);
    if (hfd < 0) return std::string("preopened socket: ") + std::strerror(errno);
    // A listener opened by the host (serve --tcplisten), shared by every instance. It stays non-blocking on the
    // host (one file description for all instances); a blocking guest accept waits in poll with the wake fd.
    auto e = std::make_shared<FdEntry>(hfd, FdKind::kSocket, filetype::SOCKET_STREAM);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(hfd, reinterpret_cast<struct sockaddr*>(&ss), &len) == 0)
      e->sock_family = ss.ss_family == AF_INET6 ? af::INET6 : af::INET4;
    e->sock_type = socktype::STREAM;
    e->rights_base = kSocketRights;
    e->rights_inheriting = 0;
    PinHostNonblocking(*e);
    fds_.Place(next++, e);
  }
  if (opts.dev) {
    // After everything the user placed, so that documented fd numbers (preopens from 3, --tcplisten) stay.
    std::vector<std::string> names;
    for (const auto& p : opts.preopens) names.push_back(p.guest_path);
    DevPlan plan = PlanDev(names);
    if (plan.dev) {
      std::string dir;
      std::string why = CreatePrivateDev(plan.shm, &dir);
      if (!why.empty()) return why;
      {
        std::lock_guard<std::mutex> lock(mu_);
        private_dev_ = dir;
      }
      int hfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (hfd < 0) return "the guest's /dev: " + dir + ": " + std::strerror(errno);
      auto e = std::make_shared<FdEntry>(hfd, FdKind::kDirectory, filetype::DIRECTORY);
      e->preopen_name = "/dev";
      e->dev_root = true;
      e->rights_base = rights::DIR_BASE;
      e->rights_inheriting = rights::DIR_INHERITING;
      fds_.Place(next++, e);
    }
  }
  return "";
}

void Process::RemovePrivateDev() {
  std::string dir;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dir.swap(private_dev_);
  }
  wasmx::RemovePrivateDev(dir);
}

void Process::HintNetDenied() {
  if (!net_hint_printed_.exchange(true)) {
    static const char kMsg[] = "wasmx: the guest tried to use the network, which is off; pass --net to allow it\n";
    ssize_t r = ::write(2, kMsg, sizeof(kMsg) - 1);
    (void)r;
  }
}

void Process::SetSignalCallback(std::string name, bool exported) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!name.empty()) has_signal_callback_.store(true);
  signals_deliverable_.store(exported && !name.empty(), std::memory_order_release);
  signal_callback_ = std::move(name);
}

std::string Process::signal_callback() {
  std::lock_guard<std::mutex> lock(mu_);
  return signal_callback_;
}

std::string Process::cwd() {
  std::lock_guard<std::mutex> lock(mu_);
  return cwd_;
}

void Process::set_cwd(std::string cwd) {
  std::lock_guard<std::mutex> lock(mu_);
  cwd_ = std::move(cwd);
}

// Every exit path comes here (ExitHost for proc_exit / exitHost, releaseProcess for library runs and serve
// instances, the CLI's prepareExit before process.exit): data an offloaded send accepted reaches the kernel, and
// queued closes happen, within a bounded time (a peer that never reads cannot hold the exit forever).
void Process::PrepareExit() {
  // Once: a guest torn down by releaseProcess meets this again in ~Process, and a peer that never reads must not
  // cost the bound twice (what is still queued after it is dropped with its fds).
  if (offload_ && !exit_prepared_.exchange(true)) offload_->Drain(kExitDrainMs);
  RemovePrivateDev();
}

namespace {
std::mutex g_registry_mu;
std::unordered_map<uint32_t, std::shared_ptr<Process>> g_registry;
uint32_t g_next_id = 1;
}  // namespace

std::shared_ptr<Process> CreateProcess() {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  auto p = std::make_shared<Process>(g_next_id++);
  g_registry[p->id()] = p;
  return p;
}

std::shared_ptr<Process> FindProcess(uint32_t id) {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  auto it = g_registry.find(id);
  return it == g_registry.end() ? nullptr : it->second;
}

void ForEachProcess(const std::function<void(Process&)>& fn) {
  std::vector<std::shared_ptr<Process>> all;
  {
    std::lock_guard<std::mutex> lock(g_registry_mu);
    for (auto& kv : g_registry) all.push_back(kv.second);
  }
  for (auto& p : all) fn(*p);
}

void ReleaseProcess(uint32_t id) {
  std::shared_ptr<Process> p;
  {
    std::lock_guard<std::mutex> lock(g_registry_mu);
    auto it = g_registry.find(id);
    if (it == g_registry.end()) return;
    p = std::move(it->second);
    g_registry.erase(it);
  }
  // Instances may keep the Process object alive until their JS wrappers are collected; the guest's resources
  // (sockets above all: a client must see the connection close) go now. Threads still running in it unwind as
  // their blocking calls return (wait::kExit).
  p->ClearListenNotifier();
  p->BeginDrain();
  if (!p->exiting.exchange(true)) p->InterruptThreads(wait::kExit);
  p->fds().Clear();
  p->stat_dirs().Clear();
  p->RemovePrivateDev();
}

}  // namespace wasmx
