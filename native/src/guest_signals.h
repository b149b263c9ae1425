// Signals for the guest (ABI §7.6), with POSIX semantics on top of the one wait primitive (wait.h).
//
// Where a signal comes from: the host (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 caught for the
// processes that asked, InstallHostSignalHandlers), the embedder (SignalProcess: serve's stop, AbortSignal), the
// guest itself (proc_raise, thread_signal, proc_raise_interval's timer).
//
// What happens to it:
//  * the guest never named a signal export (callback_signal): wasmx applies the default action itself — ignore
//    CHLD, CONT, URG, WINCH and the stop signals, otherwise end the process with 128 + sig (from ordinary code:
//    a watcher thread or the guest thread, never inside a host signal handler);
//  * it did (wasix-libc always names "__wasm_signal" at startup): the signal is queued — for the process (any one
//    thread claims it) or for one thread — and every thread it may go to is interrupted: its blocking call
//    returns INTR and the signal is delivered through the export as that call returns (import_registry.h). The
//    guest's libc then runs the sigaction handler or its default action;
//  * while libc blocks signals (it names "__wasm_signal_blocked", which it does not export) signals stay
//    pending and interrupt nothing; naming an exported callback again delivers them;
//  * a thread that raises a signal from inside a handler running with signals blocked (wasix-libc's default
//    handler: it prints a line and calls abort()) gets the default action of the signal being handled, instead
//    of re-entering the guest: abort() ends with 134, an unhandled SIGTERM with 143.
#pragma once
#include <cstdint>
#include <memory>

#include "wasi_types.h"

namespace wasmx {

struct Instance;
class Process;

// WASIX (= Linux) signal numbers (ABI §4.6).
namespace sig {
constexpr uint8_t HUP = 1, INT = 2, QUIT = 3, ABRT = 6, KILL = 9, USR1 = 10, USR2 = 12, PIPE = 13, ALRM = 14,
                  TERM = 15, CHLD = 17, CONT = 18, STOP = 19, TSTP = 20, TTIN = 21, TTOU = 22, URG = 23, WINCH = 28;
}  // namespace sig

// "SIGTERM" etc. ("SIG?" for unknown numbers).
const char* SignalName(uint8_t s);
// Signals whose default action is to do nothing.
bool DefaultIgnored(uint8_t s);

// A signal for the whole process (host signals, the embedder, timers): see above. Any thread.
void SignalProcess(Process& p, uint8_t s);
// thread_signal to another thread `tid` of the caller's process: SRCH when it does not exist.
Errno SignalThread(Instance& sender, uint32_t tid, uint8_t s);
// raise(): a signal for the calling thread, delivered before the call returns (or pending while blocked).
void RaiseSignal(Instance& inst, uint8_t s);

// For the calling thread (wait.h): whether a deliverable signal waits for it; a process signal is claimed here.
bool ClaimSignals(Instance& inst);
// Called after every import whose thread has `attention` set (import_registry.h): unwinds an ending process's
// thread, delivers the thread's pending signals.
void DeliverPendingSignals(Instance& inst);
inline void CheckPendingSignals(Instance& inst);

// Host signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) go to `process` from now on. The first
// process installs the host handlers (SA_RESTART: other host threads are not disturbed); the handler only
// records the signal and writes a self-pipe, and a watcher thread does the rest (SignalProcess).
void InstallHostSignalHandlers(std::shared_ptr<Process> process);
// The process no longer gets host signals; the last one removed restores the dispositions found at install.
void RemoveHostSignalHandlers(uint32_t process_id);

}  // namespace wasmx

#include "instance.h"

namespace wasmx {
inline void CheckPendingSignals(Instance& inst) {
  if (inst.attention.load(std::memory_order_relaxed)) DeliverPendingSignals(inst);
}
}  // namespace wasmx
