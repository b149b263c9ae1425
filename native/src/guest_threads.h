// The threads of one guest process: TID allocation, the live set (thread_join, "last thread out"), and the
// spawner — a thread-safe function into the coordinating JS thread, which starts each new thread's instance on
// a pool worker (ABI §7.2). Any guest thread may spawn; the request never waits for the new thread to run.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "wasi_types.h"

namespace wasmx {

class FdTable;
struct Instance;

class GuestThreads {
 public:
  static constexpr uint32_t kMainTid = 1;
  static constexpr uint32_t kMaxTid = 0x1FFFFFFF;  // top two bits clear; libc's main sentinel is 0x3FFFFFFF

  GuestThreads();
  ~GuestThreads();

  // Installs the JS function (tid, startArg) => void that starts a thread. Called on the coordinating thread.
  bool SetSpawner(napi_env env, napi_value fn);
  // Allocates a TID and asks the coordinator to start the thread. `fds` is marked shared first.
  Errno Spawn(FdTable& fds, uint32_t start_arg, uint32_t* tid);
  // A thread's instance finished (returned, thread_exit, or trapped). Returns the number still alive.
  size_t Exited(uint32_t tid);
  // Blocks the calling thread `self` until `tid` is no longer alive (SUCCESS), or until `self` is interrupted
  // (INTR, wait.h). DEADLK for the caller's own tid is left to the caller.
  Errno Join(Instance& self, uint32_t tid);
  size_t alive();
  bool spawner_installed();
  // The live instance of each thread, for thread_signal. Registered by the addon when an instance is created.
  void Register(uint32_t tid, const std::shared_ptr<Instance>& inst);
  std::shared_ptr<Instance> Find(uint32_t tid);
  // Runs `fn` on the instance of every live thread (outside the lock).
  void ForEachInstance(const std::function<void(Instance&)>& fn);

 private:
  std::mutex mu_;
  std::unordered_set<uint32_t> live_;
  std::vector<Instance*> joiners_;  // threads blocked in Join, woken when any thread exits
  std::unordered_map<uint32_t, std::weak_ptr<Instance>> instances_;
  uint32_t next_tid_ = kMainTid + 1;
  napi_threadsafe_function spawner_ = nullptr;
};

}  // namespace wasmx
