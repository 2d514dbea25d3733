// The queue counters: one record per (project, member), written once per
// operation; stores with the earlier per-counter entries; rollback of a
// failed operation, alone and inside a group commit.
#include <catch2/catch.hpp>

#include <mutex>
#include <thread>

#include "annodb/keys.h"
#include "queue_fixture.h"

using namespace annodb;
using namespace annodb::test;

namespace {

// Every kQueueCounts key, as (size, project, member).
std::vector<std::tuple<size_t, uint64_t, uint64_t>> CountKeys(QueueFixture& f) {
  std::vector<std::tuple<size_t, uint64_t, uint64_t>> keys;
  Check(f.store->Read([&](ReadTxn& t) {
    return t.IndexScan(Index::kQueueCounts, "", "", [&](std::string_view k, std::string_view) {
      keys.emplace_back(k.size(), DecodeU64(k.data()), DecodeU64(k.data() + k.size() - 8));
      return true;
    });
  }));
  return keys;
}

bool SameStats(const QueueStatsInfo& a, const QueueStatsInfo& b) {
  if (a.tasks != b.tasks || a.ready != b.ready || a.label_stage != b.label_stage || a.leased != b.leased ||
      a.review != b.review || a.review_leased != b.review_leased || a.done != b.done || a.gold != b.gold ||
      a.members.size() != b.members.size())
    return false;
  for (size_t i = 0; i < a.members.size(); ++i) {
    const MemberQueueStats &x = a.members[i], &y = b.members[i];
    if (x.member_id != y.member_id || x.leased != y.leased || x.submitted != y.submitted || x.skipped != y.skipped ||
        x.released != y.released || x.expired != y.expired || x.reviewed != y.reviewed)
      return false;
  }
  return true;
}

// Rewrites every counters record as the per-counter entries a store written
// before the one-record layout holds: key (project, counter u8, member),
// value u64 big-endian, zeros included.
void ToLegacyLayout(QueueFixture& f) {
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    std::vector<std::pair<std::string, std::string>> records;
    ANNODB_RETURN_IF_ERROR(t.IndexScan(Index::kQueueCounts, "", "", [&](std::string_view k, std::string_view v) {
      records.emplace_back(std::string(k), std::string(v));
      return true;
    }));
    for (const auto& [k, v] : records) {
      REQUIRE(k.size() == 16);
      REQUIRE(v.size() == 1 + 8 * 13);
      ANNODB_RETURN_IF_ERROR(t.IndexDelete(Index::kQueueCounts, k));
      for (uint8_t c = 0; c < 13; ++c) {
        uint64_t n = DecodeU64(v.data() + 1 + 8 * c);
        std::string key = KeyBuilder().U64(DecodeU64(k.data())).U8(c).U64(DecodeU64(k.data() + 8)).str();
        ANNODB_RETURN_IF_ERROR(t.IndexPut(Index::kQueueCounts, key, EncodeU64(n)));
      }
    }
    return Status::OK();
  }));
}

}  // namespace

