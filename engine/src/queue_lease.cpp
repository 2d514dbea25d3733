// Granting leases, and the operations that end or extend one without a
// label: renew, heartbeat, release, skip, expiry.
#include <algorithm>
#include <cmath>

#include "annodb/keys.h"
#include "annodb/members.h"
#include "queue_state.h"

namespace annodb {

using queue::Counter;
using queue::Cursor;
using queue::Lane;
using queue::LeaseRecord;
using queue::Task;
using queue::Touch;

namespace {

bool Eligible(Touch t, Lane lane) {
  // A reviewer must not have written one of the task's labels, nor have
  // skipped reviewing it; a labeller must have nothing to do with it yet.
  if (lane == Lane::kReview) return t != Touch::kLabelled && t != Touch::kSkippedReview;
  return t == Touch::kNone;
}

// Finds up to `want` tasks of one lane the member may take, best first.
// Two ordered streams are merged: the ahead index (ready tasks placed behind
// the furthest cursor, usually few) from its start, and the ready lane from
// the member's cursor. Everything in the lane before the cursor is a task the
// member has touched or is also in the ahead index, so the member never
// rescans its own history (docs/queue.md, "Cursors").
Status PickTasks(WriteTxn& txn, uint64_t project_id, uint64_t member_id, Lane lane, uint32_t want,
                 Cursor* cursor, std::vector<std::string>* picks, LeaseScanStats* stats) {
  picks->clear();
  if (want == 0) return Status::OK();
  std::string prefix = queue::LanePrefix(project_id, lane);
  std::vector<std::string> ahead;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueAhead, prefix, prefix, [&](std::string_view key, std::string_view) {
    if (stats) ++stats->examined;
    std::string_view ok = key.substr(prefix.size());
    if (Eligible(queue::GetTouch(txn, project_id, queue::AssetOfOrderKey(ok), member_id), lane))
      ahead.emplace_back(ok);
    return ahead.size() < want;
  }));
  struct Seen {
    std::string key;
    bool eligible;
  };
  std::vector<Seen> seen;
  size_t eligible = 0;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueReady, prefix + cursor->order_key, prefix,
                                       [&](std::string_view key, std::string_view) {
    if (stats) ++stats->examined;
    std::string_view ok = key.substr(prefix.size());
    bool e = Eligible(queue::GetTouch(txn, project_id, queue::AssetOfOrderKey(ok), member_id), lane);
    seen.push_back({std::string(ok), e});
    if (e) ++eligible;
    return eligible < want;
  }));
  // Merge the two sorted candidate lists (a task can be in both).
  std::vector<std::string> from_lane;
  for (const Seen& s : seen)
    if (s.eligible) from_lane.push_back(s.key);
  std::vector<std::string> merged;
  std::merge(ahead.begin(), ahead.end(), from_lane.begin(), from_lane.end(), std::back_inserter(merged));
  merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
  if (merged.size() > want) merged.resize(want);
  // The cursor moves over the lane entries that are now all touched by the
  // member: up to the first eligible entry not picked.
  for (const Seen& s : seen) {
    if (s.eligible && !std::binary_search(merged.begin(), merged.end(), s.key)) break;
    cursor->order_key = s.key;
  }
  *picks = std::move(merged);
  return Status::OK();
}

