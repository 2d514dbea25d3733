// Internal state of the queue: task values, index keys, lane placement and
// counters. Every queue operation changes tasks through SaveTask, which is
// the one place that keeps the ready lanes, the ahead index and the counters
// in step with the task (docs/queue.md, "Storage").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// Counters in kQueueCounts: project-wide ones with member id 0, per-member
// ones with the member's id.
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
std::string CountKey(uint64_t project_id, Counter c, uint64_t member_id);

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
Status SaveTask(WriteTxn& txn, uint64_t project_id, uint32_t overlap, uint64_t asset_id, const Task* before,
                const Task& after);

Touch GetTouch(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, uint64_t member_id);
Status SetTouch(WriteTxn& txn, uint64_t project_id, uint64_t asset_id, uint64_t member_id, Touch t);
// Removes the member's touch: the task may become eligible for them again,
// so if it is ready behind the lane's furthest cursor it joins the ahead
// index (the member's cursor may be past it).
Status ClearTouch(WriteTxn& txn, uint64_t project_id, uint32_t overlap, uint64_t asset_id, uint64_t member_id,
                  const Task& task);

Status AddCount(WriteTxn& txn, uint64_t project_id, Counter c, uint64_t member_id, int64_t delta);
uint64_t GetCount(const ReadTxn& txn, uint64_t project_id, Counter c, uint64_t member_id);

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
Status EndLease(WriteTxn& txn, LeaseRecord* l, LeaseState state, const std::string& reason);

// Checks an operation's lease: exists, active, not past expiry, token
// matches (when non-zero). Reclaims expired leases first.
Status CheckActiveLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, LeaseRecord* out);

// Gives a lease's task back after the lease ended as released/skipped/expired.
Status ReturnTask(WriteTxn& txn, const LeaseRecord& l, Touch member_touch_after);

// Decides, stably per (project, asset), whether a task goes to review.
bool SampledForReview(uint64_t project_id, uint64_t asset_id, float fraction);

}  // namespace annodb::queue
