// Small shared pieces: names, the adapter factory, capability defaults.
#include "bench.h"

#include <sys/resource.h>

#include <cstdio>
#include <filesystem>

namespace bench {

// Includes the children this process has waited for (the multi-process
// lease workload's clients); the runner's own children are its parent's.
double ProcessCpuSeconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    struct rusage ru;
    ::getrusage(who, &ru);
    total += static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

uint64_t ProcessWriteBytes() {
  FILE* f = std::fopen("/proc/self/io", "r");
  if (!f) return 0;
  char line[128];
  unsigned long long v = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "write_bytes: %llu", &v) == 1) break;
  std::fclose(f);
  return v;
}

const char* DurabilityName(Durability d) {
  switch (d) {
    case Durability::kFull: return "full";
    case Durability::kLastCommitMayDrop: return "last-commit-may-drop";
    case Durability::kProcessCrashSafe: return "process-crash-safe";
  }
  return "?";
}

bool ParseDurability(const std::string& s, Durability* out) {
  for (Durability d : {Durability::kFull, Durability::kLastCommitMayDrop, Durability::kProcessCrashSafe}) {
    if (s == DurabilityName(d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

const char* SystemKey(SystemKind s) {
  switch (s) {
    case SystemKind::kAnnodb: return "annodb";
    case SystemKind::kSqlite: return "sqlite";
    case SystemKind::kLmdb: return "lmdb";
  }
  return "?";
}

std::unique_ptr<SystemAdapter> MakeAdapter(SystemKind kind, const Config& cfg) {
  switch (kind) {
    case SystemKind::kAnnodb: return MakeAnnodbAdapter(cfg);
    case SystemKind::kSqlite: return MakeSqliteAdapter(cfg);
    case SystemKind::kLmdb: return MakeLmdbAdapter(cfg);
  }
  return nullptr;
}

uint64_t SystemAdapter::DiskBytes(const std::string& dir) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

uint64_t SystemAdapter::ImportJsonl(const std::string&, const std::string&) { throw Unsupported("import"); }
uint64_t SystemAdapter::ReadById(const ReadKeys&) { throw Unsupported("read by id"); }
uint64_t SystemAdapter::ReadByExternalId(const ReadKeys&) { throw Unsupported("read by external id"); }
void SystemAdapter::ResolveDataset(ReadKeys*) { throw Unsupported("datasets"); }
uint64_t SystemAdapter::SingleCommits(const WriteRows&, int, const std::string&) { throw Unsupported("single commits"); }
void SystemAdapter::PrepareQueue() { throw Unsupported("queue"); }
uint64_t SystemAdapter::LeaseSubmit(int, uint64_t, bool, uint64_t*) { throw Unsupported("queue"); }
uint64_t SystemAdapter::PutLabels(const std::string&, bool) { throw Unsupported("labels"); }
bool SystemAdapter::HasProject(const std::string&) { throw Unsupported("labels"); }
uint64_t SystemAdapter::ExportLabels(const std::string&, const std::string&) { throw Unsupported("export"); }
uint64_t SystemAdapter::Alpha(const std::string&, double*) { throw Unsupported("statistics"); }

}  // namespace bench
