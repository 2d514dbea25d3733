// Runs every (workload, contender) pair, each in a forked child process (so
// peak RSS is per pair), and collects the samples.
#pragma once

#include <string>
#include <vector>

#include "bench.h"
#include "workloads.h"

namespace bench {

struct Result {
  std::string workload;  // Workload::id
  std::string label;     // Contender::label
  SystemKind system = SystemKind::kAnnodb;
  std::string variant;
  std::string settings;  // SystemAdapter::Settings()
  std::vector<Sample> samples;
  long peak_rss_kb = 0;     // getrusage ru_maxrss of the child that ran it
  uint64_t disk_bytes = 0;  // store size on disk after the run
  uint64_t check = 0;       // checksum of what was read
  std::string error;        // non-empty: the run failed (or "n/a": unsupported)
  std::string note;         // Context::note after the last run

  bool ok() const { return error.empty() && !samples.empty(); }
  double MedianRate() const;     // ops per wall-clock second
  double MedianCpuRate() const;  // ops per CPU second
  uint64_t MedianWriteBytes() const;  // bytes written to storage per run
  double MinRate() const;
  double MaxRate() const;
};

// The store directory of a system under cfg.dir.
std::string StoreDir(const Config& cfg, SystemKind system);

std::vector<Result> RunAll(const Config& cfg, const std::vector<Workload>& workloads);

}  // namespace bench
