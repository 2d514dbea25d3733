// annodb_bench: shared types of the benchmark program.
//
// The program runs workloads (bulk import, point reads, ...) on several
// systems (annodb, a SQLite peer, raw LMDB) over the same generated data, each
// (workload, contender) pair in its own forked child so that peak memory is
// measured per pair and one system's heap or page mappings never skew another.
//
// Adding a workload: add a capability to SystemAdapter (a virtual method with
// a default that throws Unsupported), implement it in the adapters that can
// run it, and register a Workload in workloads.cpp. The runner, the report and
// the JSON output need no change.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "annodb/assets.h"

namespace bench {

// Matched durability levels (docs/PERFORMANCE.md, "Method"):
//   kFull            annodb Durability::kFull,             LMDB flags 0,              SQLite WAL synchronous=FULL
//   kLastCommitMayDrop annodb Durability::kLastCommitMayDrop, LMDB MDB_NOMETASYNC,   SQLite WAL synchronous=FULL
//   kProcessCrashSafe  annodb Durability::kProcessCrashSafe,  LMDB MDB_NOSYNC,       SQLite WAL synchronous=NORMAL
// (SQLite in WAL mode has no level between FULL and NORMAL: FULL fsyncs the WAL
// at every commit, NORMAL only at checkpoints. It is a process-crash-safe
// level in WAL mode, like MDB_NOSYNC.)
enum class Durability { kFull, kLastCommitMayDrop, kProcessCrashSafe };
const char* DurabilityName(Durability d);
bool ParseDurability(const std::string& s, Durability* out);

enum class SystemKind { kAnnodb, kSqlite, kLmdb };
const char* SystemKey(SystemKind s);  // "annodb", "sqlite", "lmdb": directory and JSON key

// Everything the command line sets.
struct Config {
  uint64_t rows = 100000;        // assets generated and imported
  uint64_t reads = 0;            // point reads per timed pass (0 = rows)
  int repeat = 3;                // timed repeats per (workload, contender); the median is reported
  uint64_t batch = 20000;        // rows per write transaction in bulk import
  uint64_t read_batch = 1000;    // point reads per read transaction
  int threads = 32;              // writer threads in the single-commit workload
  uint64_t commits_per_thread = 8;   // commits each of them makes (--full: 50)
  uint64_t labels = 0;           // labels written/exported/counted by the label workloads (0 = rows)
  uint64_t label_batch = 1000;   // labels per write transaction in the label workloads
  uint64_t lease_cycles = 24;    // lease+submit cycles per run at the fsyncing levels (--full: 200)
  uint64_t lease_cycles_nosync = 2000;  // ... at process-crash-safe (--full: 20000)
  uint64_t seed = 42;
  Durability durability = Durability::kFull;
  bool sequential_ids = false;   // external ids in ascending order instead of uuid-like
  bool fork = true;              // run each (workload, contender) in a child process
  bool sqlite_exclusive = false; // SQLite locking_mode=EXCLUSIVE (single process only)
  uint64_t annodb_map_mib = 0;   // annodb StoreOptions::initial_map_bytes in MiB (0 = the engine's default)
  int sqlite_page_size = 16384;  // measured best of 4096 and 16384 for these workloads
  std::vector<std::string> sqlite_pragmas;  // extra "name=value" pragmas, run after the defaults
  std::string dir;               // working directory (removed at exit when we created it)
  std::string jsonl;             // the generated JSON Lines file (under dir)
  std::vector<std::string> only_systems;    // empty = all
  std::vector<std::string> only_workloads;  // empty = all
  bool verbose = false;
};

// Thrown by an adapter for a capability it lacks (the report shows "n/a").
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Monotonic stopwatch.
class Timer {
 public:
  Timer() : start_(std::chrono::steady_clock::now()) {}
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// One timed run: `ops` operations in `seconds` of wall-clock time, using
// `cpu_seconds` of CPU (user + system, all threads of the process). On a busy
// machine the CPU rate is the steadier figure for CPU-bound work; it leaves
// out time spent waiting for the disk (fsync), so it flatters durable writes.
struct Sample {
  uint64_t ops = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t write_bytes = 0;  // bytes the process caused to be written to storage (/proc/self/io)
  double rate() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
  double cpu_rate() const { return cpu_seconds > 0 ? static_cast<double>(ops) / cpu_seconds : 0; }
};

// CPU seconds (user + system) used by this process so far.
double ProcessCpuSeconds();
// Bytes this process has caused to be written to storage so far (write_bytes
// of /proc/self/io; 0 where unavailable).
uint64_t ProcessWriteBytes();

// The inputs a read workload needs, in the order they are read (shared by all
// systems so each reads the same keys in the same order).
struct ReadKeys {
  uint64_t dataset_id = 0;                  // filled by the adapter at open
  std::vector<uint64_t> ids;                // record ids (1..rows, import order)
  std::vector<std::string> external_ids;    // external ids
};

// The rows the single-commit workload writes, parsed before the timed runs:
// typed for annodb and raw LMDB, the metadata's JSON text for SQLite.
struct WriteRows {
  std::vector<annodb::AssetInput> rows;
  std::vector<std::string> metadata_json;
};

// A system under test. One object lives in one child process; Open/Close
// bracket each use of the on-disk store in `dir`.
class SystemAdapter {
 public:
  virtual ~SystemAdapter() = default;
  virtual SystemKind kind() const = 0;
  // The settings this system runs with, for the report ("WAL, synchronous=FULL, ...").
  virtual std::string Settings() const = 0;
  // Opens (creating when `create`) the store in `dir`.
  virtual void Open(const std::string& dir, bool create) = 0;
  virtual void Close() = 0;
  // Bytes the store occupies on disk (after Close).
  virtual uint64_t DiskBytes(const std::string& dir) const;

