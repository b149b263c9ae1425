#include "guest_signals.h"

#include <signal.h>
#include <unistd.h>

#include <string>

#include "instance.h"

namespace wasmx {

std::atomic<uint32_t> g_pending_host_signals{0};

namespace {
// Linux / WASIX signal numbers (ABI §4.6).
constexpr uint8_t kSigHup = 1, kSigInt = 2, kSigKill = 9, kSigTerm = 15, kSigChld = 17, kSigCont = 18,
                  kSigStop = 19, kSigTstp = 20, kSigTtin = 21, kSigTtou = 22, kSigUrg = 23, kSigWinch = 28;

bool DefaultIgnored(uint8_t sig) {
  switch (sig) {
    case kSigChld: case kSigCont: case kSigUrg: case kSigWinch:
    case kSigStop: case kSigTstp: case kSigTtin: case kSigTtou:
      return true;
    default:
      return false;
  }
}

std::shared_ptr<Process> g_signal_process;  // the `run` process host signals go to

// Host signal number -> WASIX number (they differ on macOS for none of these three, but keep it explicit).
uint8_t ToGuest(int host_sig) {
  switch (host_sig) {
    case SIGHUP: return kSigHup;
    case SIGINT: return kSigInt;
    default: return kSigTerm;
  }
}

void OnHostSignal(int host_sig) {
  uint8_t sig = ToGuest(host_sig);
  Process* p = g_signal_process.get();
  // No guest handler: the conventional end, right away (async-signal-safe: an atomic load and _exit).
  if (!p || !p->has_signal_callback()) _exit(128 + sig);
  g_pending_host_signals.fetch_or(1u << sig);
}
}  // namespace

bool DeliverSignal(Instance& inst, uint8_t sig) {
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
  napi_create_uint32(env, sig, &arg);
  napi_call_function(env, global, fn, 1, &arg, &result);  // a handler that exits or traps leaves an exception
  return true;
}

void RaiseSignal(Instance& inst, uint8_t sig) {
  if (sig != kSigKill && DeliverSignal(inst, sig)) return;
  if (DefaultIgnored(sig)) return;
  ExitGuest(inst, 128u + sig);
}

void InstallHostSignalHandlers(std::shared_ptr<Process> process) {
  g_signal_process = std::move(process);
  struct sigaction sa = {};
  sa.sa_handler = OnHostSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns EINTR and can hand the signal to the guest
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
}

bool HasThreadSignals(const Instance& inst) { return inst.pending_signals.load(std::memory_order_relaxed) != 0; }

void DeliverPendingSignals(Instance& inst) {
  bool pending_exception = false;
  napi_is_exception_pending(inst.env, &pending_exception);
  if (pending_exception) return;  // the guest is already unwinding (exit, trap)
  uint32_t bits = inst.pending_signals.exchange(0);
  if (g_pending_host_signals.load(std::memory_order_relaxed)) bits |= g_pending_host_signals.exchange(0);
  for (uint8_t sig = 1; sig < 32 && bits; sig++) {
    if (!(bits & (1u << sig))) continue;
    bits &= ~(1u << sig);
    RaiseSignal(inst, sig);
    napi_is_exception_pending(inst.env, &pending_exception);
    if (pending_exception) return;
  }
}

}  // namespace wasmx
