// The results as text tables (stdout) and as one JSON document (--json).
#pragma once

#include <string>
#include <vector>

#include "bench.h"
#include "runner.h"
#include "workloads.h"

namespace bench {

// Facts about the machine and the run, for the report and the JSON.
struct MachineInfo {
  unsigned cpus = 0;
  std::string cpu_model;
  std::string kernel;
  uint64_t mem_bytes = 0;
  std::string load_before, load_after;  // /proc/loadavg at start and end (noise)
  uint64_t jsonl_bytes = 0;
  double generate_seconds = 0;
};
MachineInfo ReadMachineInfo();
std::string LoadAverage();

void PrintReport(const Config& cfg, const MachineInfo& m, const std::vector<Workload>& workloads,
                 const std::vector<Result>& results);
// Writes the JSON document to `path` ("-" = stdout).
void WriteJson(const std::string& path, const Config& cfg, const MachineInfo& m,
               const std::vector<Workload>& workloads, const std::vector<Result>& results);

// Writes the tables as Markdown (for docs/PERFORMANCE.md) to `path` ("-" = stdout).
void WriteMarkdown(const std::string& path, const Config& cfg, const MachineInfo& m,
                   const std::vector<Workload>& workloads, const std::vector<Result>& results);

}  // namespace bench
