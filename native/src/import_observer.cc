#include "import_observer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>

#include "errno_map.h"
#include "import_registry.h"
#include "instance.h"

namespace wasmx {

std::atomic<uint32_t> g_observe{0};

namespace {

ObserverConfig g_cfg;
int g_trace_fd = 2;
std::vector<uint8_t> g_traced;  // per import id: 1 = trace it
// Per import id, its name: the registry's imports, then the JS-implemented ones (ObserverConfig::js_imports).
std::vector<std::string> g_names;
size_t g_registry_size = 0;
// Counter rows per thread: room for the JS-implemented imports a later ConfigureObserver may add (a thread's
// table is made on its first observed call and never resized).
constexpr size_t kMaxJsImports = 32;
// Per import id, the argument indexes of (ptr, len) pairs that are guest path strings (-1 = none).
std::vector<std::pair<int8_t, int8_t>> g_path_args;

// One guest thread's counters. Only that thread writes them (relaxed load + store: a plain add, no lock prefix);
// a report reads them from another thread, which may miss the calls in flight.
struct Counter {
  std::atomic<uint64_t> calls{0}, errors{0}, ns{0};
};
struct ThreadCounters {
  explicit ThreadCounters(size_t n) : c(n) {}
  std::vector<Counter> c;
};
std::mutex g_tables_mu;
std::vector<std::shared_ptr<ThreadCounters>> g_tables;  // kept after their thread ends, so its calls still count

ThreadCounters& MyCounters() {
  thread_local std::shared_ptr<ThreadCounters> mine;
  if (!mine) {
    mine = std::make_shared<ThreadCounters>(ImportRegistry().size() + kMaxJsImports);
    std::lock_guard<std::mutex> lock(g_tables_mu);
    g_tables.push_back(mine);
  }
  return *mine;
}

inline void Bump(std::atomic<uint64_t>& a, uint64_t by) { a.store(a.load(std::memory_order_relaxed) + by, std::memory_order_relaxed); }

// Path arguments by import name: index of the pointer (the length follows it).
std::pair<int8_t, int8_t> PathArgsOf(const char* name) {
  static const struct {
    const char* name;
    int8_t a, b;
  } kPaths[] = {
      {"path_open", 2, -1},           {"path_open2", 2, -1},          {"path_filestat_get", 2, -1},
      {"path_filestat_set_times", 2, -1}, {"path_create_directory", 1, -1}, {"path_remove_directory", 1, -1},
      {"path_unlink_file", 1, -1},    {"path_readlink", 1, -1},       {"path_link", 2, 5},
      {"path_rename", 1, 4},          {"path_symlink", 0, 3},         {"chdir", 0, -1},
  };
  for (const auto& p : kPaths)
    if (std::strcmp(p.name, name) == 0) return {p.a, p.b};
  return {-1, -1};
}

void AppendQuoted(std::string* out, const uint8_t* p, size_t n) {
  constexpr size_t kMax = 256;
  out->push_back('"');
  for (size_t i = 0; i < n && i < kMax; i++) {
    unsigned char ch = p[i];
    if (ch == '"' || ch == '\\') {
      out->push_back('\\');
      out->push_back(char(ch));
    } else if (ch >= 0x20 && ch < 0x7f) {
      out->push_back(char(ch));
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", ch);
      out->append(b);
    }
  }
  out->push_back('"');
  if (n > kMax) out->append("...");
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += size_t(n);
  }
}

void TraceLine(uint32_t id, Instance& inst, const uint64_t* args, const ArgKind* kinds, size_t n, ResultKind rk,
               int64_t result, uint64_t ns) {
  std::string line;
  line.reserve(160);
  char b[64];
  std::snprintf(b, sizeof b, "[p%u t%u] ", inst.proc ? inst.proc->id() : 0, inst.tid);
  line.append(b);
  line.append(g_names[id]);
  line.push_back('(');
  auto paths = g_path_args[id];
  for (size_t i = 0; i < n; i++) {
    if (i) line.append(", ");
    if ((int(i) == paths.first || int(i) == paths.second) && i + 1 < n) {
      uint32_t ptr = uint32_t(args[i]), len = uint32_t(args[i + 1]);
      if (inst.mem.InBounds(ptr, len)) {
        AppendQuoted(&line, inst.mem.At(ptr), len);
        std::snprintf(b, sizeof b, ", %u", len);
        line.append(b);
        i++;
        continue;
      }
    }
    switch (kinds[i]) {
      case ArgKind::kU32: std::snprintf(b, sizeof b, "%u", uint32_t(args[i])); break;
      case ArgKind::kU64: std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)args[i]); break;
      case ArgKind::kI64: std::snprintf(b, sizeof b, "%lld", (long long)int64_t(args[i])); break;
    }
    line.append(b);
  }
  line.append(") = ");
  switch (rk) {
    case ResultKind::kErrno: line.append(ErrnoName(Errno(result))); break;
    case ResultKind::kInt32:
      std::snprintf(b, sizeof b, "%d", int(result));
      line.append(b);
      break;
    case ResultKind::kNone: line.append("?"); break;
  }
  std::snprintf(b, sizeof b, " <%.3fus>\n", double(ns) / 1000.0);
  line.append(b);
  WriteAll(g_trace_fd, line);  // one write per line: lines of different threads never mix
}

