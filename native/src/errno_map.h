// Host errno -> WASI errno: the one mapping table (like uvwasi's uv_mapping).
#pragma once
#include "wasi_types.h"

namespace wasmx {
// Maps a host errno value (as left in `errno` by a failed kernel call) to the WASI errno the guest sees.
Errno WasiErrno(int host_errno);
// Convenience: WasiErrno(errno) for the current thread's errno.
Errno LastErrno();
// The WASI name of an errno value ("SUCCESS", "AGAIN", ...; "?" past the table), for --trace.
const char* ErrnoName(Errno e);
}  // namespace wasmx