Status Grant(WriteTxn& txn, queue::Counts& counts, uint64_t project_id, uint32_t overlap, uint32_t ttl_s,
             uint64_t member_id, Lane lane, const std::string& order_key, std::vector<LeaseGrant>* grants) {
  uint64_t asset_id = queue::AssetOfOrderKey(order_key);
  Task before, after;
  ANNODB_RETURN_IF_ERROR(queue::LoadTask(txn, project_id, asset_id, &before));
  after = before;
  if (lane == Lane::kReview) {
    after.reviewing += 1;
  } else {
    after.holders += 1;
    ANNODB_RETURN_IF_ERROR(queue::SetTouch(txn, project_id, asset_id, member_id, Touch::kHolding));
  }
  ANNODB_RETURN_IF_ERROR(queue::SaveTask(txn, counts, project_id, overlap, asset_id, &before, after));
  LeaseRecord l;
  ANNODB_RETURN_IF_ERROR(txn.AllocateCounter("fencing_token", &l.token));
  ANNODB_RETURN_IF_ERROR(txn.AllocateId(RecordKind::Lease, &l.id));
  l.project_id = project_id;
  l.asset_id = asset_id;
  l.member_id = member_id;
  l.stage = lane == Lane::kReview ? Stage::Review : Stage::Label;
  l.gold = lane == Lane::kGold;
  l.granted_us = txn.now_us();
  l.expires_us = l.granted_us + int64_t{ttl_s} * 1000000;
  ANNODB_RETURN_IF_ERROR(queue::PutLease(txn, l));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kLeaseByExpiry, queue::ExpiryKey(l.expires_us, l.id), ""));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kLeaseByMember, queue::MemberLeaseKey(member_id, l.id), EncodeU64(project_id)));
  ANNODB_RETURN_IF_ERROR(
      counts.Add(project_id, lane == Lane::kReview ? Counter::kReviewLeased : Counter::kLeased, 0, 1));
  ANNODB_RETURN_IF_ERROR(counts.Add(project_id, Counter::kLeased, member_id, 1));
  grants->push_back(LeaseGrant{l.id, l.token, project_id, asset_id, l.stage, l.gold, l.granted_us, l.expires_us});
  return Status::OK();
}

// Leases from one lane, moving `cursor` (the member's, written by the
// caller) and the lane's furthest cursor.
Status LeaseFromLane(WriteTxn& txn, queue::Counts& counts, uint64_t project_id, const queue::QueueSettings& qs,
                     uint64_t member_id, Lane lane, uint32_t want, Cursor* cursor, std::vector<LeaseGrant>* grants,
                     LeaseScanStats* stats) {
  if (want == 0) return Status::OK();
  std::vector<std::string> picks;
  ANNODB_RETURN_IF_ERROR(PickTasks(txn, project_id, member_id, lane, want, cursor, &picks, stats));
  // Cursors move before the grants, so that the ahead-index rule in SaveTask
  // sees where the member now stands.
  Cursor furthest = queue::GetCursor(txn, project_id, 0, lane);
  if (cursor->order_key > furthest.order_key) {
    furthest.order_key = cursor->order_key;
    ANNODB_RETURN_IF_ERROR(queue::SetCursor(txn, project_id, 0, lane, furthest));
  }
  for (const std::string& k : picks)
    ANNODB_RETURN_IF_ERROR(Grant(txn, counts, project_id, qs.overlap, qs.lease_ttl_s, member_id, lane, k, grants));
  return Status::OK();
}

// Leases from one lane with the member's cursor loaded and written back (only
// when it changed). `slots` is added to the cursor's dealt-slot count.
Status LeaseWithCursor(WriteTxn& txn, queue::Counts& counts, uint64_t project_id, const queue::QueueSettings& qs,
                       uint64_t member_id, Lane lane, uint32_t want, std::vector<LeaseGrant>* grants,
                       LeaseScanStats* stats) {
  Cursor cursor = queue::GetCursor(txn, project_id, member_id, lane);
  std::string before = cursor.order_key;
  ANNODB_RETURN_IF_ERROR(LeaseFromLane(txn, counts, project_id, qs, member_id, lane, want, &cursor, grants, stats));
  if (cursor.order_key == before) return Status::OK();
  return queue::SetCursor(txn, project_id, member_id, lane, cursor);
}

// How many of the next `n` label slots of a member are gold slots: slot i
// (counting from 0 over the member's life in the project) is gold when
// floor((i + 1) * rate) > floor(i * rate), so exactly rate of the slots are
// gold, evenly spread, the same in every run.
uint32_t GoldSlots(uint64_t dealt, uint32_t n, float rate) {
  if (rate <= 0) return 0;
  uint32_t g = 0;
  for (uint32_t i = 0; i < n; ++i) {
    double a = std::floor(static_cast<double>(dealt + i + 1) * rate);
    double b = std::floor(static_cast<double>(dealt + i) * rate);
    if (a > b) ++g;
  }
  return g;
}

