#include "report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace bench {
namespace {

std::string ReadFirstLine(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// "1,234,567"
std::string Grouped(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  std::string s = buf, out;
  int n = 0;
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    if (n && n % 3 == 0 && *it != '-') out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++n;
  }
  return out;
}

std::string Mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return buf;
}

// The reference result of a system for the ratios: its contender with the
// default (empty) variant, else its first one.
const Result* Find(const std::vector<Result>& rs, const std::string& workload, SystemKind s) {
  const Result* any = nullptr;
  for (const Result& r : rs) {
    if (r.workload != workload || r.system != s || !r.ok()) continue;
    if (r.variant.empty()) return &r;
    if (!any) any = &r;
  }
  return any;
}

double Ratio(const Result& a, const Result* b) {
  return b && b->MedianRate() > 0 ? a.MedianRate() / b->MedianRate() : 0;
}

// Bytes written to storage per run, "-" when (almost) nothing.
std::string Written(const Result& r) {
  uint64_t b = r.MedianWriteBytes();
  return b < (uint64_t{1} << 20) ? "-" : Mib(static_cast<double>(b));
}

double CpuRatio(const Result& a, const Result* b) {
  return b && b->MedianCpuRate() > 0 ? a.MedianCpuRate() / b->MedianCpuRate() : 0;
}

// "0.87x | 0.95x"
std::string RatioPair(const Result& a, const Result* b, const char* sep = " | ") {
  if (!b) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2fx%s%.2fx", Ratio(a, b), sep, CpuRatio(a, b));
  return buf;
}

// "annodb (C++ API) >= 1.5x SQLite peer: MISSED (0.87x wall clock, 0.95x per CPU-second)"
std::string Verdict(const Result& a, const Result& b, double target) {
  double wall = Ratio(a, &b), cpu = CpuRatio(a, &b);
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s >= %.1fx %s: %s (%.2fx wall clock, %.2fx per CPU-second)", a.label.c_str(),
                target, b.label.c_str(), wall >= target ? "met" : (cpu >= target ? "met per CPU-second only" : "MISSED"),
                wall, cpu);
  return buf;
}

}  // namespace

std::string LoadAverage() { return ReadFirstLine("/proc/loadavg"); }

MachineInfo ReadMachineInfo() {
  MachineInfo m;
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  m.cpus = n > 0 ? static_cast<unsigned>(n) : 0;
  std::ifstream cpu("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      if (p != std::string::npos) m.cpu_model = line.substr(p + 2);
      break;
    }
  }
  struct utsname u;
  if (::uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release;
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) m.mem_bytes = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
  m.load_before = LoadAverage();
  return m;
}

