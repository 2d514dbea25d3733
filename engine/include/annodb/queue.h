// The labelling queue: tasks, leases with fencing tokens, overlap, priority,
// review and gold tasks. docs/queue.md states the semantics and guarantees.
//
// A project's queue holds one task per queued asset. A task is in one stage:
// label (it needs `overlap` submitted labels from distinct members), review
// (a reviewer accepts or rejects its labels), or done. Work is handed out as
// leases: LeaseTasks grants up to n tasks in one transaction, highest
// priority first (ties: the task queued first), each with a lease id, a
// fencing token that is strictly increasing across the store, and an expiry
// (now + the project's lease TTL). An expired lease gives its task back the
// moment any queue operation runs (ReclaimExpired runs first in each), so no
// background thread is needed; a submit, renew, release or skip presenting
// an expired, released or superseded lease is refused with Code::kConflict
// and changes nothing.
//
// Rules every function keeps (each is tested in tests/queue/):
//  - a label-stage task is never held by more members than it still needs
//    (active leases + submitted labels <= overlap);
//  - a member never receives a task they hold, labelled or skipped, and
//    never reviews a task whose labels include one they wrote;
//  - only active members receive work; a member holds at most the project's
//    max_leases active leases (0 = unlimited);
//  - the cost of a lease grows with n and with the tasks the member must
//    skip that are not behind its cursor, not with the backlog (docs/queue.md
//    explains the cursor).
//
// Every function runs inside the caller's write (or read) transaction and
// does nothing visible unless that transaction commits; on an error return
// the caller must abort it (Store::Write does) so the store stays exactly as
// before. Times come from the store's clock (StoreOptions::clock_us), which
// tests replace. Thread safety: as the transaction's.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "annodb/labels.h"
#include "annodb/schema/lease_generated.h"
#include "annodb/store.h"

namespace annodb {

using Stage = fb::Stage;            // Label, Review, Done
using LeaseState = fb::LeaseState;  // Active, Submitted, Released, Skipped, Expired
const char* StageName(Stage s);     // "label", "review", "done"
const char* LeaseStateName(LeaseState s);  // "active", "submitted", "released", "skipped", "expired"

// ---- filling the queue ----

struct EnqueueOptions {
  uint64_t dataset_id = 0;  // required: the dataset's live assets are queued
  double priority = 0;      // higher first; any finite value
  // Only assets whose metadata has every key with this value (compared as
  // text: strings exactly, numbers and booleans in their JSON spelling).
  std::vector<std::pair<std::string, std::string>> where;
};
struct EnqueueResult {
  uint64_t batch_id = 0;        // the batch these tasks belong to (0 if none added)
  uint64_t added = 0;           // new tasks
  uint64_t already_queued = 0;  // assets that had a task already (left as they were)
  uint64_t gold = 0;            // of the added: gold tasks (the asset has a gold label)
  uint64_t filtered_out = 0;    // assets not matching `where`
};
// Queues the dataset's assets for the project as one batch. An asset with a
// gold label in the project becomes a gold task (mixed into streams at the
// gold rate, never "done"). Existing submitted or accepted human labels
// count toward overlap, and their authors are not offered the asset again.
// Errors: NotFound (project, dataset), InvalidArgument (dataset not in the
// project, non-finite priority, malformed where).
Status Enqueue(WriteTxn& txn, uint64_t project_id, const EnqueueOptions& options, EnqueueResult* result);
// Queues the given assets (each must be in one of the project's datasets).
Status EnqueueAssets(WriteTxn& txn, uint64_t project_id, const std::vector<uint64_t>& asset_ids, double priority,
                     EnqueueResult* result);

// Changes the priority of one task / every task of a batch / every
// label-stage task that model `model_name` (and `model_version`, if not
// empty) has labelled, to 1 - the label's lowest annotation score ("lowest
// confidence first"; a label without scores counts as score 1). *changed
// receives the number of tasks whose priority changed. Priority only orders
// the label and review lanes; a leased task keeps its lease.
// Errors: NotFound (project, task, batch), InvalidArgument (non-finite).
Status SetTaskPriority(WriteTxn& txn, uint64_t project_id, uint64_t asset_id, double priority);
Status SetBatchPriority(WriteTxn& txn, uint64_t project_id, uint64_t batch_id, double priority, uint64_t* changed);
Status SetPriorityFromModel(WriteTxn& txn, uint64_t project_id, const std::string& model_name,
                            const std::string& model_version, uint64_t* changed);

// ---- leasing ----

enum class LeaseLane : uint8_t {
  kAuto = 0,    // by role: labeler -> label, reviewer -> review, admin -> review then label
  kLabel = 1,   // label-stage tasks (and gold tasks, at the gold rate)
  kReview = 2,  // review-stage tasks
};

struct LeaseGrant {
  uint64_t lease_id = 0;
  uint64_t token = 0;  // fencing token: strictly increasing across the store
  uint64_t project_id = 0;
  uint64_t asset_id = 0;
  Stage stage = Stage::Label;
  bool gold = false;
  int64_t granted_us = 0;
  int64_t expires_us = 0;
};

// What a lease call looked at (for tests and the benchmark: the cost of a
// lease is the number of index entries it examined).
struct LeaseScanStats {
  uint64_t examined = 0;
};

// Grants up to n (1..1000) tasks to the member in this transaction (fewer,
// possibly none, when no eligible work is left or max_leases is reached).
// *grants is replaced. `stats` may be null.
// Errors: NotFound (project, member), InvalidArgument (n out of range),
// Conflict (the member is not active).
Status LeaseTasks(WriteTxn& txn, uint64_t project_id, uint64_t member_id, uint32_t n, LeaseLane lane,
                  std::vector<LeaseGrant>* grants, LeaseScanStats* stats = nullptr);

// In the functions below, `token` 0 skips the token check; a non-zero token
// must equal the lease's (a fencing token from another grant is refused with
// Conflict). Every one refuses a lease that is not active (expired, released,
// skipped, submitted) with Conflict, NotFound for an unknown lease.

// Extends the lease to now + the project's TTL; *expires_us gets the new expiry.
Status RenewLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, int64_t* expires_us);
// Renews every active lease of the member (in every project). *renewed may be null.
Status Heartbeat(WriteTxn& txn, uint64_t member_id, uint32_t* renewed);
// Gives the task back; the member may be offered it again.
Status ReleaseLease(WriteTxn& txn, uint64_t lease_id, uint64_t token);
// Gives the task back and records why; the member is not offered it again.
// The reason is required (1..1000 bytes).
Status SkipLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, const std::string& reason);

