// annodb::Store: one versioned store of records in one LMDB environment.
//
// A store is a directory holding LMDB's data.mdb and lock.mdb. Several
// processes may open the same store at once; LMDB serialises their writes
// (one writer at a time across all processes) and readers never block.
// Within one process, open a store once and share the Store object between
// threads: opening the same directory twice in one process is refused
// (LMDB's locks are per process), and a Store must never be used across
// fork().
//
// Reads and writes happen in transactions:
//   Store::Read(fn)  runs fn(ReadTxn&) on a consistent snapshot;
//   Store::Write(actor, fn) runs fn(WriteTxn&) and commits it atomically.
// Every commit that changes records gets the next store sequence number and
// one changefeed entry. Every record keeps all its versions: the current one
// in its kind's record table, superseded ones in the kind's history table.
//
// Thread safety: Store's methods may be called from any thread. A ReadTxn or
// WriteTxn belongs to the thread that runs the callback and must not escape
// it (with WriteGrouped, that thread may be another caller's: see there). LMDB allows one write transaction at a time, so a thread inside
// Write() must not call Write() again (it would deadlock), and a thread must
// not call Write() while it holds a ReadTxn open from Read() on the same store
// (the map may need to grow, which waits for every transaction to end).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "annodb/options.h"
#include "annodb/record.h"
#include "annodb/status.h"
#include "annodb/tables.h"

struct MDB_txn;

namespace annodb {

class Store;
class StoreImpl;

// The on-disk format this build reads and writes. A store with a higher
// format is refused (Code::kIncompatible); older formats are migrated on open.
inline constexpr uint32_t kFormatVersion = 1;

// One entry of the changefeed: what one commit changed.
struct ChangeRun {
  RecordKind kind = RecordKind::Unknown;
  enum class Op : uint8_t { kCreate = 0, kUpdate = 1, kDelete = 2 } op = Op::kCreate;
  uint64_t first_id = 0;  // inclusive
  uint64_t last_id = 0;   // inclusive
};
struct ChangeSetInfo {
  uint64_t sequence = 0;
  int64_t time_us = 0;
  ActorKind actor_kind = ActorKind::kSystem;
  std::string actor_name;
  uint64_t job_id = 0;
  std::vector<ChangeRun> changes;
};
const char* ChangeOpName(ChangeRun::Op op);

struct SnapshotInfo {
  std::string name;
  uint64_t sequence = 0;
  int64_t created_us = 0;
};

// What a versioned put did.
enum class PutOutcome : uint8_t {
  kCreated = 0,    // the record did not exist: version 1 written
  kUpdated = 1,    // a new version was written (also when reviving a deleted record)
  kUnchanged = 2,  // the payload equals the current version: nothing written
};

// A read-only transaction: a consistent view of the store as of its start.
class ReadTxn {
 public:
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  virtual ~ReadTxn();

  // The sequence number of the last commit visible to this transaction.
  uint64_t sequence() const;

  // The current version of record `id`. NotFound if it never existed or its
  // current version is a deletion (a tombstone); Corruption on a bad checksum.
  Status Get(RecordKind kind, uint64_t id, RecordView* out) const;
  // Like Get, but also returns tombstones (out->deleted() tells).
  Status GetIncludingDeleted(RecordKind kind, uint64_t id, RecordView* out) const;
  // The version of record `id` that was current just after commit `sequence`.
  // NotFound if the record did not exist then or was deleted.
  Status GetAsOf(RecordKind kind, uint64_t id, uint64_t sequence, RecordView* out) const;
  // Every version of record `id`, oldest first (tombstones included).
  Status History(RecordKind kind, uint64_t id, std::vector<RecordView>* out) const;

  // Visits current versions of records of `kind` with id >= from_id in id
  // order (tombstones skipped) until fn returns false.
  Status Scan(RecordKind kind, uint64_t from_id,
              const std::function<bool(const RecordView&)>& fn) const;
  // Like Scan, but also visits records whose current version is a tombstone
  // (for as-of reads: a record deleted now may have been live then).
  Status ScanIncludingDeleted(RecordKind kind, uint64_t from_id,
                              const std::function<bool(const RecordView&)>& fn) const;