Status CountActiveInProject(const ReadTxn& txn, uint64_t member_id, uint64_t project_id, uint32_t* count) {
  *count = 0;
  std::string prefix = KeyBuilder().U64(member_id).str();
  return txn.IndexScan(Index::kLeaseByMember, prefix, prefix, [&](std::string_view, std::string_view v) {
    if (v.size() == 8 && DecodeU64(v.data()) == project_id) ++*count;
    return true;
  });
}

Status RenewOne(WriteTxn& txn, LeaseRecord* l, int64_t* expires_us) {
  queue::QueueSettings qs;
  ANNODB_RETURN_IF_ERROR(queue::LoadSettings(txn, l->project_id, &qs));
  ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kLeaseByExpiry, queue::ExpiryKey(l->expires_us, l->id)));
  l->expires_us = txn.now_us() + int64_t{qs.lease_ttl_s} * 1000000;
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kLeaseByExpiry, queue::ExpiryKey(l->expires_us, l->id), ""));
  if (expires_us) *expires_us = l->expires_us;
  return queue::PutLease(txn, *l);
}

}  // namespace

Status LeaseTasks(WriteTxn& txn, uint64_t project_id, uint64_t member_id, uint32_t n, LeaseLane lane,
                  std::vector<LeaseGrant>* grants, LeaseScanStats* stats) {
  if (!grants) return Status::InvalidArgument("grants output is null");
  grants->clear();
  if (n == 0 || n > 1000) return Status::InvalidArgument("a lease takes 1..1000 tasks, not " + std::to_string(n));
  return queue::WithCounts(txn, [&](queue::Counts& counts) -> Status {
    ANNODB_RETURN_IF_ERROR(queue::Reclaim(txn, counts, nullptr));
    queue::QueueSettings qs;
    ANNODB_RETURN_IF_ERROR(queue::LoadSettings(txn, project_id, &qs));
    MemberInfo m;
    ANNODB_RETURN_IF_ERROR(GetMember(txn, member_id, &m));
    if (!m.active) return Status::Conflict("member '" + m.name + "' is not active and receives no work");
    if (qs.max_leases) {
      uint32_t active = 0;
      ANNODB_RETURN_IF_ERROR(CountActiveInProject(txn, member_id, project_id, &active));
      if (active >= qs.max_leases) return Status::OK();
      n = std::min(n, qs.max_leases - active);
    }
    std::vector<LeaseLane> order;
    if (lane == LeaseLane::kAuto) {
      if (m.role == Role::Reviewer) order = {LeaseLane::kReview};
      else if (m.role == Role::Admin) order = {LeaseLane::kReview, LeaseLane::kLabel};
      else order = {LeaseLane::kLabel};
    } else {
      order = {lane};
    }
    for (LeaseLane l : order) {
      uint32_t remaining = n - static_cast<uint32_t>(grants->size());
      if (remaining == 0) break;
      if (l == LeaseLane::kReview) {
        ANNODB_RETURN_IF_ERROR(
            LeaseWithCursor(txn, counts, project_id, qs, member_id, Lane::kReview, remaining, grants, stats));
        continue;
      }
      // The label lane: gold slots first (at the gold rate), then ordinary
      // work; the label cursor also counts the slots dealt.
      Cursor label_cursor = queue::GetCursor(txn, project_id, member_id, Lane::kLabel);
      Cursor label_before = label_cursor;
      uint32_t gold = GoldSlots(label_cursor.slots, remaining, qs.gold_rate);
      size_t before = grants->size();
      if (gold)
        ANNODB_RETURN_IF_ERROR(
            LeaseWithCursor(txn, counts, project_id, qs, member_id, Lane::kGold, gold, grants, stats));
      uint32_t rest = remaining - static_cast<uint32_t>(grants->size() - before);
      ANNODB_RETURN_IF_ERROR(
          LeaseFromLane(txn, counts, project_id, qs, member_id, Lane::kLabel, rest, &label_cursor, grants, stats));
      label_cursor.slots += grants->size() - before;
      if (label_cursor.order_key != label_before.order_key || label_cursor.slots != label_before.slots)
        ANNODB_RETURN_IF_ERROR(queue::SetCursor(txn, project_id, member_id, Lane::kLabel, label_cursor));
    }
    return Status::OK();
  });
}

