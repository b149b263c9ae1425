// --stats and --trace: what every import call costs, counted and timed in the one trampoline (import_registry.h).
//
// Off by default, and then the trampoline pays one relaxed load of g_observe and a predictable branch. When on:
//   stats  per-import calls, errors (result != SUCCESS) and nanoseconds spent in the host, counted in a per-thread
//          table (no atomic read-modify-write; the tables are summed when a report is made). The report is printed
//          at host exit (ExitHost, or ReportStatsAtExit from JS), and on SIGUSR1 without exiting: the host signal
//          watcher (guest_signals.cc, ordinary code woken through its self-pipe) asks ReportStatsOnSignal first
//          and, when stats are on, keeps SIGUSR1 from the guest; serve's JS SIGUSR1 handler does the same.
//   trace  one line per call, written with one write(2) so lines from several threads never interleave:
//            [p1 t1] fd_write(1, 1048560, 1, 1048556) = SUCCESS <3.412us>
//          (guest process id and thread id, the arguments as the guest passed them: i32 in decimal, u64 in hex,
//          guest path strings decoded; the result's errno name; the time spent in the host).
// The counters cover every guest in the host process (serve: all instances summed).
// Imports implemented in JS (the dynamic calls, src/dynamic-calls.ts) are observed here too, so that there is one
// table and one trace writer: configureObserver names them (ObserverConfig::js_imports), they get the ids after
// the registry's, and their JS wrapper reports each finished call through ObserveCall (js_api.cc observeCall).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace wasmx {

namespace observe {
constexpr uint32_t kStats = 1, kTrace = 2;
}
// observe:: bits; written once before the guest starts (ConfigureObserver), read by every trampoline.
extern std::atomic<uint32_t> g_observe;

struct ObserverConfig {
  bool stats = false;
  std::string stats_json;  // also write the report as JSON to this file ("" = no)
  bool trace = false;
  std::vector<std::string> trace_only;  // trace only these imports (WASMX_TRACE=a,b); empty = all
  std::string trace_file;               // "" = stderr
  // Imports implemented in JS that report their calls through ObserveCall (ids after the registry's).
  std::vector<std::string> js_imports;
};
// Turns observation on. Returns "" or an error for the user (a trace file that cannot be opened, an unknown name).
std::string ConfigureObserver(const ObserverConfig& cfg);

// How a trampoline describes one argument or result for the trace.
enum class ArgKind : uint8_t { kU32, kU64, kI64 };
enum class ResultKind : uint8_t { kErrno, kInt32, kNone };

struct Instance;
// Records one finished call of import `id` (stats and/or trace). `args` holds the decoded arguments.
void ObserveCall(uint32_t id, Instance& inst, const uint64_t* args, const ArgKind* kinds, size_t n, ResultKind rk,
                 int64_t result, uint64_t ns);
// Records one finished call of JS-implemented import `id` (ObservedJsImportId): up to 8 u32 arguments as the guest
// passed them, its errno (`returned` false: it ended by a trap or an exit unwinding through it, traced as "?").
// Ids that are not a JS import's are ignored.
void ObserveJsCall(uint32_t id, Instance& inst, const uint64_t* args, size_t n, bool returned, uint32_t result, uint64_t ns);
// The observer id of a JS-implemented import named in ConfigureObserver; -1 when observation is off or the name
// is not one of them (then its JS side does not wrap it: nothing to count).
int32_t ObservedJsImportId(const std::string& name);
// Monotonic nanoseconds (the clock the durations use).
uint64_t ObserveNowNs();

struct ImportStatsRow {
  std::string name;
  uint64_t calls = 0, errors = 0, ns = 0;
};
// The summed per-import counters, imports with calls only, most time first.
std::vector<ImportStatsRow> CollectImportStats();
// The strace -c style table and the JSON form of the same rows.
std::string FormatStatsTable(const std::vector<ImportStatsRow>& rows);
std::string FormatStatsJson(const std::vector<ImportStatsRow>& rows);
// Prints the report (stderr, and the JSON file when configured) once; later calls do nothing. For host exit.
void ReportStatsAtExit();
// SIGUSR1 with --stats: prints the report now (ordinary code, not a signal handler) and returns true; false (and
// nothing printed) when stats are off, so that the signal goes to the guest as usual.
bool ReportStatsOnSignal();

}  // namespace wasmx
