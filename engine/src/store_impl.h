// StoreImpl: the LMDB environment behind a Store, its database handles, the
// map-growth protocol and the background flusher. Internal to engine/.
#pragma once

#include <lmdb.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

#include "annodb/store.h"

namespace annodb {

// Turns an LMDB return code into a Status naming the operation.
Status LmdbStatus(int rc, const std::string& what);

inline MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view View(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

struct GroupRequest;  // group_commit.cpp

class StoreImpl {
 public:
  std::string dir;
  StoreOptions options;
  MDB_env* env = nullptr;
  MDB_dbi meta = 0;       // "meta": format, sequence, id counters, live counts
  MDB_dbi snapshots = 0;  // "snapshots": name -> SnapshotInfo
  MDB_dbi changes = 0;    // "changes": sequence (u64 BE) -> ChangeSet FlatBuffer
  MDB_dbi records[kRecordKindCount] = {};  // "rec.<kind>": id (u64 BE) -> envelope
  MDB_dbi history[kRecordKindCount] = {};  // "hist.<kind>": id + version (u64 BE each) -> envelope
  MDB_dbi indexes[static_cast<int>(Index::kCount)] = {};
  uint64_t registry_key_dev = 0, registry_key_ino = 0;

  // Every transaction holds resize_mu shared; growing the map takes it
  // exclusively, because LMDB requires that no transaction is open in the
  // process when the map size changes.
  std::shared_mutex resize_mu;
  // Serialises this process's writers before they take resize_mu, so a writer
  // that needs to grow the map never waits on another writer holding it shared.
  std::mutex write_mu;

  // Group commit (group_commit.cpp): WriteGrouped requests wait here until
  // a leader (the first waiting caller when no batch is running) takes them
  // into one write transaction.
  std::mutex group_mu;
  std::condition_variable group_cv;
  std::deque<GroupRequest*> group_queue;
  bool group_leader = false;

  std::thread flusher;
  std::mutex flush_mu;
  std::condition_variable flush_cv;
  bool stopping = false;

  ~StoreImpl();
  // Begins an LMDB transaction, adopting a map grown by another process
  // (MDB_MAP_RESIZED) with no transaction open.
  Status Begin(unsigned flags, MDB_txn** txn, std::shared_lock<std::shared_mutex>* lock);
  // Doubles the map (with no transaction open in this process).
  Status Grow();
  // After a failed remap: records why (in `unusable`, read under resize_mu)
  // so that Begin refuses every later transaction; returns the IOError.
  Status MarkUnusable(const Status& why);
  std::string unusable;
  void StartFlusher();
};

// Meta keys.
inline constexpr std::string_view kMetaFormat = "format";
inline constexpr std::string_view kMetaSequence = "sequence";
inline constexpr std::string_view kMetaCreated = "created_us";
std::string MetaIdKey(RecordKind kind);
std::string MetaLiveKey(RecordKind kind);

// Reads a u64 (big-endian) meta value; 0 when absent.
Status ReadMetaU64(MDB_txn* txn, MDB_dbi meta, std::string_view key, uint64_t* out);
Status WriteMetaU64(MDB_txn* txn, MDB_dbi meta, std::string_view key, uint64_t v);

}  // namespace annodb