namespace queue {

Status Reclaim(WriteTxn& txn, Counts& counts, uint32_t* reclaimed) {
  if (reclaimed) *reclaimed = 0;
  int64_t now = txn.now_us();
  std::string now_key = ExpiryKey(now, UINT64_MAX);
  for (;;) {
    std::vector<uint64_t> due;
    ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLeaseByExpiry, "", "", [&](std::string_view key, std::string_view) {
      if (key > now_key || key.size() != 16) return false;
      due.push_back(DecodeU64(key.data() + 8));
      return due.size() < 4096;
    }));
    for (uint64_t id : due) {
      LeaseRecord l;
      ANNODB_RETURN_IF_ERROR(LoadLease(txn, id, &l));
      if (l.state != LeaseState::Active)
        return Status::Corruption("lease " + std::to_string(id) + " is in the expiry index but not active");
      ANNODB_RETURN_IF_ERROR(EndLease(txn, counts, &l, LeaseState::Expired, ""));
      ANNODB_RETURN_IF_ERROR(ReturnTask(txn, counts, l, Touch::kNone));
    }
    if (reclaimed) *reclaimed += static_cast<uint32_t>(due.size());
    if (due.size() < 4096) return Status::OK();
  }
}

}  // namespace queue

Status ReclaimExpired(WriteTxn& txn, uint32_t* reclaimed) {
  return queue::WithCounts(txn, [&](queue::Counts& counts) { return queue::Reclaim(txn, counts, reclaimed); });
}

Status RenewLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, int64_t* expires_us) {
  return queue::WithCounts(txn, [&](queue::Counts& counts) -> Status {
    LeaseRecord l;
    ANNODB_RETURN_IF_ERROR(queue::CheckActiveLease(txn, counts, lease_id, token, &l));
    return RenewOne(txn, &l, expires_us);
  });
}

Status Heartbeat(WriteTxn& txn, uint64_t member_id, uint32_t* renewed) {
  if (renewed) *renewed = 0;
  return queue::WithCounts(txn, [&](queue::Counts& counts) -> Status {
    ANNODB_RETURN_IF_ERROR(queue::Reclaim(txn, counts, nullptr));
    MemberInfo m;
    ANNODB_RETURN_IF_ERROR(GetMember(txn, member_id, &m));
    std::vector<uint64_t> ids;
    std::string prefix = KeyBuilder().U64(member_id).str();
    ANNODB_RETURN_IF_ERROR(
        txn.IndexScan(Index::kLeaseByMember, prefix, prefix, [&](std::string_view k, std::string_view) {
          if (k.size() == 16) ids.push_back(DecodeU64(k.data() + 8));
          return true;
        }));
    for (uint64_t id : ids) {
      LeaseRecord l;
      ANNODB_RETURN_IF_ERROR(queue::LoadLease(txn, id, &l));
      ANNODB_RETURN_IF_ERROR(RenewOne(txn, &l, nullptr));
    }
    if (renewed) *renewed = static_cast<uint32_t>(ids.size());
    return Status::OK();
  });
}

Status ReleaseLease(WriteTxn& txn, uint64_t lease_id, uint64_t token) {
  return queue::WithCounts(txn, [&](queue::Counts& counts) -> Status {
    LeaseRecord l;
    ANNODB_RETURN_IF_ERROR(queue::CheckActiveLease(txn, counts, lease_id, token, &l));
    ANNODB_RETURN_IF_ERROR(queue::EndLease(txn, counts, &l, LeaseState::Released, ""));
    return queue::ReturnTask(txn, counts, l, Touch::kNone);
  });
}

Status SkipLease(WriteTxn& txn, uint64_t lease_id, uint64_t token, const std::string& reason) {
  if (reason.empty() || reason.size() > 1000)
    return Status::InvalidArgument("a skip needs a reason of 1..1000 bytes");
  return queue::WithCounts(txn, [&](queue::Counts& counts) -> Status {
    LeaseRecord l;
    ANNODB_RETURN_IF_ERROR(queue::CheckActiveLease(txn, counts, lease_id, token, &l));
    ANNODB_RETURN_IF_ERROR(queue::EndLease(txn, counts, &l, LeaseState::Skipped, reason));
    return queue::ReturnTask(txn, counts, l, l.stage == Stage::Review ? Touch::kSkippedReview : Touch::kSkipped);
  });
}

}  // namespace annodb
