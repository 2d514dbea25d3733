#include "runner.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace bench {
namespace fs = std::filesystem;

namespace {

std::vector<double> Rates(const std::vector<Sample>& s, bool cpu = false) {
  std::vector<double> r;
  for (const Sample& x : s) r.push_back(cpu ? x.cpu_rate() : x.rate());
  std::sort(r.begin(), r.end());
  return r;
}

double Median(const std::vector<double>& r) {
  if (r.empty()) return 0;
  size_t n = r.size();
  return n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}

// Resets the process's peak RSS to its current RSS (Linux >= 4.0), so that a
// child's ru_maxrss measures only what it did after this point.
void ResetPeakRss() {
  int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = ::write(fd, "5", 1);
    (void)n;
    ::close(fd);
  }
}

long PeakRssKb() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

bool Selected(const std::vector<std::string>& only, const std::string& key) {
  return only.empty() || std::find(only.begin(), only.end(), key) != only.end();
}

// Runs one (workload, contender) pair in this process.
Result RunHere(const Config& base, const Workload& w, const Contender& c) {
  Config cfg = base;
  if (w.durability) cfg.durability = *w.durability;
  Result r;
  r.workload = w.id;
  r.label = c.label;
  r.system = c.system;
  r.variant = c.variant;
  std::string dir = StoreDir(cfg, c.system);
  try {
    std::unique_ptr<SystemAdapter> a = MakeAdapter(c.system, cfg);
    r.settings = a->Settings();
    Context ctx;
    if (w.fresh_store) {
      if (w.prepare) w.prepare(*a, cfg, ctx);
      for (int i = 0; i < cfg.repeat; ++i) {
        fs::remove_all(dir);
        double cpu = ProcessCpuSeconds();
        uint64_t written = ProcessWriteBytes();
        Timer t;
        a->Open(dir, true);
        ctx.seconds = 0;
        uint64_t ops = w.run(*a, cfg, ctx, c);
        a->Close();
        ++ctx.round;
        r.samples.push_back({ops, ctx.seconds > 0 ? ctx.seconds : t.Seconds(), ProcessCpuSeconds() - cpu,
                             ProcessWriteBytes() - written});
        if (cfg.verbose) std::fprintf(stderr, "  %s / %s: run %d: %.0f %s\n", w.id.c_str(), c.label.c_str(), i + 1,
                                      r.samples.back().rate(), w.unit.c_str());
      }
    } else {
      a->Open(dir, false);
      if (w.prepare) w.prepare(*a, cfg, ctx);
      for (int i = 0; i < cfg.repeat; ++i) {
        double cpu = ProcessCpuSeconds();
        uint64_t written = ProcessWriteBytes();
        Timer t;
        ctx.seconds = 0;
        uint64_t ops = w.run(*a, cfg, ctx, c);
        ++ctx.round;
        r.samples.push_back({ops, ctx.seconds > 0 ? ctx.seconds : t.Seconds(), ProcessCpuSeconds() - cpu,
                             ProcessWriteBytes() - written});
        if (cfg.verbose) std::fprintf(stderr, "  %s / %s: run %d: %.0f %s\n", w.id.c_str(), c.label.c_str(), i + 1,
                                      r.samples.back().rate(), w.unit.c_str());
      }
      a->Close();
    }
    r.check = ctx.check;
    r.note = ctx.note;
    r.disk_bytes = a->DiskBytes(dir);
  } catch (const Unsupported& e) {
    r.error = std::string("n/a: ") + e.what();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  r.peak_rss_kb = PeakRssKb();
  return r;
}

nlohmann::json ToJson(const Result& r) {
  nlohmann::json j;
  j["settings"] = r.settings;
  j["rss"] = r.peak_rss_kb;
  j["disk"] = r.disk_bytes;
  j["check"] = r.check;
  j["error"] = r.error;
  j["note"] = r.note;
  j["samples"] = nlohmann::json::array();
  for (const Sample& s : r.samples) j["samples"].push_back({s.ops, s.seconds, s.cpu_seconds, s.write_bytes});
  return j;
}

void FromJson(const nlohmann::json& j, Result* r) {
  r->settings = j.at("settings").get<std::string>();
  r->peak_rss_kb = j.at("rss").get<long>();
  r->disk_bytes = j.at("disk").get<uint64_t>();
  r->check = j.at("check").get<uint64_t>();
  r->error = j.at("error").get<std::string>();
  r->note = j.value("note", "");
  for (const auto& s : j.at("samples"))
    r->samples.push_back(
        {s.at(0).get<uint64_t>(), s.at(1).get<double>(), s.at(2).get<double>(), s.at(3).get<uint64_t>()});
}

// Runs one pair in a forked child and reads its result back through a pipe.
// The parent opens no store, so forking is safe for LMDB and SQLite.
Result RunInChild(const Config& cfg, const Workload& w, const Contender& c) {
  int p[2];
  if (::pipe(p) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(p[0]);
    ResetPeakRss();
    Result r = RunHere(cfg, w, c);
    std::string out = ToJson(r).dump();
    const char* d = out.data();
    size_t left = out.size();
    while (left > 0) {
      ssize_t n = ::write(p[1], d, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      d += n;
      left -= static_cast<size_t>(n);
    }
    ::close(p[1]);
    std::fflush(nullptr);
    ::_exit(0);
  }
  ::close(p[1]);
  std::string in;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(p[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  Result r;
  r.workload = w.id;
  r.label = c.label;
  r.system = c.system;
  r.variant = c.variant;
  try {
    FromJson(nlohmann::json::parse(in), &r);
  } catch (const std::exception&) {
    r.error = "the child process failed (status " + std::to_string(status) + ")";
  }
  return r;
}

Result RunOne(const Config& cfg, const Workload& w, const Contender& c) {
  return cfg.fork ? RunInChild(cfg, w, c) : RunHere(cfg, w, c);
}

}  // namespace

double Result::MedianRate() const { return Median(Rates(samples)); }
double Result::MedianCpuRate() const { return Median(Rates(samples, true)); }
uint64_t Result::MedianWriteBytes() const {
  std::vector<uint64_t> w;
  for (const Sample& s : samples) w.push_back(s.write_bytes);
  std::sort(w.begin(), w.end());
  return w.empty() ? 0 : w[w.size() / 2];
}
double Result::MinRate() const {
  std::vector<double> r = Rates(samples);
  return r.empty() ? 0 : r.front();
}
double Result::MaxRate() const {
  std::vector<double> r = Rates(samples);
  return r.empty() ? 0 : r.back();
}

std::string StoreDir(const Config& cfg, SystemKind system) { return cfg.dir + "/" + SystemKey(system); }

std::vector<Result> RunAll(const Config& cfg, const std::vector<Workload>& workloads) {
  std::vector<Result> results;
  std::map<SystemKind, bool> loaded;
  for (const Workload& w : workloads) {
    if (!Selected(cfg.only_workloads, w.id)) continue;
    for (const Contender& c : w.contenders) {
      if (!Selected(cfg.only_systems, SystemKey(c.system))) continue;
      if (!w.fresh_store && !loaded[c.system]) {
        // (A fresh-store workload that does not load, like the single
        // commits, leaves a small store: reload after it.)
        // The read workloads need the system's store: load it once, untimed.
        Config once = cfg;
        once.repeat = 1;
        auto it = std::find_if(workloads.begin(), workloads.end(), [](const Workload& x) { return x.id == "import"; });
        if (it == workloads.end()) throw std::runtime_error("no import workload to load the stores with");
        const Workload& import = *it;
        if (cfg.verbose) std::fprintf(stderr, "loading %s for %s\n", SystemKey(c.system), w.id.c_str());
        Result lr = RunOne(once, import, LoaderFor(c.system));
        if (!lr.ok()) {
          Result r;
          r.workload = w.id;
          r.label = c.label;
          r.system = c.system;
          r.error = "loading the store failed: " + lr.error;
          results.push_back(r);
          continue;
        }
        loaded[c.system] = true;
      }
      if (cfg.verbose) std::fprintf(stderr, "running %s on %s\n", w.id.c_str(), c.label.c_str());
      Result r = RunOne(cfg, w, c);
      if (!r.error.empty()) std::fprintf(stderr, "%s / %s: %s\n", w.id.c_str(), c.label.c_str(), r.error.c_str());
      if (w.loads_store && r.ok()) loaded[c.system] = true;
      // A fresh-store workload that does not load (the single commits)
      // leaves a small store: the next read workload reloads it.
      if (w.fresh_store && !w.loads_store) loaded[c.system] = false;
      results.push_back(std::move(r));
    }
  }
  return results;
}

}  // namespace bench
