// Signals for the guest (ABI §7.6): delivery to the export named by callback_signal, default actions, and host
// signals (SIGINT, SIGTERM, SIGHUP under `wasmx run`) turned into guest signals.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

namespace wasmx {

struct Instance;
class Process;

// Calls the guest's signal export with `sig`. False when there is none to call.
bool DeliverSignal(Instance& inst, uint8_t sig);
// Delivers `sig`, or applies its default action when the guest has no handler export: ignore CHLD, CONT, URG,
// WINCH and the stop signals; otherwise end the guest with 128 + sig.
void RaiseSignal(Instance& inst, uint8_t sig);

// Host signals: SIGINT, SIGTERM and SIGHUP are caught for `process`. While the guest has registered no signal
// export, the host process ends at once with 128 + sig; otherwise the signal is queued and delivered on the
// guest's next syscall, which a blocking call returns early from with INTR.
void InstallHostSignalHandlers(std::shared_ptr<Process> process);

extern std::atomic<uint32_t> g_pending_host_signals;  // bit n = host signal n pending for the guest
// Called after every import (import_registry.h): delivers queued host signals and signals other threads sent
// to this one (thread_signal).
void DeliverPendingSignals(Instance& inst);
bool HasThreadSignals(const Instance& inst);
inline void CheckPendingSignals(Instance& inst) {
  if (g_pending_host_signals.load(std::memory_order_relaxed) || HasThreadSignals(inst)) DeliverPendingSignals(inst);
}
// For EINTR paths of blocking calls: true when a host signal is waiting for the guest (return INTR then).
inline bool SignalPending() { return g_pending_host_signals.load(std::memory_order_relaxed) != 0; }

}  // namespace wasmx