void PrintReport(const Config& cfg, const MachineInfo& m, const std::vector<Workload>& workloads,
                 const std::vector<Result>& results) {
  std::printf("annodb_bench: %llu rows, %d repeats (median reported), seed %llu, %s external ids\n",
              static_cast<unsigned long long>(cfg.rows), cfg.repeat, static_cast<unsigned long long>(cfg.seed),
              cfg.sequential_ids ? "sequential" : "uuid-like (random order)");
  std::printf("machine: %u CPUs, %s, %s, %s RAM; load average before: %s, after: %s\n", m.cpus, m.cpu_model.c_str(),
              m.kernel.c_str(), Mib(static_cast<double>(m.mem_bytes)).c_str(), m.load_before.c_str(),
              m.load_after.c_str());
  std::printf("input: %s of JSON Lines (%.0f bytes/row), generated in %.2f s\n",
              Mib(static_cast<double>(m.jsonl_bytes)).c_str(),
              cfg.rows ? static_cast<double>(m.jsonl_bytes) / static_cast<double>(cfg.rows) : 0.0,
              m.generate_seconds);
  std::printf("peak RSS: ru_maxrss of the child process that ran the row (reset at its start)%s\n",
              cfg.fork ? "" : " -- --no-fork: process-wide, cumulative");

  std::map<SystemKind, std::string> settings;
  for (const Workload& w : workloads) {
    bool any = false;
    for (const Result& r : results) any |= r.workload == w.id;
    if (!any) continue;
    std::printf("\n== %s ==\n", w.title.c_str());
    std::printf("%-21s %13s %11s %11s %13s %10s %10s %10s  %-17s %-17s\n", "system", ("median " + w.unit).c_str(),
                "min", "max", "per CPU-second", "peak RSS", "on disk", "written", "vs SQLite", "vs raw LMDB");
    std::printf("%-21s %13s %11s %11s %13s %10s %10s %10s  %-17s %-17s\n", "", "(wall clock)", "", "", "", "", "",
                "(per run)", "(wall | CPU)", "(wall | CPU)");
    const Result* sqlite = Find(results, w.id, SystemKind::kSqlite);
    const Result* lmdb = Find(results, w.id, SystemKind::kLmdb);
    uint64_t check = 0;
    bool check_mismatch = false;
    std::vector<std::string> verdicts;
    for (const Result& r : results) {
      if (r.workload != w.id) continue;
      if (!r.ok()) {
        std::printf("%-21s %s\n", r.label.c_str(), r.error.c_str());
        continue;
      }
      if (!r.settings.empty()) settings[r.system] = r.settings;
      if (r.check) {
        if (check && check != r.check) check_mismatch = true;
        check = r.check;
      }
      std::string vs_sqlite, vs_lmdb;
      if (r.system == SystemKind::kAnnodb) {
        vs_sqlite = RatioPair(r, sqlite);
        vs_lmdb = RatioPair(r, lmdb);
        if (w.target_vs_sqlite > 0 && sqlite) verdicts.push_back(Verdict(r, *sqlite, w.target_vs_sqlite));
        if (w.target_vs_lmdb > 0 && lmdb) verdicts.push_back(Verdict(r, *lmdb, w.target_vs_lmdb));
      }
      std::printf("%-21s %13s %11s %11s %13s %10s %10s %10s  %-17s %-17s\n", r.label.c_str(),
                  Grouped(r.MedianRate()).c_str(), Grouped(r.MinRate()).c_str(), Grouped(r.MaxRate()).c_str(),
                  Grouped(r.MedianCpuRate()).c_str(), Mib(static_cast<double>(r.peak_rss_kb) * 1024).c_str(),
                  r.disk_bytes ? Mib(static_cast<double>(r.disk_bytes)).c_str() : "-", Written(r).c_str(),
                  vs_sqlite.c_str(), vs_lmdb.c_str());
    }
    for (const Result& r : results)
      if (r.workload == w.id && r.ok() && !r.note.empty()) std::printf("  note: %s: %s\n", r.label.c_str(), r.note.c_str());
    for (const std::string& v : verdicts) std::printf("  target: %s\n", v.c_str());
    if (check_mismatch) std::printf("WARNING: the systems read different data (checksums differ)\n");
  }
  std::printf("\nsettings:\n");
  for (const auto& [k, s] : settings) std::printf("  %-7s %s\n", SystemKey(k), s.c_str());
  std::printf(
      "durability mapping: full = annodb kFull / LMDB flags 0 / SQLite WAL synchronous=FULL; "
      "last-commit-may-drop = kLastCommitMayDrop / MDB_NOMETASYNC / WAL FULL; "
      "process-crash-safe = kProcessCrashSafe / MDB_NOSYNC / WAL NORMAL\n");
}

void WriteMarkdown(const std::string& path, const Config& cfg, const MachineInfo& m,
                   const std::vector<Workload>& workloads, const std::vector<Result>& results) {
  std::ostringstream o;
  o << "Run: " << cfg.rows << " rows, " << cfg.repeat << " repeats (median), durability "
    << DurabilityName(cfg.durability) << ", " << m.cpus << " CPUs (" << m.cpu_model << "), load average before: "
    << m.load_before << "; after: " << m.load_after << ".\n";
  for (const Workload& w : workloads) {
    bool any = false;
    for (const Result& r : results) any |= r.workload == w.id;
    if (!any) continue;
    const Result* sqlite = Find(results, w.id, SystemKind::kSqlite);
    const Result* lmdb = Find(results, w.id, SystemKind::kLmdb);
    o << "\n**" << w.title << "**\n\n";
    o << "| system | median " << w.unit << " | min | max | " << w.unit
      << " per CPU-second | peak RSS | on disk | written per run | annodb / SQLite (wall, CPU) | annodb / raw LMDB (wall, "
         "CPU) |\n";
    o << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const Result& r : results) {
      if (r.workload != w.id) continue;
      if (!r.ok()) {
        o << "| " << r.label << " | " << r.error << " | | | | | | | | |\n";
        continue;
      }
      std::string vs_sqlite, vs_lmdb;
      if (r.system == SystemKind::kAnnodb) {
        vs_sqlite = RatioPair(r, sqlite, ", ");
        vs_lmdb = RatioPair(r, lmdb, ", ");
      }
      o << "| " << r.label << " | " << Grouped(r.MedianRate()) << " | " << Grouped(r.MinRate()) << " | "
        << Grouped(r.MaxRate()) << " | " << Grouped(r.MedianCpuRate()) << " | "
        << Mib(static_cast<double>(r.peak_rss_kb) * 1024) << " | "
        << (r.disk_bytes ? Mib(static_cast<double>(r.disk_bytes)) : "-") << " | " << Written(r) << " | " << vs_sqlite
        << " | " << vs_lmdb << " |\n";
    }
    for (const Result& r : results)
      if (r.workload == w.id && r.ok() && !r.note.empty()) o << "\n" << r.label << ": " << r.note << "\n";
  }
  std::string text = o.str();
  if (path == "-") {
    std::cout << text;
  } else {
    std::ofstream f(path);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + path);
  }
}

