// The benchmark's workloads: what each one runs on each system and what the
// report compares it against (the targets of issue 6).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench.h"

namespace bench {

// One column of a workload's table: a system, optionally through a variant of
// its interface (annodb "api" = the C++ API, "import" = ImportJsonl).
struct Contender {
  std::string label;  // "annodb (C++ API)"
  SystemKind system;
  std::string variant;
};

// State one child process keeps between a workload's prepare and its runs.
struct Context {
  ReadKeys keys;
  WriteRows writes;    // the single-commit workload's rows
  uint64_t check = 0;  // checksum of what was read (equal across systems)
  int round = 0;       // timed runs done so far in this child
  // Set by a run that times itself (excluding its set-up, e.g. the
  // multi-process lease run's forks and opens): used instead of the
  // runner's wall clock for that run when > 0.
  double seconds = 0;
  std::string note;    // shown under the table (e.g. SQLite busy retries)
};

struct Workload {
  std::string id;     // "import", "read_by_id", ...: for --workloads and JSON
  std::string title;  // one line for the report
  std::string unit;   // "rows/s", "reads/s"
  // true: every repeat starts from an empty store and the timing includes
  // opening and closing it. false: the workload runs on the store the
  // system's import left (loaded once, untimed when the import did not run).
  bool fresh_store = false;
  // true: the store it leaves is the one the read workloads use (import).
  bool loads_store = false;
  // When set, every system runs this workload at this durability level
  // instead of --durability (the lease workloads measure each level).
  std::optional<Durability> durability;
  std::vector<Contender> contenders;
  // Untimed set-up, once per child: with the store open, or for fresh_store
  // workloads before the first run with no store open.
  std::function<void(SystemAdapter&, const Config&, Context&)> prepare;
  // One timed run; returns the number of operations done.
  std::function<uint64_t(SystemAdapter&, const Config&, Context&, const Contender&)> run;
  // Targets (0 = none): annodb's rate over the SQLite peer's / raw LMDB's.
  double target_vs_sqlite = 0;
  double target_vs_lmdb = 0;
};

std::vector<Workload> AllWorkloads(const Config& cfg);

// The contender whose store the read workloads of `system` use when the
// import workload did not run.
Contender LoaderFor(SystemKind system);

}  // namespace bench
