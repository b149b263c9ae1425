// A guest process: what all threads of one guest share (fd table, args, env, permissions, exit state).
// TypeScript creates one per `wasmx run` (or per `serve` instance) and attaches each thread's instance to it.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <node_api.h>

#include "fd_table.h"
#include "guest_threads.h"
#include "futex_table.h"
#include "offload/offload.h"
#include "path_resolve.h"

namespace wasmx {

class SignalTimer;  // process.cc

struct ProcessOptions {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=VALUE"
  struct Preopen {
    std::string host_path;
    std::string guest_path;
  };
  std::vector<Preopen> preopens;
  std::vector<int> preopened_sockets;  // host listening sockets placed after the preopened dirs (--tcplisten)
  bool net = false;
  // When true, proc_exit ends the host process (wasmx run). When false, it unwinds the guest with a
  // WasmxExit exception the embedder catches (library API, serve instances).
  bool exit_ends_host = false;
  // serve: every TCP socket the guest binds gets SO_REUSEPORT, so all instances can bind the same address.
  bool reuse_port = false;
  // Offload pool (offload/offload.h): --offload, --offload-max-bytes, --verbose.
  OffloadConfig offload;
  // Library stdio: host fds for guest 0..2 (the process dups them and owns the dups); -1 = the host's own fd.
  int stdio[3] = {-1, -1, -1};
  // Print "wasmx: listening on ADDR" on the host's stderr when the guest listens (listen_report.cc).
  bool announce_listen = false;
  // Give the guest a /dev preopen with a private /dev/shm (dev_dir.h): WASIX guests.
  bool dev = false;
};

class Process {
 public:
  explicit Process(uint32_t id);
  ~Process();
  // Opens preopens and sets up stdio. Returns an empty string on success, else a message for the user.
  std::string Init(const ProcessOptions& opts);

  uint32_t id() const { return id_; }
  FdTable& fds() { return fds_; }
  FutexTable& futexes() { return futexes_; }
  const std::vector<std::string>& args() const { return opts_.args; }
  const std::vector<std::string>& env() const { return opts_.env; }
  const std::vector<ProcessOptions::Preopen>& preopens() const { return opts_.preopens; }
  bool net_allowed() const { return opts_.net; }
  bool exit_ends_host() const { return opts_.exit_ends_host; }

  // The ABI the guest module was built for, decided once from its imports (any `wasix_32v1` import = WASIX):
  // where preview1 and WASIX disagree (docs/decisions.md "preview1 and WASIX"), syscalls ask this.
  bool wasix() const { return wasix_.load(std::memory_order_relaxed); }
  void set_wasix(bool w) { wasix_.store(w, std::memory_order_relaxed); }

  // Prints the "network is off" hint once per process.
  void HintNetDenied();

  // The guest export named through callback_signal (libc: "__wasm_signal"; "__wasm_signal_blocked", which
  // it does not export, while libc blocks signals). `exported`: the guest exports a function of that name.
  void SetSignalCallback(std::string name, bool exported);
  std::string signal_callback();
  // Whether the guest has ever named a signal export (then the guest's libc applies default actions itself).
  bool has_signal_callback() const { return has_signal_callback_.load(std::memory_order_relaxed); }
  // Whether signals can be delivered now (the named export exists; false while libc blocks signals).
  bool signals_deliverable() const { return signals_deliverable_.load(std::memory_order_acquire); }
  // Process-directed signals not yet claimed by a thread (bit n = signal n; guest_signals.h).
  std::atomic<uint32_t> pending_signals{0};
  // Set when a signal stayed pending because signals were blocked: unblocking interrupts the threads again.
  std::atomic<bool> signals_held{false};
  // Sets `reason` (wait.h) on every live thread of the process and wakes it.
  void InterruptThreads(uint32_t reason);
  // proc_raise_interval: raise `sig` for the process after `interval_ns` (then every interval_ns when
  // `repeat`); 0 cancels. One timer per process (like ITIMER_REAL).
  void SetSignalTimer(uint8_t sig, uint64_t interval_ns, bool repeat);

  // The guest's threads (TIDs, spawner, join).
  GuestThreads& threads() { return threads_; }

  // Set once when the process ends (proc_exit, a signal's default action, release): every thread's blocking
  // call returns and the thread unwinds with exit_code (wait::kExit).
  std::atomic<bool> exiting{false};
  std::atomic<int32_t> exit_code{0};

  bool reuse_port() const { return opts_.reuse_port; }

  // The offload pool, or null when offload is off for this process.
  Offload* offload() const { return offload_.get(); }

  // Graceful shutdown (serve): from now on blocking accepts return what is queued, then fail with SHUTDOWN
  // instead of waiting (they wait with wait::kDrain). Wakes every thread.
  void BeginDrain();
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  // Ends the process with `code` from outside its threads (a signal's default action): the host process ends
  // (exit_ends_host, after PrepareExit), or every thread unwinds with `code` as its blocking call returns.
  void Terminate(int code);
  // Connected (non-listening) sockets in the fd table.
  size_t OpenConnections();

  // Cleanup before the host process ends or the guest is torn down (flush offloaded work, etc).
  void PrepareExit();
  static constexpr uint64_t kExitDrainMs = 5000;
  // Removes the private /dev directory (dev_dir.h), once; every end of the process calls it.
  void RemovePrivateDev();

  // path_filestat_get's remembered directories (path_resolve.h); emptied when the process is released.
  StatDirCache& stat_dirs() { return stat_dirs_; }

  // listen_report.cc — the one hook sock_listen calls once the guest's socket listens: records the address,
  // prints the "listening on" line when announce_listen is set, and posts it to the listen notifier (JS).
  void OnListening(int host_fd);
  // sock_bind's hook: one hint line naming the address when a bind fails with EADDRINUSE or EACCES.
  void HintBindFailed(const struct sockaddr* addr, int host_errno);
  // Installs the JS function (address: string) => void called on the installing thread for each OnListening.
  bool SetListenNotifier(napi_env env, napi_value fn);
  void ClearListenNotifier();

  // Working directory, as a guest path (getcwd / chdir); "/" until the guest changes it.
  std::string cwd();
  void set_cwd(std::string cwd);

 private:
  const uint32_t id_;
  ProcessOptions opts_;
  FdTable fds_;
  GuestThreads threads_;
  FutexTable futexes_;
  std::atomic<bool> net_hint_printed_{false};
  std::atomic<bool> wasix_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> exit_prepared_{false};  // PrepareExit's drain ran
  std::mutex mu_;
  std::string signal_callback_;
  std::atomic<bool> has_signal_callback_{false};
  std::atomic<bool> signals_deliverable_{false};
  std::unique_ptr<SignalTimer> timer_;
  std::string cwd_ = "/";
  std::unique_ptr<Offload> offload_;
  std::atomic<bool> bind_hint_printed_{false};
  napi_threadsafe_function listen_notifier_ = nullptr;  // guarded by mu_
  std::string private_dev_;
  StatDirCache stat_dirs_;  // host path of the guest's /dev (dev_dir.h), guarded by mu_; empty when none
};

// Processes by id, so that worker threads can attach to the process their spawner created.
std::shared_ptr<Process> CreateProcess();
std::shared_ptr<Process> FindProcess(uint32_t id);
void ReleaseProcess(uint32_t id);
// Runs `fn` on every live process (exit hooks).
void ForEachProcess(const std::function<void(Process&)>& fn);

}  // namespace wasmx
