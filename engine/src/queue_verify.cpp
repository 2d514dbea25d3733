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
  std::map<std::pair<uint64_t, uint64_t>, CounterValues> counts;  // (project, member) -> recount
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
    CounterValues& pc = counts[{p, 0}];
    ++pc[static_cast<size_t>(Counter::kTasks)];
    if (lane == Lane::kLabel) ++pc[static_cast<size_t>(Counter::kReady)];
    Counter stage = t.gold ? Counter::kGold
                    : t.stage == Stage::Label ? Counter::kLabelStage
                    : t.stage == Stage::Review ? Counter::kReview
                                               : Counter::kDone;
    ++pc[static_cast<size_t>(stage)];
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
  auto slot = [](Counter c) { return static_cast<size_t>(c); };
  for (const auto& [p, n] : label_leases) counts[{p, 0}][slot(Counter::kLeased)] = n;
  for (const auto& [p, n] : review_leases) counts[{p, 0}][slot(Counter::kReviewLeased)] = n;
  for (const auto& [pm, n] : leased_by) counts[pm][slot(Counter::kLeased)] = n;
  // Every stored counter of the kinds recounted here must match, and every
  // recounted value must be stored (history counters are not recounted).
  auto recounted = [](size_t c, bool member) {
    if (member) return c == static_cast<size_t>(Counter::kLeased);
    return c <= static_cast<size_t>(Counter::kGold);
  };
  std::map<std::pair<uint64_t, uint64_t>, CounterValues> stored;
  uint64_t malformed = 0;
  std::vector<std::pair<uint64_t, uint64_t>> both;
  ANNODB_RETURN_IF_ERROR(ReadAllCounts(txn, 0, &stored, &malformed, &both));
  for (uint64_t i = 0; i < malformed; ++i) problem("malformed counter entry");
  for (const auto& [p, m] : both)
    problem("counters of project " + std::to_string(p) + ", member " + std::to_string(m) +
            " are stored in both the record and the per-counter layout");
  CounterValues zero{};
  for (const auto& [pm, values] : stored) {
    ++*checked;
    auto it = counts.find(pm);
    const CounterValues& expected = it == counts.end() ? zero : it->second;
    for (size_t c = 0; c < kCounterCount; ++c) {
      if (!recounted(c, pm.second != 0) || values[c] == expected[c]) continue;
      problem("counter " + std::to_string(c) + " of project " + std::to_string(pm.first) +
              (pm.second ? ", member " + std::to_string(pm.second) : std::string()) + " is " +
              std::to_string(values[c]) + ", recount says " + std::to_string(expected[c]));
    }
    if (it != counts.end()) counts.erase(it);
  }
  for (const auto& [pm, values] : counts)
    for (size_t c = 0; c < kCounterCount; ++c)
      if (values[c] != 0)
        problem("counter " + std::to_string(c) + " of project " + std::to_string(pm.first) +
                (pm.second ? ", member " + std::to_string(pm.second) : std::string()) + " is missing (recount " +
                std::to_string(values[c]) + ")");
  return Status::OK();
}

}  // namespace annodb::queue
