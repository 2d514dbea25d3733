// Internal state of the queue: task values, index keys, lane placement and
// counters. Every queue operation changes tasks through SaveTask, which is
// the one place that keeps the ready lanes, the ahead index and the counters
// in step with the task (docs/queue.md, "Storage").
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "annodb/queue.h"

namespace annodb::queue {

// A task's ready lanes. The byte is part of kQueueReady/kQueueAhead keys.
enum class Lane : uint8_t { kLabel = 0, kReview = 1, kGold = 2, kNone = 255 };

// What a member has to do with a task (kQueueTouch values).
enum class Touch : uint8_t {
  kNone = 0,
  kHolding = 1,    // an active label lease
  kLabelled = 2,   // a counting label (submitted or accepted)
  kSkipped = 3,    // skipped: never offered again
  kSkippedReview = 4,  // skipped reviewing: never offered for review (or labelling) again
};

// Counters in kQueueCounts: one record per (project, member) holds all of
// them; member 0's record holds the project-wide ones, a member's record
// that member's. The value is the counter's index in the record.
enum class Counter : uint8_t {
  kTasks = 0,
  kReady = 1,        // in the label lane
  kLabelStage = 2,
  kLeased = 3,       // active label leases (project), active leases (member)
  kReview = 4,
  kReviewLeased = 5,
  kDone = 6,
  kGold = 7,
  kSubmitted = 8,    // per member
  kSkipped = 9,
  kReleased = 10,
  kExpired = 11,
  kReviewed = 12,
};
inline constexpr size_t kCounterCount = 13;
using CounterValues = std::array<uint64_t, kCounterCount>;

class Counts;  // below

struct Task {
  Stage stage = Stage::Label;
  bool gold = false;
  uint32_t submitted = 0;
  uint32_t holders = 0;
  uint32_t reviewing = 0;
  double priority = 0;
  uint64_t batch = 0;
};
inline constexpr size_t kTaskBytes = 32;
std::string EncodeTask(const Task& t);
bool DecodeTask(std::string_view bytes, Task* out);

// Order within a lane: priority descending, then batch, then asset id
// ascending. 24 bytes: sortable(priority) inverted, batch, asset.
std::string OrderKey(double priority, uint64_t batch, uint64_t asset_id);
uint64_t AssetOfOrderKey(std::string_view order_key);  // the last 8 bytes

std::string TaskKey(uint64_t project_id, uint64_t asset_id);
std::string LanePrefix(uint64_t project_id, Lane lane);
std::string TouchKey(uint64_t project_id, uint64_t asset_id, uint64_t member_id);
std::string CursorKey(uint64_t project_id, uint64_t member_id, Lane lane);
std::string ExpiryKey(int64_t expires_us, uint64_t lease_id);
std::string MemberLeaseKey(uint64_t member_id, uint64_t lease_id);
std::string BatchKey(uint64_t project_id, uint64_t batch_id, uint64_t asset_id);
// The counters record of (project, member): 16 bytes, built in `buf` (the
// counters are written on every queue operation: no heap string).
std::string_view CountsKey(uint64_t project_id, uint64_t member_id, char (&buf)[16]);
// Stores written before the one-record layout (commit 3e7c0a1) kept
// one entry per counter under this 17-byte key (project, counter, member)
// holding a u64: they are still read, and an operation that changes a
// member's counters replaces that member's entries with its record.
std::string LegacyCountKey(uint64_t project_id, Counter c, uint64_t member_id);
// Record value: a layout byte (1), then the counters as u64 big-endian in
// Counter order. Always all of them: a value of unchanged size is
// overwritten in place by LMDB, a resized one is deleted and reinserted.
// DecodeCounts also reads shorter values (counters missing at the end are 0).
inline constexpr size_t kCountsBytes = 1 + 8 * kCounterCount;
std::string_view EncodeCounts(const CounterValues& v, char (&buf)[kCountsBytes]);
bool DecodeCounts(std::string_view bytes, CounterValues* out);

// The few project settings the queue reads on every operation, without
// decoding the ontology.
struct QueueSettings {
  uint32_t overlap = 1;
  uint32_t lease_ttl_s = 1800;
  float review_fraction = 0;
  float gold_rate = 0;
  uint32_t max_leases = 0;
};
Status LoadSettings(const ReadTxn& txn, uint64_t project_id, QueueSettings* out);

// Which lane the task is ready in, if any.
Lane LaneOf(const Task& t, uint32_t overlap);

Status LoadTask(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, Task* out);
// Writes `after` (over `before`, or as a new task when before is null) and
// moves its lane entries and counters to match.
Status SaveTask(WriteTxn& txn, Counts& counts, uint64_t project_id, uint32_t overlap, uint64_t asset_id,
                const Task* before, const Task& after);

Touch GetTouch(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, uint64_t member_id);
Status SetTouch(WriteTxn& txn, uint64_t project_id, uint64_t asset_id, uint64_t member_id, Touch t);
// Removes the member's touch: the task may become eligible for them again,
// so if it is ready behind the lane's furthest cursor it joins the ahead
// index (the member's cursor may be past it).
Status ClearTouch(WriteTxn& txn, uint64_t project_id, uint32_t overlap, uint64_t asset_id, uint64_t member_id,
                  const Task& task);

// One queue operation's counter changes. A lease+submit cycle moves about
// eight counters of two records; each record is read once, changed in
// memory, and written once by Flush, instead of a read and a write per
// counter. Every public queue write function makes one Counts, passes it to
// everything it calls, and calls Flush last, only on success: on an error
// it returns before Flush, so nothing pending reaches the store, and the
// caller aborts the transaction (or, under WriteGrouped, the request's
// nested transaction) as queue.h requires. Only one Counts may be live per
// transaction: a second one would read records the first has not written
// yet (so public functions call each other's internal forms, never each
// other).
class Counts {
 public:
  explicit Counts(WriteTxn& txn) : txn_(txn) {}
  Counts(const Counts&) = delete;
  Counts& operator=(const Counts&) = delete;

