// Bounds-checked, in-place access to one instance's linear memory.
//
// V8 reserves a wasm memory's whole address range up front, so the base pointer stays put when the guest grows
// its memory; only the length changes. We cache the length and refresh it from JS only when an access falls past
// the cached end (memory never shrinks, so a stale cache is conservative, never unsafe).
#pragma once
#include <node_api.h>

#include <cstdint>
#include <cstring>

namespace wasmx {

class GuestMemory {
 public:
  GuestMemory() = default;
  // Takes a reference to a WebAssembly.Memory object. Must be called on the instance's own thread.
  bool Attach(napi_env env, napi_value memory);
  void Detach(napi_env env);

  // True when [ptr, ptr+len) lies inside linear memory (64-bit arithmetic: no wrap-around).
  inline bool InBounds(uint32_t ptr, uint64_t len) {
    uint64_t end = uint64_t(ptr) + len;
    return end <= size_ || (Refresh() && end <= size_);
  }
  // Pointer to guest bytes; call InBounds first.
  inline uint8_t* At(uint32_t ptr) { return base_ + ptr; }

  template <typename T>
  inline bool Load(uint32_t ptr, T* out) {
    if (!InBounds(ptr, sizeof(T))) return false;
    std::memcpy(out, base_ + ptr, sizeof(T));  // unaligned-safe, little-endian hosts only
    return true;
  }
  template <typename T>
  inline bool Store(uint32_t ptr, T v) {
    if (!InBounds(ptr, sizeof(T))) return false;
    std::memcpy(base_ + ptr, &v, sizeof(T));
    return true;
  }
  bool Write(uint32_t ptr, const void* src, uint64_t len) {
    if (!InBounds(ptr, len)) return false;
    std::memcpy(base_ + ptr, src, len);
    return true;
  }

  uint8_t* base() const { return base_; }
  uint64_t size() const { return size_; }

 private:
  // Re-reads memory.buffer's length (and base) through JS. Only on the owning thread.
  bool Refresh();

  napi_env env_ = nullptr;
  napi_ref memory_ref_ = nullptr;
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace wasmx