  // Point lookup in an index: the value bytes, NotFound when absent. The
  // returned view is valid for the transaction.
  Status IndexGet(Index index, std::string_view key, std::string_view* value) const;
  // Like IndexGet, but an absent key is not an error: OK with *found false.
  // For hot paths (bulk import's upsert lookup) where a miss is the common
  // case and building a NotFound message per row would cost more than the
  // lookup.
  Status IndexFind(Index index, std::string_view key, std::string_view* value, bool* found) const;
  // Visits index entries with keys in [from, to) (to empty = to the end of
  // `prefix`'s range when given) in key order until fn returns false.
  Status IndexScan(Index index, std::string_view from, std::string_view prefix,
                   const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  // Changefeed entries with sequence > since, oldest first, at most `limit`.
  Status ChangesSince(uint64_t since, size_t limit, std::vector<ChangeSetInfo>* out) const;
  Status GetSnapshot(const std::string& name, SnapshotInfo* out) const;
  Status ListSnapshots(std::vector<SnapshotInfo>* out) const;
  // Live (not deleted) records of a kind, kept as a counter.
  uint64_t LiveCount(RecordKind kind) const;

  Store& store() const { return *store_; }
  // Internal: the LMDB transaction, for engine modules.
  MDB_txn* raw() const { return txn_; }

 protected:
  ReadTxn(Store* store, MDB_txn* txn) : store_(store), txn_(txn) {}
  Status ScanImpl(RecordKind kind, uint64_t from_id, bool include_deleted,
                  const std::function<bool(const RecordView&)>& fn) const;
  friend class Store;
  friend class StoreImpl;
  Store* store_;
  MDB_txn* txn_;
};

// A write transaction. All changes become visible atomically at commit, with
// one new sequence number (if anything changed) and one changefeed entry.
class WriteTxn : public ReadTxn {
 public:
  // The actor recorded in the provenance of versions written from now on.
  const Actor& actor() const { return actor_; }
  void set_actor(Actor actor) {
    actor_ = std::move(actor);
    first_version_prov_.clear();
  }
  // Restores, instead of stamping, the provenance of versions written from
  // now on: actor, model, job, lease, time and note are taken from `p`
  // (replaces_version is still computed). Used when restoring exported
  // records. Null = stamp from actor() and the clock (the default). `p` must
  // outlive its use.
  void set_provenance_override(const ProvenanceInfo* p) {
    prov_override_ = p;
    first_version_prov_.clear();
  }

  // Allocates the next id of `kind` (ids start at 1 and never repeat). The
  // counter is read once per transaction and written back at commit, so a
  // bulk load allocating thousands of ids costs one meta read and one write.
  Status AllocateId(RecordKind kind, uint64_t* id);
  // Allocates the next value of a named store-wide counter (starting at 1),
  // for example "job" for import job ids. Names are 1..64 bytes.
  Status AllocateCounter(std::string_view name, uint64_t* value);
  // Writes `payload` (a FlatBuffer of kind's root type, already verified) as
  // the new current version of record `id`. The previous version moves to
  // history. When the payload equals the current live version, nothing is
  // written and *outcome is kUnchanged. `outcome` may be null.
  Status Put(RecordKind kind, uint64_t id, const uint8_t* payload, size_t size,
             PutOutcome* outcome);
  // Writes a tombstone version (payload kept as it was, flag deleted).
  // NotFound when the record does not exist or is already deleted.
  Status Delete(RecordKind kind, uint64_t id);

  // OK when record `id` of `kind` exists and its current version is not a
  // tombstone; NotFound otherwise. The answer is remembered for the rest of
  // the transaction (until a Delete of that record), so checking the same
  // parent record for every row of a batch (the dataset of each imported
  // asset) costs one read.
  Status RequireLive(RecordKind kind, uint64_t id);

  Status IndexPut(Index index, std::string_view key, std::string_view value);
  // Deleting an absent key is not an error.
  Status IndexDelete(Index index, std::string_view key);

  Status CreateSnapshot(const std::string& name, SnapshotInfo* out);
  Status DeleteSnapshot(const std::string& name);

