// A guest process: what all threads of one guest share (fd table, args, env, permissions, exit state).
// TypeScript creates one per `wasmx run` (or per `serve` instance) and attaches each thread's instance to it.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fd_table.h"
#include "guest_threads.h"
#include "futex_table.h"
#include "offload/offload.h"

namespace wasmx {

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
};

class Process {
 public:
  explicit Process(uint32_t id) : id_(id) {}
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

  // The guest export named through callback_signal (libc: "__wasm_signal").
  void SetSignalCallback(std::string name);
  std::string signal_callback();
  // Async-signal-safe: whether the guest has named a signal export (host signal handlers read it).
  bool has_signal_callback() const { return has_signal_callback_.load(std::memory_order_relaxed); }

  // The guest's threads (TIDs, spawner, join).
  GuestThreads& threads() { return threads_; }

  // Set once when the guest asks to exit; later calls from other threads see it.
  std::atomic<bool> exiting{false};
  std::atomic<int32_t> exit_code{0};

  bool reuse_port() const { return opts_.reuse_port; }

  // The offload pool, or null when offload is off for this process.
  Offload* offload() const { return offload_.get(); }

  // Graceful shutdown (serve): from now on blocking accepts return what is queued, then fail with SHUTDOWN
  // instead of waiting. Wakes every call blocked in WaitReadyOrWoken.
  void BeginDrain();
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  // A host fd that becomes readable once the process drains or exits (blocking calls poll it with their fd).
  int wake_fd() const { return wake_pipe_[0]; }
  // Connected (non-listening) sockets in the fd table.
  size_t OpenConnections();

  // Cleanup before the host process ends or the guest is torn down (flush offloaded work, etc).
  void PrepareExit();
  static constexpr uint64_t kExitDrainMs = 5000;

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
  int wake_pipe_[2] = {-1, -1};
  std::mutex mu_;
  std::string signal_callback_;
  std::atomic<bool> has_signal_callback_{false};
  std::string cwd_ = "/";
  std::unique_ptr<Offload> offload_;
};

// Processes by id, so that worker threads can attach to the process their spawner created.
std::shared_ptr<Process> CreateProcess();
std::shared_ptr<Process> FindProcess(uint32_t id);
void ReleaseProcess(uint32_t id);
// Runs `fn` on every live process (exit hooks).
void ForEachProcess(void (*fn)(Process&));

}  // namespace wasmx