void WriteJson(const std::string& path, const Config& cfg, const MachineInfo& m,
               const std::vector<Workload>& workloads, const std::vector<Result>& results) {
  using nlohmann::json;
  json doc;
  doc["machine"] = {{"cpus", m.cpus},           {"cpu_model", m.cpu_model},     {"kernel", m.kernel},
                    {"mem_bytes", m.mem_bytes}, {"load_before", m.load_before}, {"load_after", m.load_after}};
  doc["config"] = {{"rows", cfg.rows},
                   {"reads", cfg.reads ? cfg.reads : cfg.rows},
                   {"repeat", cfg.repeat},
                   {"batch", cfg.batch},
                   {"read_batch", cfg.read_batch},
                   {"seed", cfg.seed},
                   {"durability", DurabilityName(cfg.durability)},
                   {"sequential_ids", cfg.sequential_ids},
                   {"sqlite_exclusive", cfg.sqlite_exclusive},
                   {"jsonl_bytes", m.jsonl_bytes}};
  doc["workloads"] = json::array();
  for (const Workload& w : workloads) {
    json jw = {{"id", w.id}, {"title", w.title}, {"unit", w.unit}, {"results", json::array()}};
    if (w.target_vs_sqlite > 0) jw["target_vs_sqlite"] = w.target_vs_sqlite;
    if (w.target_vs_lmdb > 0) jw["target_vs_lmdb"] = w.target_vs_lmdb;
    const Result* sqlite = Find(results, w.id, SystemKind::kSqlite);
    const Result* lmdb = Find(results, w.id, SystemKind::kLmdb);
    bool any = false;
    for (const Result& r : results) {
      if (r.workload != w.id) continue;
      any = true;
      json jr = {{"label", r.label},        {"system", SystemKey(r.system)}, {"variant", r.variant},
                 {"settings", r.settings},  {"peak_rss_kb", r.peak_rss_kb},  {"disk_bytes", r.disk_bytes},
                 {"error", r.error}};
      if (r.ok()) {
        jr["median"] = r.MedianRate();
        jr["min"] = r.MinRate();
        jr["max"] = r.MaxRate();
        jr["median_per_cpu_second"] = r.MedianCpuRate();
        jr["median_write_bytes"] = r.MedianWriteBytes();
        if (!r.note.empty()) jr["note"] = r.note;
        jr["samples"] = json::array();
        for (const Sample& s : r.samples)
          jr["samples"].push_back(
              {{"ops", s.ops}, {"seconds", s.seconds}, {"cpu_seconds", s.cpu_seconds}, {"write_bytes", s.write_bytes}});
        if (r.system == SystemKind::kAnnodb) {
          if (double x = Ratio(r, sqlite); x > 0) jr["vs_sqlite"] = x;
          if (double x = Ratio(r, lmdb); x > 0) jr["vs_lmdb"] = x;
          if (double x = CpuRatio(r, sqlite); x > 0) jr["vs_sqlite_cpu"] = x;
          if (double x = CpuRatio(r, lmdb); x > 0) jr["vs_lmdb_cpu"] = x;
        }
      }
      jw["results"].push_back(jr);
    }
    if (any) doc["workloads"].push_back(jw);
  }
  std::string text = doc.dump(2) + "\n";
  if (path == "-") {
    std::cout << text;
  } else {
    std::ofstream f(path);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace bench