  // ---- capabilities (one per workload family) ----
  // Bulk import of the JSON Lines file at `path` into dataset "bench"
  // (created first), `variant` selects the annodb path ("api" or "import").
  // Returns the number of rows imported.
  virtual uint64_t ImportJsonl(const std::string& path, const std::string& variant);
  // Point reads. Each returns a checksum of the fields read (so nothing is
  // optimised away); the count of reads is keys.size().
  virtual uint64_t ReadById(const ReadKeys& keys);
  virtual uint64_t ReadByExternalId(const ReadKeys& keys);
  // Fills keys.dataset_id for the store that is open.
  virtual void ResolveDataset(ReadKeys* keys);
  // `threads` threads at once, thread t writing rows [t*n, (t+1)*n) of
  // rows.rows (n = size / threads), each row in its own durable write
  // transaction (one commit per row). Returns the number of commits.
  virtual uint64_t SingleCommits(const WriteRows& rows, int threads, const std::string& variant);

  // ---- labelling: queue, labels, export, statistics (labelgen.h) ----
  // Makes sure the queue project "bench_queue" exists over dataset "bench",
  // with kQueueMembers members and one task per asset (overlap 1, priority =
  // asset id mod 10), creating what is missing; else just looks it up (each
  // process of a multi-process run calls it after opening). Untimed.
  virtual void PrepareQueue();
  // One client: `cycles` times, lease 1 task as member `client` (one
  // transaction) and submit a label of 1-5 annotations for it (a second
  // transaction); `grouped`: through annodb's group commit. Called from
  // several threads at once. Returns the cycles done; adds lock retries
  // (SQLite busy-handler calls) to *busy_retries.
  virtual uint64_t LeaseSubmit(int client, uint64_t cycles, bool grouped, uint64_t* busy_retries);
  // Creates project `project` over dataset "bench" and writes cfg.labels
  // labels, 3 per asset (members 0..2), label_batch per write transaction;
  // `counted` false writes them as drafts (which no consensus view counts).
  // Returns the labels written.
  virtual uint64_t PutLabels(const std::string& project, bool counted);
  virtual bool HasProject(const std::string& project);
  // NDJSON export of the project's assets and labels to `path`; returns the
  // labels exported.
  virtual uint64_t ExportLabels(const std::string& project, const std::string& path);
  // Krippendorff's alpha (nominal) of feature "category" over the project's
  // counted labels; returns the labels that entered it.
  virtual uint64_t Alpha(const std::string& project, double* alpha);
};

std::unique_ptr<SystemAdapter> MakeAnnodbAdapter(const Config& cfg);
std::unique_ptr<SystemAdapter> MakeSqliteAdapter(const Config& cfg);
std::unique_ptr<SystemAdapter> MakeLmdbAdapter(const Config& cfg);
std::unique_ptr<SystemAdapter> MakeAdapter(SystemKind kind, const Config& cfg);

// True when this build has annodb's bulk importer (annodb/asset_import.h).
bool AnnodbHasImporter();

// The dataset every workload writes to.
inline constexpr const char* kDatasetName = "bench";

}  // namespace bench