struct SubmitInput {
  std::vector<AnnotationInput> annotations;  // validated as any label
  uint64_t time_spent_ms = 0;
};
// Stores the member's label for a label-stage lease (source human, status
// submitted, provenance naming the lease) and advances the task: when it has
// `overlap` labels it moves to review (for the sampled fraction) or done.
// A member re-labelling after a rejection updates their own label.
// Errors: as above, plus InvalidArgument (the label is invalid: nothing is
// written and the lease stays active) and Conflict (a review lease).
Status SubmitLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, SubmitInput input, uint64_t* label_id);

struct ReviewInput {
  bool accept = true;
  // Reject only: which labels (default: every submitted label of the task)
  // and the comment, required on reject, that opens an issue thread on each
  // rejected label.
  std::vector<uint64_t> reject_label_ids;
  std::string comment;
};
// Finishes a review lease. Accept marks the task's labels accepted and the
// task done. Reject marks the chosen labels rejected, opens an issue on each,
// and sends the task back to the label stage needing that many more labels;
// the rejected labels' authors may take it again (rework updates their label).
// *comment_ids (may be null) receives the issues opened.
// Errors: as above, plus InvalidArgument (reject without a comment, or a
// label that is not one of the task's submitted labels), Conflict (a label lease).
Status ReviewLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, const ReviewInput& input,
                   std::vector<uint64_t>* comment_ids);

// Returns every lease whose expiry has passed to its task (state expired).
// Every queue function calls it first; calling it directly is never needed
// for correctness. *reclaimed may be null.
Status ReclaimExpired(WriteTxn& txn, uint32_t* reclaimed);

// ---- reading ----

struct LeaseInfo {
  uint64_t lease_id = 0;
  uint64_t project_id = 0;
  uint64_t asset_id = 0;
  uint64_t member_id = 0;
  Stage stage = Stage::Label;
  uint64_t token = 0;
  int64_t granted_us = 0;
  int64_t expires_us = 0;
  LeaseState state = LeaseState::Active;  // as stored: an active lease past its expiry reads as active
                                          // until a write reclaims it; `expired` below tells
  bool expired = false;                   // active and past its expiry now
  bool gold = false;
  std::string skip_reason;
};
Status GetLease(const ReadTxn& txn, uint64_t lease_id, LeaseInfo* out);
// The member's active leases (all projects, or one when project_id != 0), by id.
Status ListMemberLeases(const ReadTxn& txn, uint64_t member_id, uint64_t project_id, std::vector<LeaseInfo>* out);

struct TaskInfo {
  uint64_t project_id = 0;
  uint64_t asset_id = 0;
  Stage stage = Stage::Label;
  bool gold = false;
  double priority = 0;
  uint64_t batch_id = 0;
  uint32_t submitted = 0;   // counting labels from distinct members
  uint32_t holders = 0;     // active label leases
  uint32_t reviewing = 0;   // active review leases (0 or 1)
};
// NotFound when the asset is not queued in the project.
Status GetTask(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, TaskInfo* out);

struct MemberQueueStats {
  uint64_t member_id = 0;
  uint64_t leased = 0;     // active leases now
  uint64_t submitted = 0;  // labels submitted through the queue
  uint64_t skipped = 0;
  uint64_t released = 0;
  uint64_t expired = 0;
  uint64_t reviewed = 0;   // reviews finished (accept or reject)
};
struct QueueStatsInfo {
  uint64_t tasks = 0;           // every queued task (gold included)
  uint64_t ready = 0;           // label stage, still needing a holder
  uint64_t label_stage = 0;     // label stage, in all (ready or fully held)
  uint64_t leased = 0;          // active label leases
  uint64_t review = 0;          // review stage
  uint64_t review_leased = 0;   // active review leases
  uint64_t done = 0;
  uint64_t gold = 0;
  uint64_t expired_unreclaimed = 0;  // active leases past expiry, reclaimed at the next write
  std::vector<MemberQueueStats> members;  // members with any queue activity, by id
};
// Counts are kept current by every queue write, so this is a lookup.
Status GetQueueStats(const ReadTxn& txn, uint64_t project_id, QueueStatsInfo* out);

}  // namespace annodb
