// The queue's leasing rules, with the injectable clock (no sleeping).
#include <catch2/catch.hpp>

#include <set>

#include "queue_fixture.h"

using namespace annodb;
using namespace annodb::test;

TEST_CASE("a lease takes the highest priority first, ties in queue order, with increasing tokens") {
  QueueFixture f(6);
  f.Enqueue(1.0);  // batch 1: all six at priority 1
  // Raise the last asset; lower the first.
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(SetTaskPriority(t, f.project, f.assets[5], 9.5));
    return SetTaskPriority(t, f.project, f.assets[0], -3);
  }));
  auto g = f.Lease("alice", 6);
  REQUIRE(g.size() == 6);
  std::vector<uint64_t> got;
  for (const auto& x : g) got.push_back(x.asset_id);
  CHECK(got == std::vector<uint64_t>{f.assets[5], f.assets[1], f.assets[2], f.assets[3], f.assets[4], f.assets[0]});
  for (size_t i = 1; i < g.size(); ++i) CHECK(g[i].token > g[i - 1].token);
  CHECK(g[0].expires_us == f.now.load() + int64_t{1800} * 1000000);
  CHECK(g[0].stage == Stage::Label);
  // Tokens keep increasing across transactions and members.
  QueueFixture f2(3);
  f2.Enqueue();
  auto a = f2.Lease("alice", 1);
  auto b = f2.Lease("bob", 1);
  CHECK(b[0].token > a[0].token);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("a lease of n tasks is one transaction") {
  QueueFixture f(10);
  f.Enqueue();
  uint64_t before = f.Sequence();
  auto g = f.Lease("alice", 7);
  CHECK(g.size() == 7);
  CHECK(f.Sequence() == before + 1);
}

TEST_CASE("overlap: a task goes to at most K distinct members and leaves the label stage at K labels") {
  ProjectSettings s;
  s.overlap = 2;
  QueueFixture f(1, s);
  f.Enqueue();
  auto a = f.Lease("alice", 5);
  REQUIRE(a.size() == 1);
  CHECK(f.Lease("alice", 5).empty());  // she holds it
  auto b = f.Lease("bob", 5);
  REQUIRE(b.size() == 1);
  CHECK(f.Lease("carol", 5).empty());  // two holders = overlap
  CHECK(f.Task(f.assets[0]).holders == 2);
  Check(f.Submit(a[0], "rain"));
  CHECK(f.Lease("alice", 5).empty());  // she labelled it
  CHECK(f.Lease("carol", 5).empty());  // one label + one holder = overlap
  Check(f.Submit(b[0], "rain"));
  TaskInfo t = f.Task(f.assets[0]);
  CHECK(t.stage == Stage::Done);
  CHECK(t.submitted == 2);
  CHECK(f.Lease("carol", 5).empty());
  auto st = f.Stats();
  CHECK(st.done == 1);
  CHECK(st.ready == 0);
  CHECK(st.leased == 0);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("only active members receive work, and max_leases caps what a member holds") {
  ProjectSettings s;
  s.max_leases = 3;
  QueueFixture f(10, s);
  f.Enqueue();
  CHECK(f.Lease("alice", 10).size() == 3);
  CHECK(f.Lease("alice", 10).empty());
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    return UpdateMember(t, f.M("bob"), Role::Labeler, false, nullptr);
  }));
  std::vector<LeaseGrant> g;
  Status st = f.TryLease("bob", 1, &g);
  CHECK(st.code() == Code::kConflict);
  CHECK(st.message().find("not active") != std::string::npos);
  CHECK(g.empty());
}

TEST_CASE("bad lease arguments are refused and change nothing") {
  QueueFixture f(3);
  f.Enqueue();
  uint64_t seq = f.Sequence();
  std::vector<LeaseGrant> g;
  CHECK(f.TryLease("alice", 0, &g).code() == Code::kInvalidArgument);
  CHECK(f.TryLease("alice", 1001, &g).code() == Code::kInvalidArgument);
  Status s = f.store->Write(Actor::System(), [&](WriteTxn& t) { return LeaseTasks(t, f.project, 999, 1, LeaseLane::kAuto, &g); });
  CHECK(s.IsNotFound());
  s = f.store->Write(Actor::System(), [&](WriteTxn& t) { return LeaseTasks(t, 999, f.M("alice"), 1, LeaseLane::kAuto, &g); });
  CHECK(s.IsNotFound());
  s = f.store->Write(Actor::System(), [&](WriteTxn& t) { return LeaseTasks(t, f.project, f.M("alice"), 1, LeaseLane::kAuto, nullptr); });
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(f.Sequence() == seq);
}