TEST_CASE("queue counters: one record per project and per member") {
  ProjectSettings s;
  s.overlap = 2;
  QueueFixture f(4, s);
  f.Enqueue();
  auto a = f.Lease("alice", 2);
  auto b = f.Lease("bob", 1);
  Check(f.Submit(a[0]));
  auto keys = CountKeys(f);
  REQUIRE(keys.size() == 3);  // the project's, alice's, bob's
  for (const auto& [size, project, member] : keys) {
    CHECK(size == 16);
    CHECK(project == f.project);
    CHECK((member == 0 || member == f.M("alice") || member == f.M("bob")));
  }
  QueueStatsInfo st = f.Stats();
  CHECK(st.tasks == 4);
  CHECK(st.leased == 2);
  CHECK(st.ready == 3);  // the submitted task still needs one more label; one is held twice
  REQUIRE(st.members.size() == 2);
  CHECK(st.members[0].member_id == f.M("alice"));
  CHECK(st.members[0].leased == 1);
  CHECK(st.members[0].submitted == 1);
  CHECK(st.members[1].leased == 1);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("queue counters in the earlier per-counter layout read correctly and convert on the next change") {
  ProjectSettings s;
  s.overlap = 2;
  QueueFixture f(6, s);
  f.Enqueue();
  auto a = f.Lease("alice", 2);
  auto b = f.Lease("bob", 2);
  Check(f.Submit(a[0]));
  Check(f.Submit(b[0]));
  QueueStatsInfo before = f.Stats();
  ToLegacyLayout(f);
  for (const auto& [size, project, member] : CountKeys(f)) CHECK(size == 17);
  CHECK(SameStats(f.Stats(), before));
  CHECK(f.VerifyProblems().empty());

  // alice's submit changes the project's and alice's counters: those two
  // become records, bob's entries stay as they were until bob's next change.
  Check(f.Submit(a[1]));
  size_t records = 0, legacy = 0;
  for (const auto& [size, project, member] : CountKeys(f)) {
    if (size == 16) {
      ++records;
      CHECK((member == 0 || member == f.M("alice")));
    } else {
      ++legacy;
      CHECK(member == f.M("bob"));
    }
  }
  CHECK(records == 2);
  CHECK(legacy == 13);
  QueueStatsInfo after = f.Stats();
  CHECK(after.members[0].submitted == 2);
  CHECK(after.members[0].leased == 0);
  CHECK(after.members[1].submitted == 1);
  CHECK(after.members[1].leased == 1);
  CHECK(after.leased == 1);
  CHECK(f.VerifyProblems().empty());

  Check(f.Submit(b[1]));
  for (const auto& [size, project, member] : CountKeys(f)) CHECK(size == 16);
  CHECK(f.Stats().members[1].submitted == 2);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("a failed queue operation leaves no counter change behind") {
  QueueFixture f(3);
  f.Enqueue();
  auto a = f.Lease("alice", 1);
  QueueStatsInfo before = f.Stats();
  // An invalid label: the submit fails in PutLabel.
  CHECK(f.Submit(a[0], "hail").code() == Code::kInvalidArgument);
  CHECK(SameStats(f.Stats(), before));
  // Writes whose queue operation succeeds (its counters flushed into the
  // transaction) and which then fail for their own reason.
  Status s = f.store->Write(Actor::Person("alice"), [&](WriteTxn& t) -> Status {
    ANNODB_RETURN_IF_ERROR(SubmitLease(t, a[0].lease_id, a[0].token, QueueFixture::Weather("rain"), nullptr));
    return Status::Conflict("changed my mind");
  });
  CHECK(s.code() == Code::kConflict);
  CHECK(SameStats(f.Stats(), before));
  s = f.store->Write(Actor::Person("bob"), [&](WriteTxn& t) -> Status {
    std::vector<LeaseGrant> g;
    ANNODB_RETURN_IF_ERROR(LeaseTasks(t, f.project, f.M("bob"), 1, LeaseLane::kAuto, &g));
    return Status::Conflict("changed my mind");
  });
  CHECK(s.code() == Code::kConflict);
  CHECK(SameStats(f.Stats(), before));
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("group commit: failing queue requests roll back alone, the counters stay exact") {
  ProjectSettings s;
  s.overlap = 2;
  QueueFixture f(200, s, {{"m0", Role::Labeler}, {"m1", Role::Labeler}, {"m2", Role::Labeler}, {"m3", Role::Labeler},
                          {"m4", Role::Labeler}, {"m5", Role::Labeler}, {"m6", Role::Labeler}, {"m7", Role::Labeler}});
  f.Enqueue();
  // Catch2 assertions are not thread-safe: the workers record, the test checks.
  std::mutex mu;
  std::map<std::string, uint64_t> submitted;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      std::string name = "m" + std::to_string(w);
      auto fail = [&](const std::string& what) {
        std::lock_guard<std::mutex> l(mu);
        errors.push_back(name + ": " + what);
      };
      for (int i = 0; i < 12; ++i) {
        std::vector<LeaseGrant> g;
        Status ls = f.store->WriteGrouped(Actor::Person(name), [&](WriteTxn& t) {
          return LeaseTasks(t, f.project, f.M(name), 1, LeaseLane::kAuto, &g);
        });
        if (!ls.ok() || g.size() != 1) return fail("lease: " + ls.ToString());
        // Every third submit carries an invalid label and fails inside the
        // batch; the lease stays active and is released instead.
        bool bad = (i + w) % 3 == 0;
        Status ss = f.store->WriteGrouped(Actor::Person(name), [&](WriteTxn& t) {
          return SubmitLease(t, g[0].lease_id, g[0].token, QueueFixture::Weather(bad ? "hail" : "rain"), nullptr);
        });
        if (bad) {
          if (ss.code() != Code::kInvalidArgument) return fail("bad submit: " + ss.ToString());
          Status rs = f.store->WriteGrouped(Actor::Person(name),
                                            [&](WriteTxn& t) { return ReleaseLease(t, g[0].lease_id, g[0].token); });
          if (!rs.ok()) return fail("release: " + rs.ToString());
        } else {
          if (!ss.ok()) return fail("submit: " + ss.ToString());
          std::lock_guard<std::mutex> l(mu);
          ++submitted[name];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) FAIL_CHECK(e);
  QueueStatsInfo st = f.Stats();
  CHECK(st.leased == 0);
  REQUIRE(st.members.size() == 8);
  for (const MemberQueueStats& m : st.members) {
    std::string name;
    for (const auto& [n, id] : f.members)
      if (id == m.member_id) name = n;
    CHECK(m.submitted == submitted[name]);
    CHECK(m.leased == 0);
    CHECK(m.released == 12 - submitted[name]);
  }
  CHECK(f.VerifyProblems().empty());
}
