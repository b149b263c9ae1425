#include "guest_signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "import_observer.h"
#include "instance.h"
#include "wait.h"

namespace wasmx {

const char* SignalName(uint8_t s) {
  static const char* const kNames[32] = {
      "SIG0",    "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP", "SIGABRT",   "SIGBUS",
      "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM",
      "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",   "SIGURG",
      "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS"};
  return s < 32 ? kNames[s] : "SIG?";
}

bool DefaultIgnored(uint8_t s) {
  switch (s) {
    case sig::CHLD: case sig::CONT: case sig::URG: case sig::WINCH:
    case sig::STOP: case sig::TSTP: case sig::TTIN: case sig::TTOU:
      return true;
    default:
      return false;
  }
}

namespace {

constexpr uint32_t Bit(uint8_t s) { return 1u << s; }

// The signals a person (or a supervisor) sends to stop a program: their default action ends it quietly, as a
// shell would. Every other default-action end says which signal it was, once, on stderr.
bool Quiet(uint8_t s) { return s == sig::INT || s == sig::TERM || s == sig::HUP || s == sig::KILL; }

void SayTerminated(uint8_t s) {
  if (Quiet(s)) return;
  std::string line = std::string("wasmx: guest terminated by ") + SignalName(s) + " (signal " +
                     std::to_string(unsigned(s)) + ")\n";
  ssize_t r = ::write(2, line.data(), line.size());
  (void)r;
}

// The default action on the calling guest thread: nothing, or the end of the process with 128 + s.
void DefaultAction(Instance& inst, uint8_t s) {
  if (s != sig::KILL && DefaultIgnored(s)) return;
  SayTerminated(s);
  ExitGuest(inst, 128u + s);
}

// Calls the guest's signal export with `s`. False when there is none to call.
bool CallSignalExport(Instance& inst, uint8_t s) {
  std::string name = inst.proc->signal_callback();
  if (name.empty() || !inst.exports_ref) return false;
  napi_env env = inst.env;
  napi_value exports, fn, global, arg, result;
  if (napi_get_reference_value(env, inst.exports_ref, &exports) != napi_ok || !exports) return false;
  bool has = false;
  if (napi_has_named_property(env, exports, name.c_str(), &has) != napi_ok || !has) return false;
  if (napi_get_named_property(env, exports, name.c_str(), &fn) != napi_ok) return false;
  napi_valuetype type;
  if (napi_typeof(env, fn, &type) != napi_ok || type != napi_function) return false;
  napi_get_global(env, &global);
  napi_create_uint32(env, s, &arg);
  // A handler that exits or traps leaves an exception parked in the env: the V8 callback must look (set only
  // now: the handler's own syscalls in between must not take it for theirs).
  if (napi_call_function(env, global, fn, 1, &arg, &result) != napi_ok) inst.napi_exception = true;
  return true;
}

// Runs the guest's handler for `s` on the calling thread (the guest named an export).
void Deliver(Instance& inst, uint8_t s) {
  const uint8_t outer = inst.delivering;
  const uint32_t outer_mask = inst.delivering_mask;
  inst.delivering = s;
  inst.delivering_mask |= Bit(s);
  bool called = CallSignalExport(inst, s);
  inst.delivering = outer;
  inst.delivering_mask = outer_mask;
  if (!called) {
    DefaultAction(inst, s);
    return;
  }
  // Signals raised for this thread while the handler ran (the same signal stays pending until it returns).
  if (inst.pending_signals.load(std::memory_order_relaxed)) inst.attention.fetch_or(wait::kSignal);
}

std::atomic<uint32_t>& ProcessPending(Instance& inst) { return inst.proc->pending_signals; }

}  // namespace

bool ClaimSignals(Instance& inst) {
  inst.attention.fetch_and(~wait::kSignal, std::memory_order_acq_rel);
  Process& p = *inst.proc;
  const bool any = inst.pending_signals.load(std::memory_order_acquire) ||
                   ProcessPending(inst).load(std::memory_order_acquire);
  if (!any) return false;
  if (!p.signals_deliverable()) {  // libc blocks signals: they wait until it unblocks (callback_signal)
    p.signals_held.store(true);
    return false;
  }
  if (uint32_t claimed = ProcessPending(inst).exchange(0)) inst.pending_signals.fetch_or(claimed);
  // While a handler runs on this thread, pending signals wait for it to return (as if its sa_mask were full;
  // wasix-libc ignores sa_mask): the syscalls a handler makes do not nest other handlers into it.
  if (inst.delivering || inst.pending_signals.load(std::memory_order_acquire) == 0) return false;
  inst.attention.fetch_or(wait::kSignal, std::memory_order_release);
  return true;
}

void DeliverPendingSignals(Instance& inst) {
  bool exception = false;
  napi_is_exception_pending(inst.env, &exception);
  if (exception) return;  // the guest is already unwinding (exit, trap)
  const uint32_t a = inst.attention.load(std::memory_order_acquire);
  if (a & wait::kExit) {
    UnwindExiting(inst);
    return;
  }
  if (!(a & wait::kSignal) || !ClaimSignals(inst)) return;
  inst.attention.fetch_and(~wait::kSignal);
  inst.wake.Drain();  // the interruption is handled: no later wait should see it again
  for (;;) {
    const uint32_t bits = inst.pending_signals.load(std::memory_order_acquire);
    if (!bits) return;
    uint8_t s = 1;
    while (!(bits & Bit(s))) s++;
    inst.pending_signals.fetch_and(~Bit(s));
    Deliver(inst, s);
    napi_is_exception_pending(inst.env, &exception);
    if (exception) return;
  }
}

void RaiseSignal(Instance& inst, uint8_t s) {
  Process& p = *inst.proc;
  if (s == sig::KILL || s == sig::STOP || !p.has_signal_callback()) {
    DefaultAction(inst, s);
    return;
  }
  if (!p.signals_deliverable()) {
    // Signals are blocked. abort() cannot be blocked: inside libc's default handler (which blocks signals and
    // ends with abort()) it is the default action of the signal being handled; elsewhere, SIGABRT's own.
    if (s == sig::ABRT) {
      DefaultAction(inst, inst.delivering ? inst.delivering : s);
      return;
    }
    inst.pending_signals.fetch_or(Bit(s));
    p.signals_held.store(true);
    return;
  }
  if (inst.delivering_mask & Bit(s)) {  // raised from its own handler: pending until the handler returns
    inst.pending_signals.fetch_or(Bit(s));
    return;
  }
  Deliver(inst, s);
}

Errno SignalThread(Instance& sender, uint32_t tid, uint8_t s) {
  auto target = sender.proc->threads().Find(tid);
  if (!target) return err::SRCH;
  if (s == 0) return err::SUCCESS;
  if (s == sig::KILL || s == sig::STOP || !sender.proc->has_signal_callback()) {
    DefaultAction(sender, s);  // a default action is the whole process's
    return err::SUCCESS;
  }
  target->pending_signals.fetch_or(Bit(s));
  InterruptThread(*target, wait::kSignal);
  return err::SUCCESS;
}

void SignalProcess(Process& p, uint8_t s) {
  if (s == 0 || s > 31) return;
  if (s == sig::KILL || s == sig::STOP || !p.has_signal_callback()) {
    if (s != sig::KILL && DefaultIgnored(s)) return;
    SayTerminated(s);
    p.Terminate(128 + s);
    return;
  }
  p.pending_signals.fetch_or(Bit(s));
  p.InterruptThreads(wait::kSignal);
}

// ---- host signals ----

namespace {

// Host signal number <-> WASIX number (they differ on macOS for SIGUSR1/SIGUSR2).
struct HostSignal {
  int host;
  uint8_t guest;
};
const HostSignal kHostSignals[] = {{SIGHUP, sig::HUP},   {SIGINT, sig::INT},   {SIGQUIT, sig::QUIT},
                                   {SIGUSR1, sig::USR1}, {SIGUSR2, sig::USR2}, {SIGTERM, sig::TERM}};

std::atomic<uint32_t> g_host_pending{0};  // bit n: WASIX signal n arrived, for the watcher
int g_self_pipe[2] = {-1, -1};

std::mutex g_targets_mu;
std::vector<std::shared_ptr<Process>> g_targets;
struct sigaction g_previous[sizeof kHostSignals / sizeof kHostSignals[0]];
bool g_installed = false;

// The host handler: async-signal-safe only (an atomic or and a write), as in libuv's signal.c.
void OnHostSignal(int host_sig) {
  const int saved = errno;
  for (const auto& h : kHostSignals)
    if (h.host == host_sig) g_host_pending.fetch_or(Bit(h.guest));
  char b = 1;
  ssize_t r = ::write(g_self_pipe[1], &b, 1);  // full pipe: the watcher is already due to run
  (void)r;
  errno = saved;
}

// Ordinary code: turns each recorded host signal into SignalProcess for every target process.
void WatchHostSignals() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);  // host signals are handled on the threads that run JS, not here
  for (;;) {
    char buf[64];
    ssize_t n = ::read(g_self_pipe[0], buf, sizeof buf);
    if (n < 0 && errno != EINTR) return;
    uint32_t bits = g_host_pending.exchange(0);
    if ((bits & Bit(sig::USR1)) && ReportStatsOnSignal()) bits &= ~Bit(sig::USR1);  // --stats takes SIGUSR1
    if (!bits) continue;
    std::vector<std::shared_ptr<Process>> targets;
    {
      std::lock_guard<std::mutex> lock(g_targets_mu);
      targets = g_targets;
    }
    for (uint8_t s = 1; s < 32; s++)
      if (bits & Bit(s))
        for (auto& p : targets) SignalProcess(*p, s);
  }
}

