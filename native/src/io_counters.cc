#include "io_counters.h"

#include <pthread.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace wasmx {
namespace {

// One per host thread that ever counted; only its thread writes it, any thread may read it.
struct alignas(64) Block {
  std::atomic<uint64_t> v[kIoCounterCount] = {};
};

// Leaked on purpose: worker threads may still end (and fold their blocks) while static destructors run.
struct Registry {
  std::mutex mu;
  std::vector<Block*> live;
  uint64_t retired[kIoCounterCount] = {};
  pthread_key_t key;
};

void ThreadEnded(void* p);

Registry& Reg() {
  static Registry* r = [] {
    auto* reg = new Registry;
    pthread_key_create(&reg->key, ThreadEnded);
    return reg;
  }();
  return *r;
}

thread_local Block* t_block = nullptr;

void ThreadEnded(void* p) {
  auto* b = static_cast<Block*>(p);
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  for (unsigned i = 0; i < kIoCounterCount; i++) r.retired[i] += b->v[i].load(std::memory_order_relaxed);
  for (auto it = r.live.begin(); it != r.live.end(); ++it)
    if (*it == b) {
      r.live.erase(it);
      break;
    }
  delete b;
}

Block* Register() {
  Registry& r = Reg();
  auto* b = new Block;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    r.live.push_back(b);
  }
  pthread_setspecific(r.key, b);  // ThreadEnded folds it when this thread ends
  t_block = b;
  return b;
}

}  // namespace

void CountIo(IoCounter c, uint64_t n) {
  Block* b = t_block;
  if (!b) b = Register();
  // Only this thread writes its block: load + store is the add, and readers never see a torn value.
  b->v[c].store(b->v[c].load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

void SumIoCounters(uint64_t* out) {
  Registry& r = Reg();
  std::lock_guard<std::mutex> lock(r.mu);
  for (unsigned i = 0; i < kIoCounterCount; i++) out[i] = r.retired[i];
  for (Block* b : r.live)
    for (unsigned i = 0; i < kIoCounterCount; i++) out[i] += b->v[i].load(std::memory_order_relaxed);
}

}  // namespace wasmx
