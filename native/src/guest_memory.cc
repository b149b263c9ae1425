#include "guest_memory.h"

namespace wasmx {

bool GuestMemory::Attach(napi_env env, napi_value memory) {
  env_ = env;
  if (napi_create_reference(env, memory, 1, &memory_ref_) != napi_ok) return false;
  return Refresh();
}

void GuestMemory::Detach(napi_env env) {
  if (memory_ref_) napi_delete_reference(env, memory_ref_);
  memory_ref_ = nullptr;
  base_ = nullptr;
  size_ = 0;
}

bool GuestMemory::Refresh() {
  if (!memory_ref_) return false;
  napi_env env = env_;
  napi_value memory, buffer;
  if (napi_get_reference_value(env, memory_ref_, &memory) != napi_ok || memory == nullptr) return false;
  if (napi_get_named_property(env, memory, "buffer", &buffer) != napi_ok) return false;
  bool is_ab = false;
  napi_is_arraybuffer(env, buffer, &is_ab);
  void* data = nullptr;
  size_t len = 0;
  if (is_ab) {
    if (napi_get_arraybuffer_info(env, buffer, &data, &len) != napi_ok) return false;
  } else {
    // SharedArrayBuffer (shared memory of a threaded guest): N-API on Node 20 has no direct accessor, but a
    // Uint8Array view over it reports the same backing store.
    napi_value global, ctor, view;
    napi_typedarray_type type;
    napi_value ab;
    size_t offset;
    if (napi_get_global(env, &global) != napi_ok) return false;
    if (napi_get_named_property(env, global, "Uint8Array", &ctor) != napi_ok) return false;
    if (napi_new_instance(env, ctor, 1, &buffer, &view) != napi_ok) return false;
    if (napi_get_typedarray_info(env, view, &type, &len, &data, &ab, &offset) != napi_ok) return false;
  }
  base_ = static_cast<uint8_t*>(data);
  size_ = len;
  return true;
}

}  // namespace wasmx
