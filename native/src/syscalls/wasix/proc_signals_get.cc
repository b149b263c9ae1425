#include "guest_signals.h"
#include "syscall.h"

namespace wasmx {
// The initial signal dispositions (signal_disposition_t: sig u8 @0, disp u8 @1; 2 bytes each, ABI §6): every
// catchable signal 1..31 (all but SIGKILL and SIGSTOP) at DEFAULT. wasix-libc's startup (__wasi_init_signals)
// calls sigaction for each entry, and only that call installs its default handler: with an empty list an
// unhandled signal or abort() calls a null function inside __wasm_signal. IGNORE is never reported: libc would
// store SIG_IGN (1) as a handler and call it as a function when such a signal arrives.
namespace {
constexpr uint8_t kDispositionDefault = 0;
bool Reported(uint8_t s) { return s != sig::KILL && s != sig::STOP; }
}  // namespace

uint32_t InitialSignalCount() {
  uint32_t n = 0;
  for (uint8_t s = 1; s < 32; s++) n += Reported(s);
  return n;
}

static Errno proc_signals_get(Instance& inst, uint32_t buf_p) {
  if (!inst.mem.InBounds(buf_p, uint64_t(InitialSignalCount()) * 2)) return err::FAULT;
  uint32_t off = buf_p;
  for (uint8_t s = 1; s < 32; s++) {
    if (!Reported(s)) continue;
    const uint8_t entry[2] = {s, kDispositionDefault};
    inst.mem.Write(off, entry, 2);
    off += 2;
  }
  return err::SUCCESS;
}
WASMX_WASIX(proc_signals_get);
}  // namespace wasmx
