// Verifies the queue's state against its leases: every active lease is
// indexed by expiry and member and held by its task; every task's holder
// counts, lane entries and touches agree; the counters equal a recount.
#include <map>
#include <set>

#include "annodb/keys.h"
#include "queue_state.h"
#include "queue_verify.h"

namespace annodb::queue {

Status VerifyQueue(const ReadTxn& txn, std::vector<std::string>* problems, uint64_t* checked) {
  auto problem = [&](std::string p) { problems->push_back("queue: " + std::move(p)); };
  // Active leases, from the member index; each must be in the expiry index.
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> label_holds, review_holds;  // (project, asset)
  std::set<std::tuple<uint64_t, uint64_t, uint64_t>> holding;                   // (project, asset, member)
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> leased_by;                  // (project, member) -> n
  std::map<uint64_t, uint64_t> label_leases, review_leases;                     // project -> n
  std::vector<uint64_t> active;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLeaseByMember, "", "", [&](std::string_view k, std::string_view) {
    if (k.size() == 16) active.push_back(DecodeU64(k.data() + 8));
    else problem("malformed lease_by_member key");
    return true;
  }));
  for (uint64_t id : active) {
    ++*checked;
    LeaseRecord l;
    Status s = LoadLease(txn, id, &l);
    if (!s.ok()) {
      problem("lease " + std::to_string(id) + " in lease_by_member: " + s.message());
      continue;
    }
    if (l.state != LeaseState::Active) problem("lease " + std::to_string(id) + " is indexed as active but is " + LeaseStateName(l.state));
    std::string_view v;
    if (!txn.IndexGet(Index::kLeaseByExpiry, ExpiryKey(l.expires_us, id), &v).ok())
      problem("active lease " + std::to_string(id) + " is missing from the expiry index");
    if (l.stage == Stage::Review) {
      ++review_holds[{l.project_id, l.asset_id}];
      ++review_leases[l.project_id];
    } else {
      ++label_holds[{l.project_id, l.asset_id}];
      ++label_leases[l.project_id];
      holding.insert({l.project_id, l.asset_id, l.member_id});
    }
    ++leased_by[{l.project_id, l.member_id}];
  }
  uint64_t expiry_entries = 0;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLeaseByExpiry, "", "", [&](std::string_view, std::string_view) {
    ++expiry_entries;
    return true;
  }));
  if (expiry_entries != active.size())
    problem("expiry index has " + std::to_string(expiry_entries) + " entries for " + std::to_string(active.size()) +
            " active leases");
  // Touches: kHolding exactly for active label leases.
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueTouch, "", "", [&](std::string_view k, std::string_view v) {
    ++*checked;
    if (k.size() != 24 || v.size() != 1) {
      problem("malformed touch entry");
      return true;
    }
    auto key = std::make_tuple(DecodeU64(k.data()), DecodeU64(k.data() + 8), DecodeU64(k.data() + 16));
    bool holds = static_cast<Touch>(v[0]) == Touch::kHolding;
    if (holds != (holding.count(key) > 0))
      problem("touch of member " + std::to_string(std::get<2>(key)) + " on asset " + std::to_string(std::get<1>(key)) +
              (holds ? " says holding without an active lease" : " does not say holding"));
    holding.erase(key);
    return true;
  }));
  for (const auto& h : holding)
    problem("active lease of member " + std::to_string(std::get<2>(h)) + " on asset " + std::to_string(std::get<1>(h)) +
            " has no holding touch");
  // Tasks against holds, lanes and counters.
  std::map<std::string, uint64_t> counts;  // CountKey -> expected
  std::set<std::string> lane_entries;
  std::map<uint64_t, QueueSettings> settings;
  Status inner;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueTask, "", "", [&](std::string_view k, std::string_view v) {
    ++*checked;
    Task t;
    if (k.size() != 16 || !DecodeTask(v, &t)) {
      problem("malformed task entry");
      return true;
    }
    uint64_t p = DecodeU64(k.data()), a = DecodeU64(k.data() + 8);
    if (!settings.count(p)) {
      inner = LoadSettings(txn, p, &settings[p]);
      if (!inner.ok()) return false;
    }
    const QueueSettings& qs = settings[p];
    std::string what = "task (project " + std::to_string(p) + ", asset " + std::to_string(a) + ")";
    if (t.holders != label_holds[{p, a}])
      problem(what + " counts " + std::to_string(t.holders) + " holders, active leases say " +
              std::to_string(label_holds[{p, a}]));
    if (t.reviewing != review_holds[{p, a}]) problem(what + " reviewer count disagrees with active review leases");
    if (!t.gold && t.stage == Stage::Label && t.submitted + t.holders > qs.overlap)
      problem(what + " is held beyond its overlap");
    if (!t.gold && t.stage != Stage::Label && t.submitted < qs.overlap) problem(what + " left the label stage early");
    Lane lane = LaneOf(t, qs.overlap);
    if (lane != Lane::kNone) lane_entries.insert(LanePrefix(p, lane) + OrderKey(t.priority, t.batch, a));
    ++counts[CountKey(p, Counter::kTasks, 0)];
    if (lane == Lane::kLabel) ++counts[CountKey(p, Counter::kReady, 0)];
    Counter stage = t.gold ? Counter::kGold
                    : t.stage == Stage::Label ? Counter::kLabelStage
                    : t.stage == Stage::Review ? Counter::kReview
                                               : Counter::kDone;
    ++counts[CountKey(p, stage, 0)];
    return true;
  }));
  ANNODB_RETURN_IF_ERROR(inner);
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueReady, "", "", [&](std::string_view k, std::string_view) {
    ++*checked;
    if (!lane_entries.erase(std::string(k))) problem("ready lane holds an entry no task places there");
    return true;
  }));
  for (size_t i = 0; i < lane_entries.size(); ++i) problem("a ready task is missing from its lane");
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueAhead, "", "", [&](std::string_view k, std::string_view) {
    ++*checked;
    std::string_view v;
    if (!txn.IndexGet(Index::kQueueReady, k, &v).ok()) problem("ahead index holds a task that is not ready");
    return true;
  }));
  for (const auto& [p, n] : label_leases) counts[CountKey(p, Counter::kLeased, 0)] = n;
  for (const auto& [p, n] : review_leases) counts[CountKey(p, Counter::kReviewLeased, 0)] = n;
  for (const auto& [pm, n] : leased_by) counts[CountKey(pm.first, Counter::kLeased, pm.second)] = n;
  // Every stored counter of the kinds recounted here must match, and every
  // recounted value must be stored (history counters are not recounted).
  auto recounted = [](Counter c, bool member) {
    if (member) return c == Counter::kLeased;
    return c <= Counter::kGold;
  };
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kQueueCounts, "", "", [&](std::string_view k, std::string_view v) {
    if (k.size() != 17 || v.size() != 8) {
      problem("malformed counter entry");
      return true;
    }
    auto c = static_cast<Counter>(static_cast<uint8_t>(k[8]));
    if (!recounted(c, DecodeU64(k.data() + 9) != 0)) return true;
    auto it = counts.find(std::string(k));
    uint64_t expected = it == counts.end() ? 0 : it->second;
    if (DecodeU64(v.data()) != expected)
      problem("counter " + std::to_string(static_cast<int>(c)) + " of project " + std::to_string(DecodeU64(k.data())) +
              " is " + std::to_string(DecodeU64(v.data())) + ", recount says " + std::to_string(expected));
    if (it != counts.end()) counts.erase(it);
    return true;
  }));
  for (const auto& [k, n] : counts)
    if (n != 0) problem("counter " + std::to_string(static_cast<int>(k[8])) + " is missing (recount " + std::to_string(n) + ")");
  return Status::OK();
}

}  // namespace annodb::queue