void PrintReport(bool final_report) {
  auto rows = CollectImportStats();
  std::string table = FormatStatsTable(rows);
  if (!final_report) table = "wasmx: --stats (SIGUSR1)\n" + table;
  WriteAll(2, table);
  if (!g_cfg.stats_json.empty()) {
    std::string tmp = g_cfg.stats_json + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      WriteAll(fd, FormatStatsJson(rows));
      close(fd);
      rename(tmp.c_str(), g_cfg.stats_json.c_str());  // a reader never sees half a file
    }
  }
}

}  // namespace

uint64_t ObserveNowNs() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

std::string ConfigureObserver(const ObserverConfig& cfg) {
  const auto& defs = ImportRegistry();
  // The names: the registry's, then the JS-implemented imports (kept from an earlier configuration, so that
  // their ids stay what instances already use).
  std::vector<std::string> names;
  for (const auto& d : defs) names.push_back(d.name);
  for (size_t i = defs.size(); i < g_names.size(); i++) names.push_back(g_names[i]);
  for (const auto& js : cfg.js_imports)
    if (std::find(names.begin(), names.end(), js) == names.end()) names.push_back(js);
  if (names.size() > defs.size() + kMaxJsImports) return "configureObserver: too many JS imports";
  std::vector<uint8_t> traced(names.size(), cfg.trace_only.empty() ? 1 : 0);
  for (const auto& name : cfg.trace_only) {
    bool found = false;
    for (size_t i = 0; i < names.size(); i++)
      if (name == names[i]) traced[i] = 1, found = true;
    if (!found) return "WASMX_TRACE: no import named '" + name + "'";
  }
  int fd = 2;
  if (cfg.trace && !cfg.trace_file.empty()) {
    fd = open(cfg.trace_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return "--trace-file " + cfg.trace_file + ": " + std::strerror(errno);
  }
  g_cfg = cfg;
  g_trace_fd = fd;
  g_traced = std::move(traced);
  g_path_args.clear();
  for (const auto& n : names) g_path_args.push_back(PathArgsOf(n.c_str()));
  g_names = std::move(names);
  g_registry_size = defs.size();
  g_observe.store((cfg.stats ? observe::kStats : 0) | (cfg.trace ? observe::kTrace : 0));
  return "";
}

void ObserveCall(uint32_t id, Instance& inst, const uint64_t* args, const ArgKind* kinds, size_t n, ResultKind rk,
                 int64_t result, uint64_t ns) {
  uint32_t flags = g_observe.load(std::memory_order_relaxed);
  if (flags & observe::kStats) {
    Counter& c = MyCounters().c[id];  // id < g_names.size() <= the table's rows
    Bump(c.calls, 1);
    if (rk == ResultKind::kErrno ? result != 0 : rk == ResultKind::kInt32 ? result < 0 : false) Bump(c.errors, 1);
    Bump(c.ns, ns);
  }
  if ((flags & observe::kTrace) && id < g_traced.size() && g_traced[id]) TraceLine(id, inst, args, kinds, n, rk, result, ns);
}

void ObserveJsCall(uint32_t id, Instance& inst, const uint64_t* args, size_t n, bool returned, uint32_t result, uint64_t ns) {
  if (id < g_registry_size || id >= g_names.size()) return;
  static constexpr ArgKind kinds[8] = {ArgKind::kU32, ArgKind::kU32, ArgKind::kU32, ArgKind::kU32,
                                       ArgKind::kU32, ArgKind::kU32, ArgKind::kU32, ArgKind::kU32};
  ObserveCall(id, inst, args, kinds, std::min<size_t>(n, 8), returned ? ResultKind::kErrno : ResultKind::kNone, result, ns);
}

int32_t ObservedJsImportId(const std::string& name) {
  if (g_observe.load() == 0) return -1;
  for (size_t i = g_registry_size; i < g_names.size(); i++)
    if (g_names[i] == name) return int32_t(i);
  return -1;
}

std::vector<ImportStatsRow> CollectImportStats() {
  const auto& defs = ImportRegistry();
  std::vector<ImportStatsRow> rows(g_names.empty() ? defs.size() : g_names.size());
  {
    std::lock_guard<std::mutex> lock(g_tables_mu);
    for (const auto& t : g_tables)
      for (size_t i = 0; i < rows.size() && i < t->c.size(); i++) {
        rows[i].calls += t->c[i].calls.load(std::memory_order_relaxed);
        rows[i].errors += t->c[i].errors.load(std::memory_order_relaxed);
        rows[i].ns += t->c[i].ns.load(std::memory_order_relaxed);
      }
  }
  for (size_t i = 0; i < rows.size(); i++) rows[i].name = g_names.empty() ? defs[i].name : g_names[i];
  rows.erase(std::remove_if(rows.begin(), rows.end(), [](const ImportStatsRow& r) { return r.calls == 0; }), rows.end());
  std::stable_sort(rows.begin(), rows.end(), [](const ImportStatsRow& a, const ImportStatsRow& b) { return a.ns > b.ns; });
  return rows;
}

std::string FormatStatsTable(const std::vector<ImportStatsRow>& rows) {
  uint64_t total_ns = 0, total_calls = 0, total_errors = 0;
  for (const auto& r : rows) total_ns += r.ns, total_calls += r.calls, total_errors += r.errors;
  std::string out;
  char b[256];
  std::snprintf(b, sizeof b, "%6s %11s %11s %10s %9s %s\n", "% time", "seconds", "usecs/call", "calls", "errors", "import");
  out.append(b);
  out.append("------ ----------- ----------- ---------- --------- ----------------\n");
  auto row = [&](double pct, uint64_t ns, uint64_t calls, uint64_t errors, const std::string& name) {
    char e[32] = "";
    if (errors) std::snprintf(e, sizeof e, "%llu", (unsigned long long)errors);
    std::snprintf(b, sizeof b, "%6.2f %11.6f %11.3f %10llu %9s %s\n", pct, double(ns) / 1e9,
                  calls ? double(ns) / 1000.0 / double(calls) : 0.0, (unsigned long long)calls, e, name.c_str());
    out.append(b);
  };
  for (const auto& r : rows) row(total_ns ? 100.0 * double(r.ns) / double(total_ns) : 0.0, r.ns, r.calls, r.errors, r.name);
  out.append("------ ----------- ----------- ---------- --------- ----------------\n");
  row(100.0, total_ns, total_calls, total_errors, "total");
  return out;
}

std::string FormatStatsJson(const std::vector<ImportStatsRow>& rows) {
  std::string out = "{\"imports\":[";
  char b[256];
  uint64_t total_ns = 0, total_calls = 0, total_errors = 0;
  for (size_t i = 0; i < rows.size(); i++) {
    const auto& r = rows[i];
    total_ns += r.ns, total_calls += r.calls, total_errors += r.errors;
    std::snprintf(b, sizeof b, "%s{\"name\":\"%s\",\"calls\":%llu,\"errors\":%llu,\"totalNs\":%llu,\"meanNs\":%.1f}",
                  i ? "," : "", r.name.c_str(), (unsigned long long)r.calls, (unsigned long long)r.errors,
                  (unsigned long long)r.ns, r.calls ? double(r.ns) / double(r.calls) : 0.0);
    out.append(b);
  }
  std::snprintf(b, sizeof b, "],\"total\":{\"calls\":%llu,\"errors\":%llu,\"totalNs\":%llu}}\n",
                (unsigned long long)total_calls, (unsigned long long)total_errors, (unsigned long long)total_ns);
  out.append(b);
  return out;
}

bool ReportStatsOnSignal() {
  if (!(g_observe.load() & observe::kStats)) return false;
  PrintReport(false);
  return true;
}

void ReportStatsAtExit() {
  static std::atomic<bool> done{false};
  if (!(g_observe.load() & observe::kStats) || done.exchange(true)) return;
  PrintReport(true);
}

}  // namespace wasmx
