#include "guest_threads.h"
#include "threadsafe_fn.h"

#include <algorithm>

#include "fd_table.h"
#include "instance.h"
#include "wait.h"

namespace wasmx {

namespace {
struct SpawnRequest {
  GuestThreads* threads;
  uint32_t tid;
  uint32_t start_arg;
};

// Runs on the coordinating JS thread.
void CallSpawner(napi_env env, napi_value fn, void*, void* data) {
  auto* req = static_cast<SpawnRequest*>(data);
  if (env != nullptr && fn != nullptr) {
    napi_value argv[2], global, result;
    napi_create_uint32(env, req->tid, &argv[0]);
    napi_create_uint32(env, req->start_arg, &argv[1]);
    napi_get_global(env, &global);
    if (napi_call_function(env, global, fn, 2, argv, &result) != napi_ok) req->threads->Exited(req->tid);
  } else {
    req->threads->Exited(req->tid);  // the spawner is gone (process tearing down): the thread never runs
  }
  delete req;
}
}  // namespace

GuestThreads::GuestThreads() { live_.insert(kMainTid); }

GuestThreads::~GuestThreads() {
  if (spawner_) napi_release_threadsafe_function(spawner_, napi_tsfn_abort);
}

bool GuestThreads::SetSpawner(napi_env env, napi_value fn) {
  napi_threadsafe_function tsfn;
  if (!MakeUnrefThreadsafeFn(env, fn, "wasmx.thread-spawn", CallSpawner, &tsfn)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (spawner_) napi_release_threadsafe_function(spawner_, napi_tsfn_abort);
  spawner_ = tsfn;
  return true;
}

bool GuestThreads::spawner_installed() {
  std::lock_guard<std::mutex> lock(mu_);
  return spawner_ != nullptr;
}

Errno GuestThreads::Spawn(FdTable& fds, uint32_t start_arg, uint32_t* tid) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!spawner_) return err::NOTSUP;
  if (live_.size() >= 65536) return err::AGAIN;
  uint32_t t = next_tid_;
  while (live_.count(t)) t = t >= kMaxTid ? kMainTid + 1 : t + 1;
  next_tid_ = t >= kMaxTid ? kMainTid + 1 : t + 1;
  live_.insert(t);
  fds.MarkShared();  // before the new thread can exist
  auto* req = new SpawnRequest{this, t, start_arg};
  if (napi_call_threadsafe_function(spawner_, req, napi_tsfn_nonblocking) != napi_ok) {
    live_.erase(t);
    delete req;
    return err::AGAIN;
  }
  *tid = t;
  return err::SUCCESS;
}

void GuestThreads::Register(uint32_t tid, const std::shared_ptr<Instance>& inst) {
  std::lock_guard<std::mutex> lock(mu_);
  instances_[tid] = inst;
}

std::shared_ptr<Instance> GuestThreads::Find(uint32_t tid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_.count(tid)) return nullptr;
  auto it = instances_.find(tid);
  return it == instances_.end() ? nullptr : it->second.lock();
}

size_t GuestThreads::Exited(uint32_t tid) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(tid);
  instances_.erase(tid);
  for (Instance* j : joiners_) UnparkThread(*j);  // under the lock: a joiner leaves the list before it returns
  return live_.size();
}

void GuestThreads::ForEachInstance(const std::function<void(Instance&)>& fn) {
  std::vector<std::shared_ptr<Instance>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& kv : instances_)
      if (auto i = kv.second.lock()) all.push_back(std::move(i));
  }
  for (auto& i : all) fn(*i);
}

Errno GuestThreads::Join(Instance& self, uint32_t tid) {
  struct Ctx {
    GuestThreads* t;
    uint32_t tid;
  } ctx{this, tid};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!live_.count(tid)) return err::SUCCESS;
    joiners_.push_back(&self);
  }
  WaitResult r = WaitWoken(self, wait::kForever, [](void* a) {
    auto* c = static_cast<Ctx*>(a);
    std::lock_guard<std::mutex> lock(c->t->mu_);
    return c->t->live_.count(c->tid) == 0;
  }, &ctx);
  std::lock_guard<std::mutex> lock(mu_);
  joiners_.erase(std::find(joiners_.begin(), joiners_.end(), &self));
  return WaitErrno(r);
}

size_t GuestThreads::alive() {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.size();
}

}  // namespace wasmx