  // The sequence this transaction will commit as (assigned at first change);
  // 0 while nothing has changed.
  uint64_t pending_sequence() const { return n_.pending_seq; }
  int64_t now_us() const;

 private:
  WriteTxn(Store* store, MDB_txn* txn, Actor actor) : ReadTxn(store, txn), actor_(std::move(actor)) {}
  friend class Store;
  friend class StoreImpl;
  friend class GroupCommitter;
  Status MarkChanged(RecordKind kind, ChangeRun::Op op, uint64_t id);
  // The sequence this transaction's changes get: pending_seq_ once assigned,
  // else the next one (read from meta once), without assigning it.
  Status PeekSequence(uint64_t* seq);
  // Writes the first version of a record whose id was allocated in this
  // transaction with MDB_APPEND (one descent, pages filled): *done false when
  // the id is not above every key of the table, and nothing was written.
  Status PutNew(RecordKind kind, uint64_t id, std::string_view key, const uint8_t* payload, size_t size,
                bool* done);
  Status Finish();  // writes id counters, live counts, the changefeed entry and the sequence
  Status Check(int rc, const char* what);

  void BuildProvenance(flatbuffers::FlatBufferBuilder* pb, uint64_t replaces) const;
  // The provenance bytes of a version replacing `replaces`. The provenance of
  // first versions is built once per transaction and actor (a bulk import
  // creates thousands), so its time is the time of the first write.
  std::string_view ProvenanceBytes(uint64_t replaces, flatbuffers::FlatBufferBuilder* pb);

  Actor actor_;
  const ProvenanceInfo* prov_override_ = nullptr;
  std::string first_version_prov_;
  // The changefeed entry names this actor instead of actor_ when set (a
  // group commit whose requests came from different actors).
  const Actor* feed_actor_ = nullptr;
  std::vector<ChangeRun> changes_;
  // Scalar bookkeeping, copied as a whole to save and restore it around a
  // group-commit request's child transaction (changes_ is saved apart).
  struct Counters {
    uint64_t pending_seq = 0;  // 0 until the first change
    uint64_t next_seq = 0;     // meta.sequence + 1, 0 until read
    uint64_t change_count = 0; // MarkChanged calls: did a request change anything
    int64_t live_delta[kRecordKindCount] = {};
    uint64_t next_id[kRecordKindCount] = {};    // cached id counter, 0 = not read yet
    uint64_t first_new_id[kRecordKindCount] = {};  // first id allocated here, 0 = none
    bool id_dirty[kRecordKindCount] = {};       // next_id must be written at commit
    RecordKind live_kind = RecordKind::Unknown;  // RequireLive's remembered answer
    uint64_t live_id = 0;
  } n_;
  bool map_full_ = false;
};

struct StoreStats {
  uint64_t sequence = 0;
  uint64_t live[kRecordKindCount] = {};   // live records per kind
  uint64_t versions[kRecordKindCount] = {};  // superseded versions in history per kind
  uint64_t file_bytes = 0;     // size of data.mdb on disk
  uint64_t map_bytes = 0;      // current memory map size
  uint64_t snapshots = 0;
  uint32_t format_version = 0;
};

class Store {
 public:
  // Opens (or with options.create_if_missing creates) the store in `dir`.
  // "No store" is a directory without data.mdb, or with a data.mdb in which
  // nothing was ever committed (an interrupted creation); only such a
  // directory is created into. A data.mdb that holds commits but cannot be
  // read (a bad meta page, LMDB data without the annodb marker) is
  // Corruption and is never written: its message names the directory and
  // `annodb recover` (see annodb/recover.h). A creation that fails removes
  // the files and directory it made.
  // Errors: NotFound (no store and create_if_missing false), Busy (already
  // open in this process), Incompatible (format newer than this build),
  // IOError (permissions; a full disk says "no space left on device" with the
  // directory), Corruption (a store that cannot be read).
  // On success *out owns the store; destroying it closes the store (waiting
  // for running transactions is the caller's job: close after they end).
  static Status Open(const std::string& dir, const StoreOptions& options,
                     std::unique_ptr<Store>* out);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Runs fn on a read transaction. Returns fn's status, or the error that
  // prevented the transaction from starting.
  Status Read(const std::function<Status(ReadTxn&)>& fn);