TEST_CASE("an expired lease returns its task at the next queue operation, and its submit is refused") {
  QueueFixture f(1);
  f.Enqueue();
  auto a = f.Lease("alice", 1);
  REQUIRE(a.size() == 1);
  CHECK(f.Lease("bob", 1).empty());
  f.Advance(1800);  // exactly at expiry: expired
  auto st = f.Stats();
  CHECK(st.expired_unreclaimed == 1);
  uint64_t seq = f.Sequence();
  Status s = f.Submit(a[0]);
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message().find("expired") != std::string::npos);
  CHECK(f.Sequence() == seq);  // the refused submit changed nothing (not even the reclaim)
  auto b = f.Lease("bob", 1);
  REQUIRE(b.size() == 1);
  CHECK(b[0].asset_id == a[0].asset_id);
  CHECK(b[0].token > a[0].token);
  LeaseInfo li;
  Check(f.store->Read([&](ReadTxn& t) { return GetLease(t, a[0].lease_id, &li); }));
  CHECK(li.state == LeaseState::Expired);
  // The stale lease stays refused, and a stale token on the live lease too.
  CHECK(f.Submit(a[0]).code() == Code::kConflict);
  CHECK(f.Submit(b[0], "rain", nullptr, a[0].token).code() == Code::kConflict);
  Check(f.Submit(b[0], "rain", nullptr, b[0].token));
  auto stats = f.Stats();
  REQUIRE(stats.members.size() == 2);
  CHECK(stats.members[0].expired == 1);
  CHECK(stats.members[1].submitted == 1);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("the expired holder may take the task again, the expiry being no skip") {
  QueueFixture f(1);
  f.Enqueue();
  auto a = f.Lease("alice", 1);
  f.Advance(2000);
  auto again = f.Lease("alice", 1);
  REQUIRE(again.size() == 1);
  CHECK(again[0].asset_id == a[0].asset_id);
}

TEST_CASE("renew and heartbeat keep leases alive") {
  QueueFixture f(3);
  f.Enqueue();
  auto a = f.Lease("alice", 2);
  f.Advance(1000);
  int64_t exp = 0;
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) { return RenewLease(t, a[0].lease_id, a[0].token, &exp); }));
  CHECK(exp == f.now.load() + int64_t{1800} * 1000000);
  f.Advance(1000);  // a[1] (not renewed) is past expiry; a[0] is not
  CHECK(f.Submit(a[1]).code() == Code::kConflict);
  f.Advance(700);
  uint32_t renewed = 0;
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) { return Heartbeat(t, f.M("alice"), &renewed); }));
  CHECK(renewed == 1);
  f.Advance(1700);
  Check(f.Submit(a[0]));
  // Renewing with a wrong token or a finished lease is refused.
  Status s = f.store->Write(Actor::System(), [&](WriteTxn& t) { return RenewLease(t, a[0].lease_id, 0, nullptr); });
  CHECK(s.code() == Code::kConflict);
  auto b = f.Lease("bob", 1);
  s = f.store->Write(Actor::System(), [&](WriteTxn& t) { return RenewLease(t, b[0].lease_id, b[0].token + 1, nullptr); });
  CHECK(s.code() == Code::kConflict);
  s = f.store->Write(Actor::System(), [&](WriteTxn& t) { return RenewLease(t, 424242, 0, nullptr); });
  CHECK(s.IsNotFound());
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("release gives the task back to anyone; skip records the reason and keeps the member away") {
  QueueFixture f(2);
  f.Enqueue();
  auto a = f.Lease("alice", 1);
  REQUIRE(a[0].asset_id == f.assets[0]);
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) { return ReleaseLease(t, a[0].lease_id, a[0].token); }));
  auto again = f.Lease("alice", 1);
  REQUIRE(again.size() == 1);
  CHECK(again[0].asset_id == f.assets[0]);
  Status s = f.store->Write(Actor::System(), [&](WriteTxn& t) { return SkipLease(t, again[0].lease_id, 0, ""); });
  CHECK(s.code() == Code::kInvalidArgument);
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) { return SkipLease(t, again[0].lease_id, 0, "blurry"); }));
  LeaseInfo li;
  Check(f.store->Read([&](ReadTxn& t) { return GetLease(t, again[0].lease_id, &li); }));
  CHECK(li.state == LeaseState::Skipped);
  CHECK(li.skip_reason == "blurry");
  auto next = f.Lease("alice", 5);
  REQUIRE(next.size() == 1);
  CHECK(next[0].asset_id == f.assets[1]);  // never the skipped one
  auto bob = f.Lease("bob", 5);
  REQUIRE(bob.size() == 1);
  CHECK(bob[0].asset_id == f.assets[0]);
  // A released lease cannot be submitted.
  CHECK(f.Submit(a[0]).code() == Code::kConflict);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("an invalid label in a submit writes nothing and the lease stays active") {
  QueueFixture f(1);
  f.Enqueue();
  auto a = f.Lease("alice", 1);
  uint64_t seq = f.Sequence();
  Status s = f.Submit(a[0], "hail");
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(f.Sequence() == seq);
  uint64_t label = 0;
  Check(f.Submit(a[0], "snow", &label));
  RecordView v;
  Check(f.store->Read([&](ReadTxn& t) {
    ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Label, label, &v));
    CHECK(v.As<fb::Label>()->lease_id() == a[0].lease_id);
    CHECK(v.As<fb::Label>()->author_member_id() == f.M("alice"));
    CHECK(v.provenance()->lease_id() == a[0].lease_id);
    CHECK(v.provenance()->actor_name()->str() == "alice");
    return Status::OK();
  }));
}

