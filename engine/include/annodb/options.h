// Settings of a store and the identity of whoever writes to it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace annodb {

// How far a committed write is guaranteed to survive. The guarantees are
// LMDB's own (see docs/ARCHITECTURE.md, "Durability"):
enum class Durability : int {
  // Every commit is on stable storage when Commit returns (data and meta
  // page fsynced). A power loss loses nothing that was committed.
  kFull = 0,
  // MDB_NOMETASYNC: data pages are fsynced at commit, the meta page is
  // flushed with the next commit or sync. A system crash or power loss may
  // undo the last commit; it never corrupts the store. A process crash loses
  // nothing.
  kLastCommitMayDrop = 1,
  // MDB_NOSYNC plus a background mdb_env_sync every flush_interval_ms (and on
  // close). A process crash loses nothing (the OS holds the written pages). A
  // system crash or power loss may undo commits made since the last flush;
  // because annodb never uses MDB_WRITEMAP, LMDB keeps the store consistent
  // if the filesystem preserves write order, and may corrupt it otherwise.
  kProcessCrashSafe = 2,
};

struct StoreOptions {
  // Create the directory and an empty store when none exists.
  bool create_if_missing = false;
  Durability durability = Durability::kFull;
  // Initial size of the memory map. The map grows by itself when full, so
  // this is only a starting point (tests use tiny maps to exercise growth).
  uint64_t initial_map_bytes = uint64_t{64} << 20;
  // kProcessCrashSafe: interval of the background flush.
  uint32_t flush_interval_ms = 1000;
  // Maximum concurrent read transactions across all processes.
  unsigned max_readers = 256;
  // Source of wall-clock time in microseconds since the epoch, for
  // provenance and (later) lease expiry. Empty = the system clock. Tests
  // inject a fake clock here.
  std::function<int64_t()> clock_us;
};

// Who or what writes. Carried into the provenance of every version written.
enum class ActorKind : uint8_t { kSystem = 0, kPerson = 1, kModel = 2, kPlugin = 3, kImportJob = 4 };

const char* ActorKindName(ActorKind kind);
// Parses "system", "person", "model", "plugin", "import_job"; false if unknown.
bool ParseActorKind(const std::string& name, ActorKind* out);

struct Actor {
  ActorKind kind = ActorKind::kSystem;
  std::string name;           // member name, plugin name, job name, ...
  std::string model_name;     // when a model wrote the version
  std::string model_version;
  uint64_t job_id = 0;        // the job that wrote it, 0 = none
  uint64_t lease_id = 0;      // the lease it came through, 0 = none
  std::string note;

  static Actor Person(std::string n) {
    Actor a;
    a.kind = ActorKind::kPerson;
    a.name = std::move(n);
    return a;
  }
  static Actor System(std::string n = "annodb") {
    Actor a;
    a.name = std::move(n);
    return a;
  }
};

}  // namespace annodb
