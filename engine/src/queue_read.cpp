// Reading the queue: leases, tasks, counts.
#include <map>

#include "annodb/keys.h"
#include "queue_state.h"

namespace annodb {

using queue::Counter;

const char* StageName(Stage s) {
  switch (s) {
    case Stage::Label: return "label";
    case Stage::Review: return "review";
    case Stage::Done: return "done";
  }
  return "unknown";
}

const char* LeaseStateName(LeaseState s) {
  switch (s) {
    case LeaseState::Active: return "active";
    case LeaseState::Submitted: return "submitted";
    case LeaseState::Released: return "released";
    case LeaseState::Skipped: return "skipped";
    case LeaseState::Expired: return "expired";
  }
  return "unknown";
}

namespace {

LeaseInfo ToInfo(const queue::LeaseRecord& l, int64_t now) {
  LeaseInfo i;
  i.lease_id = l.id;
  i.project_id = l.project_id;
  i.asset_id = l.asset_id;
  i.member_id = l.member_id;
  i.stage = l.stage;
  i.token = l.token;
  i.granted_us = l.granted_us;
  i.expires_us = l.expires_us;
  i.state = l.state;
  i.expired = l.state == LeaseState::Active && l.expires_us <= now;
  i.gold = l.gold;
  i.skip_reason = l.skip_reason;
  return i;
}

}  // namespace

Status GetLease(const ReadTxn& txn, uint64_t lease_id, LeaseInfo* out) {
  if (!out) return Status::InvalidArgument("output is null");
  queue::LeaseRecord l;
  ANNODB_RETURN_IF_ERROR(queue::LoadLease(txn, lease_id, &l));
  *out = ToInfo(l, txn.store().NowUs());
  return Status::OK();
}

Status ListMemberLeases(const ReadTxn& txn, uint64_t member_id, uint64_t project_id, std::vector<LeaseInfo>* out) {
  if (!out) return Status::InvalidArgument("output is null");
  out->clear();
  std::vector<uint64_t> ids;
  std::string prefix = KeyBuilder().U64(member_id).str();
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLeaseByMember, prefix, prefix, [&](std::string_view k, std::string_view v) {
    if (k.size() == 16 && v.size() == 8 && (project_id == 0 || DecodeU64(v.data()) == project_id))
      ids.push_back(DecodeU64(k.data() + 8));
    return true;
  }));
  int64_t now = txn.store().NowUs();
  for (uint64_t id : ids) {
    queue::LeaseRecord l;
    ANNODB_RETURN_IF_ERROR(queue::LoadLease(txn, id, &l));
    out->push_back(ToInfo(l, now));
  }
  return Status::OK();
}

Status GetTask(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, TaskInfo* out) {
  if (!out) return Status::InvalidArgument("output is null");
  queue::Task t;
  ANNODB_RETURN_IF_ERROR(queue::LoadTask(txn, project_id, asset_id, &t));
  out->project_id = project_id;
  out->asset_id = asset_id;
  out->stage = t.stage;
  out->gold = t.gold;
  out->priority = t.priority;
  out->batch_id = t.batch;
  out->submitted = t.submitted;
  out->holders = t.holders;
  out->reviewing = t.reviewing;
  return Status::OK();
}

Status GetQueueStats(const ReadTxn& txn, uint64_t project_id, QueueStatsInfo* out) {
  if (!out) return Status::InvalidArgument("output is null");
  *out = QueueStatsInfo();
  RecordView pv;
  Status ps = txn.Get(RecordKind::Project, project_id, &pv);
  if (ps.IsNotFound()) return Status::NotFound("no project with id " + std::to_string(project_id));
  ANNODB_RETURN_IF_ERROR(ps);
  std::map<std::pair<uint64_t, uint64_t>, queue::CounterValues> stored;
  uint64_t malformed = 0;
  ANNODB_RETURN_IF_ERROR(queue::ReadAllCounts(txn, project_id, &stored, &malformed, nullptr));
  auto at = [](const queue::CounterValues& v, Counter c) { return v[static_cast<size_t>(c)]; };
  for (const auto& [pm, v] : stored) {
    if (pm.second == 0) {
      out->tasks = at(v, Counter::kTasks);
      out->ready = at(v, Counter::kReady);
      out->label_stage = at(v, Counter::kLabelStage);
      out->leased = at(v, Counter::kLeased);
      out->review = at(v, Counter::kReview);
      out->review_leased = at(v, Counter::kReviewLeased);
      out->done = at(v, Counter::kDone);
      out->gold = at(v, Counter::kGold);
      continue;
    }
    MemberQueueStats m;
    m.member_id = pm.second;
    m.leased = at(v, Counter::kLeased);
    m.submitted = at(v, Counter::kSubmitted);
    m.skipped = at(v, Counter::kSkipped);
    m.released = at(v, Counter::kReleased);
    m.expired = at(v, Counter::kExpired);
    m.reviewed = at(v, Counter::kReviewed);
    out->members.push_back(m);  // the map is ordered by member id
  }
  // Leases past expiry that no write has reclaimed yet.
  std::string now_key = queue::ExpiryKey(txn.store().NowUs(), UINT64_MAX);
  std::vector<uint64_t> due;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLeaseByExpiry, "", "", [&](std::string_view k, std::string_view) {
    if (k > now_key || k.size() != 16) return false;
    due.push_back(DecodeU64(k.data() + 8));
    return true;
  }));
  for (uint64_t id : due) {
    queue::LeaseRecord l;
    ANNODB_RETURN_IF_ERROR(queue::LoadLease(txn, id, &l));
    if (l.project_id == project_id) ++out->expired_unreclaimed;
  }
  return Status::OK();
}

}  // namespace annodb