TEST_CASE("enqueue: batches, where filters, requeue, and labels already present") {
  ProjectSettings s;
  s.overlap = 2;
  QueueFixture f(6, s);
  // Alice labelled asset 0 before it was queued.
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    LabelInput l;
    l.project_id = f.project;
    l.asset_id = f.assets[0];
    l.author_member_id = f.M("alice");
    AnnotationInput a;
    a.feature = "weather";
    a.value = "rain";
    l.annotations.push_back(a);
    return PutLabel(t, l, nullptr, nullptr);
  }));
  auto r = f.Enqueue(2, {{"camera", "even"}});
  CHECK(r.added == 3);
  CHECK(r.filtered_out == 3);
  CHECK(r.batch_id > 0);
  auto r2 = f.Enqueue(0);
  CHECK(r2.added == 3);
  CHECK(r2.already_queued == 3);
  CHECK(r2.batch_id > r.batch_id);
  CHECK(f.Task(f.assets[0]).submitted == 1);
  auto g = f.Lease("alice", 10);
  std::set<uint64_t> got;
  for (auto& x : g) got.insert(x.asset_id);
  CHECK(g.size() == 5);
  CHECK(!got.count(f.assets[0]));
  // Batch priority: the second batch (odd cameras) jumps ahead for bob.
  uint64_t changed = 0;
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) { return SetBatchPriority(t, f.project, r2.batch_id, 5, &changed); }));
  CHECK(changed == 3);
  auto b = f.Lease("bob", 1);
  CHECK(b[0].asset_id == f.assets[1]);
  Status bad = f.store->Write(Actor::System(), [&](WriteTxn& t) { return SetBatchPriority(t, f.project, 999, 1, nullptr); });
  CHECK(bad.IsNotFound());
  bad = f.store->Write(Actor::System(), [&](WriteTxn& t) { return SetTaskPriority(t, f.project, f.assets[1], std::nan("")); });
  CHECK(bad.code() == Code::kInvalidArgument);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("priority from model scores: lowest confidence first") {
  QueueFixture f(3);
  f.Enqueue();
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    float scores[3] = {0.9f, 0.2f, 0.6f};
    for (int i = 0; i < 3; ++i) {
      LabelInput l;
      l.project_id = f.project;
      l.asset_id = f.assets[i];
      l.source = LabelSource::Model;
      l.model_name = "detr";
      l.model_version = "1";
      AnnotationInput a;
      a.feature = "weather";
      a.value = "sunny";
      a.score = scores[i];
      l.annotations.push_back(a);
      ANNODB_RETURN_IF_ERROR(PutLabel(t, l, nullptr, nullptr));
    }
    return Status::OK();
  }));
  uint64_t changed = 0;
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) { return SetPriorityFromModel(t, f.project, "detr", "", &changed); }));
  CHECK(changed == 3);
  auto g = f.Lease("alice", 3);
  REQUIRE(g.size() == 3);
  CHECK(g[0].asset_id == f.assets[1]);
  CHECK(g[1].asset_id == f.assets[2]);
  CHECK(g[2].asset_id == f.assets[0]);
  CHECK(f.Task(f.assets[1]).priority == Approx(0.8));
}

TEST_CASE("a member far ahead of the rest does not rescan what they already did") {
  ProjectSettings s;
  s.overlap = 3;
  QueueFixture f(600, s);
  f.Enqueue();
  // Alice labels 500 tasks; nobody else has started.
  for (int round = 0; round < 50; ++round) {
    auto g = f.Lease("alice", 10);
    REQUIRE(g.size() == 10);
    for (auto& x : g) Check(f.Submit(x));
  }
  std::vector<LeaseGrant> g;
  LeaseScanStats st;
  Check(f.TryLease("alice", 5, &g, LeaseLane::kAuto, &st));
  REQUIRE(g.size() == 5);
  CHECK(g[0].asset_id == f.assets[500]);
  CHECK(st.examined <= 12);  // not ~500
  // Bob starts at the head; an expired lease of Alice's returns behind her
  // cursor and is found through the ahead index.
  LeaseScanStats bst;
  std::vector<LeaseGrant> b;
  Check(f.TryLease("bob", 3, &b, LeaseLane::kAuto, &bst));
  CHECK(b[0].asset_id == f.assets[0]);
  CHECK(bst.examined <= 6);
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) { return ReleaseLease(t, g[0].lease_id, 0); }));
  auto again = f.Lease("alice", 1);
  REQUIRE(again.size() == 1);
  CHECK(again[0].asset_id == f.assets[500]);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("a lease costs the same with 100 or 20,000 tasks in the backlog") {
  auto cost = [](size_t n) {
    QueueFixture f(n);
    f.Enqueue();
    std::vector<LeaseGrant> g;
    LeaseScanStats st;
    for (int i = 0; i < 5; ++i) {
      st = {};
      Check(f.TryLease("alice", 10, &g, LeaseLane::kAuto, &st));
      for (auto& x : g) Check(f.Submit(x));
    }
    return st.examined;
  };
  uint64_t small = cost(100), large = cost(20000);
  CHECK(small == large);
  CHECK(large <= 12);
}