  // Runs fn on a write transaction as `actor` and commits if fn returns OK;
  // aborts (leaving the store exactly as before) otherwise. If the map fills
  // up, the transaction is aborted, the map grown and fn run again from the
  // start, so fn must have no effects outside the transaction (or tolerate
  // a re-run). Commit durability follows the store's Durability setting.
  // *committed_sequence (optional) receives the commit's sequence (0 if the
  // transaction changed no record).
  Status Write(const Actor& actor, const std::function<Status(WriteTxn&)>& fn,
               uint64_t* committed_sequence = nullptr);

  // Group commit: the same contract as Write for the caller (fn's changes
  // commit atomically if and only if fn returns OK, a failed fn leaves the
  // store exactly as it was, the status returned is fn's), but concurrent
  // callers share one write transaction and so one commit: one fsync at
  // Durability::kFull for a whole batch instead of one per caller. Use it
  // where many threads write small transactions at once (a server handling
  // labellers' leases and submits); a lone writer gets Write's speed.
  //
  // How: callers queue; the oldest waiting caller, when no batch is running,
  // becomes the leader and runs every queued request (up to 128) in one LMDB
  // write transaction, each request's fn in its own nested (child)
  // transaction. A fn that fails (or throws) aborts only its child: its
  // writes and its bookkeeping (changefeed runs, live counts, id counters)
  // are dropped and the other requests commit together. The caller blocks
  // until its batch has committed (or failed).
  //
  // Sequence and changefeed: a batch is one commit, so every request that
  // changed a record gets the batch's sequence number in *committed_sequence
  // (0 when its fn changed no record, or failed), every record version it
  // wrote carries that sequence, and the batch has one changefeed entry
  // listing the changes of all its successful requests. The entry names the
  // requests' actor when they share one (kind, name, job), else the system
  // actor "group commit"; each version's provenance names its own
  // request's actor.
  //
  // Errors: fn's status for a failed fn. If the batch itself fails (the
  // commit, or beginning a nested transaction), every request whose fn
  // succeeded gets that error and nothing of the batch is stored. If the map
  // fills, the whole batch is aborted, the map grown and every request's fn
  // run again, so (as with Write) fn must have no effects outside the
  // transaction or must tolerate a re-run.
  //
  // Threads: fn may run on another caller's thread (the leader's), never on
  // two threads at once, and never after WriteGrouped returned; it must not
  // depend on thread identity (thread-local state, locks held by its
  // caller) and must not call Write or WriteGrouped (deadlock), nor may a
  // caller hold a ReadTxn of this store open. fn and actor must stay valid
  // until the call returns (they are the caller's; the store keeps no
  // reference afterwards).
  Status WriteGrouped(const Actor& actor, const std::function<Status(WriteTxn&)>& fn,
                      uint64_t* committed_sequence = nullptr);

  // The last committed sequence number.
  Status Sequence(uint64_t* out);
  Status Stats(StoreStats* out);
  // Forces written data to disk (useful with kProcessCrashSafe).
  Status Sync();
  // Online, compacted copy of the store into `dest_dir` (created; must be
  // empty). Readers and writers continue meanwhile. The copy is written as
  // data.mdb.partial, synced and renamed to data.mdb: a backup cut short
  // (crash, kill, full disk) leaves no data.mdb, so never a store that
  // opens with part of the data.
  Status Backup(const std::string& dest_dir);

  const std::string& dir() const;
  const StoreOptions& options() const;
  int64_t NowUs() const;

  // Internal: engine modules reach LMDB through the implementation.
  StoreImpl& impl() { return *impl_; }

 private:
  Store();
  // Open's second half: the LMDB environment and the tables, once the
  // directory's files have been judged.
  static Status OpenEnv(const std::string& dir, const StoreOptions& options, std::unique_ptr<Store>* out);
  std::unique_ptr<StoreImpl> impl_;
};

}  // namespace annodb