bool StartWatcher() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    if (::pipe(g_self_pipe) != 0) return;
    for (int fd : g_self_pipe) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(g_self_pipe[1], F_SETFL, ::fcntl(g_self_pipe[1], F_GETFL) | O_NONBLOCK);
    std::thread(WatchHostSignals).detach();  // lives as long as the host process; holds no JS handle
    ok = true;
  });
  return ok;
}

}  // namespace

void InstallHostSignalHandlers(std::shared_ptr<Process> process) {
  if (!StartWatcher()) return;
  std::lock_guard<std::mutex> lock(g_targets_mu);
  for (auto& t : g_targets)
    if (t == process) return;
  g_targets.push_back(std::move(process));
  if (g_installed) return;
  struct sigaction sa = {};
  sa.sa_handler = OnHostSignal;
  sigemptyset(&sa.sa_mask);
  // SA_RESTART: the host's own threads (libuv, V8) are not disturbed; guest waits are woken through wake fds.
  sa.sa_flags = SA_RESTART;
  size_t i = 0;
  for (const auto& h : kHostSignals) sigaction(h.host, &sa, &g_previous[i++]);
  g_installed = true;
}

void RemoveHostSignalHandlers(uint32_t process_id) {
  std::lock_guard<std::mutex> lock(g_targets_mu);
  g_targets.erase(std::remove_if(g_targets.begin(), g_targets.end(),
                                 [&](const std::shared_ptr<Process>& p) { return p->id() == process_id; }),
                  g_targets.end());
  if (!g_targets.empty() || !g_installed) return;
  size_t i = 0;
  for (const auto& h : kHostSignals) sigaction(h.host, &g_previous[i++], nullptr);
  g_installed = false;
}

}  // namespace wasmx