  // Corruption when a counter would go below zero (the state is inconsistent).
  Status Add(uint64_t project_id, Counter c, uint64_t member_id, int64_t delta);
  // The counter as it stands in this operation, pending changes included.
  Status Get(uint64_t project_id, Counter c, uint64_t member_id, uint64_t* out);
  // Writes each changed record once.
  Status Flush();

 private:
  struct Entry {
    uint64_t project_id = 0, member_id = 0;
    CounterValues values{};
    bool dirty = false;
    bool legacy = false;  // read from per-counter entries, which Flush removes
  };
  Status Load(uint64_t project_id, uint64_t member_id, size_t* index);

  WriteTxn& txn_;
  std::vector<Entry> entries_;  // one or two per operation: searched linearly
};

// Runs body(counts) with a new Counts and flushes it if body succeeds: the
// shape of every public queue write function.
template <typename F>
Status WithCounts(WriteTxn& txn, F&& body) {
  Counts counts(txn);
  ANNODB_RETURN_IF_ERROR(body(counts));
  return counts.Flush();
}

// The stored counters of one project (0 = every project) by (project,
// member), in either layout. *malformed counts entries that decode in
// neither; `both` (may be null) receives the (project, member) pairs that
// have a record and legacy entries at once (never written so: Flush removes
// the legacy entries in the transaction that writes the record).
Status ReadAllCounts(const ReadTxn& txn, uint64_t project_id,
                     std::map<std::pair<uint64_t, uint64_t>, CounterValues>* out, uint64_t* malformed,
                     std::vector<std::pair<uint64_t, uint64_t>>* both);

// A member's position in a lane (member 0 = the furthest position of any
// member in that lane) and, for the label lane, how many label slots the
// member has been dealt (for the gold rate).
struct Cursor {
  std::string order_key;  // empty = the start
  uint64_t slots = 0;
};
Cursor GetCursor(const ReadTxn& txn, uint64_t project_id, uint64_t member_id, Lane lane);
Status SetCursor(WriteTxn& txn, uint64_t project_id, uint64_t member_id, Lane lane, const Cursor& c);

// The decoded current version of a lease record.
struct LeaseRecord {
  uint64_t id = 0;
  uint64_t project_id = 0, asset_id = 0, member_id = 0, token = 0;
  Stage stage = Stage::Label;
  int64_t granted_us = 0, expires_us = 0;
  LeaseState state = LeaseState::Active;
  bool gold = false;
  std::string skip_reason;
};
Status LoadLease(const ReadTxn& txn, uint64_t lease_id, LeaseRecord* out);
Status PutLease(WriteTxn& txn, const LeaseRecord& l);

// Ends an active lease: new version with `state` (and reason), drops its
// expiry and member index entries, updates counters. The task is the
// caller's to update.
Status EndLease(WriteTxn& txn, Counts& counts, LeaseRecord* l, LeaseState state, const std::string& reason);

// Checks an operation's lease: exists, active, not past expiry, token
// matches (when non-zero). Reclaims expired leases first.
Status CheckActiveLease(WriteTxn& txn, Counts& counts, uint64_t lease_id, uint64_t token, LeaseRecord* out);

// Gives a lease's task back after the lease ended as released/skipped/expired.
Status ReturnTask(WriteTxn& txn, Counts& counts, const LeaseRecord& l, Touch member_touch_after);

// ReclaimExpired's work, with the caller's Counts (queue_lease.cpp).
Status Reclaim(WriteTxn& txn, Counts& counts, uint32_t* reclaimed);

// Decides, stably per (project, asset), whether a task goes to review.
bool SampledForReview(uint64_t project_id, uint64_t asset_id, float fraction);

}  // namespace annodb::queue
