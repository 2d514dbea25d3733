// Review stage (accept, reject and rework) and gold tasks.
#include <catch2/catch.hpp>

#include "annodb/comments.h"
#include "queue_fixture.h"

using namespace annodb;
using namespace annodb::test;

namespace {

LabelStatus StatusOf(QueueFixture& f, uint64_t label) {
  LabelStatus st = LabelStatus::Draft;
  Check(f.store->Read([&](ReadTxn& t) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Label, label, &v));
    st = v.As<fb::Label>()->status();
    return Status::OK();
  }));
  return st;
}

Status Review(QueueFixture& f, const LeaseGrant& g, bool accept, const std::string& comment = "",
              std::vector<uint64_t> labels = {}, std::vector<uint64_t>* comments = nullptr) {
  return f.store->Write(Actor::System(), [&](WriteTxn& t) {
    ReviewInput in;
    in.accept = accept;
    in.comment = comment;
    in.reject_label_ids = labels;
    return ReviewLease(t, g.lease_id, g.token, in, comments);
  });
}

}  // namespace

TEST_CASE("review: accept finishes the task and accepts its labels") {
  ProjectSettings s;
  s.overlap = 2;
  s.review_fraction = 1;
  QueueFixture f(2, s);
  f.Enqueue();
  CHECK(f.Lease("rita", 1).empty());  // nothing to review yet
  auto a = f.Lease("alice", 1);
  auto b = f.Lease("bob", 1);
  uint64_t la = 0, lb = 0;
  Check(f.Submit(a[0], "rain", &la));
  Check(f.Submit(b[0], "rain", &lb));
  CHECK(f.Task(f.assets[0]).stage == Stage::Review);
  // A labeller of the task is never its reviewer.
  CHECK(f.Lease("alice", 1, LeaseLane::kReview).empty());
  auto r = f.Lease("rita", 5);
  REQUIRE(r.size() == 1);
  CHECK(r[0].stage == Stage::Review);
  CHECK(f.Lease("carol", 1, LeaseLane::kReview).empty());  // one reviewer at a time
  CHECK(f.Submit(r[0]).code() == Code::kConflict);          // a review lease takes no label
  CHECK(f.Stats().review_leased == 1);
  Check(Review(f, r[0], true));
  CHECK(f.Task(f.assets[0]).stage == Stage::Done);
  CHECK(StatusOf(f, la) == LabelStatus::Accepted);
  CHECK(StatusOf(f, lb) == LabelStatus::Accepted);
  CHECK(Review(f, r[0], true).code() == Code::kConflict);  // finished already
  auto st = f.Stats();
  CHECK(st.done == 1);
  CHECK(st.review == 0);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("review: reject opens an issue on the label and sends the task back for rework") {
  ProjectSettings s;
  s.review_fraction = 1;
  QueueFixture f(1, s);
  f.Enqueue();
  auto a = f.Lease("alice", 1);
  uint64_t la = 0;
  Check(f.Submit(a[0], "rain", &la));
  auto r = f.Lease("rita", 1);
  REQUIRE(r.size() == 1);
  uint64_t seq = f.Sequence();
  CHECK(Review(f, r[0], false, "").code() == Code::kInvalidArgument);  // a reject needs a comment
  CHECK(Review(f, r[0], false, "wrong", {la + 100}).code() == Code::kInvalidArgument);
  CHECK(f.Sequence() == seq);
  std::vector<uint64_t> comments;
  Check(Review(f, r[0], false, "It is snowing: look at the roofs", {}, &comments));
  REQUIRE(comments.size() == 1);
  CHECK(StatusOf(f, la) == LabelStatus::Rejected);
  CommentInfo ci;
  Check(f.store->Read([&](ReadTxn& t) { return GetComment(t, comments[0], kCurrent, &ci); }));
  CHECK(ci.input.label_id == la);
  CHECK(ci.input.issue);
  CHECK(ci.input.author_member_id == f.M("rita"));
  TaskInfo t = f.Task(f.assets[0]);
  CHECK(t.stage == Stage::Label);
  CHECK(t.submitted == 0);
  // Alice reworks: her label is updated, not duplicated.
  auto again = f.Lease("alice", 1);
  REQUIRE(again.size() == 1);
  uint64_t la2 = 0;
  Check(f.Submit(again[0], "snow", &la2));
  CHECK(la2 == la);
  CHECK(StatusOf(f, la) == LabelStatus::Submitted);
  CHECK(f.Task(f.assets[0]).stage == Stage::Review);
  auto r2 = f.Lease("rita", 1);
  REQUIRE(r2.size() == 1);
  Check(Review(f, r2[0], true));
  CHECK(StatusOf(f, la) == LabelStatus::Accepted);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("review: an expired review lease returns the task to the review lane") {
  ProjectSettings s;
  s.review_fraction = 1;
  QueueFixture f(1, s);
  f.Enqueue();
  auto a = f.Lease("alice", 1);
  Check(f.Submit(a[0]));
  auto r = f.Lease("rita", 1);
  f.Advance(4000);
  CHECK(Review(f, r[0], true).code() == Code::kConflict);
  auto r2 = f.Lease("rita", 1);
  REQUIRE(r2.size() == 1);
  CHECK(r2[0].asset_id == f.assets[0]);
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) { return SkipLease(t, r2[0].lease_id, 0, "conflict of interest"); }));
  CHECK(f.Lease("rita", 1).empty());  // a skipped review is not offered again
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("review fraction samples a stable share of the tasks") {
  ProjectSettings s;
  s.review_fraction = 0.5f;
  QueueFixture f(200, s);
  f.Enqueue();
  for (int i = 0; i < 20; ++i) {
    auto g = f.Lease("alice", 10);
    for (auto& x : g) Check(f.Submit(x));
  }
  auto st = f.Stats();
  CHECK(st.review + st.done == 200);
  CHECK(st.review > 70);  // binomial(200, 0.5): 70..130 holds with probability > 0.9999
  CHECK(st.review < 130);
  CHECK(f.VerifyProblems().empty());
}

TEST_CASE("gold tasks are mixed into each member's stream at the gold rate") {
  ProjectSettings s;
  s.gold_rate = 0.25f;
  QueueFixture f(40, s);
  // Assets 0..4 have gold labels.
  Check(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    for (int i = 0; i < 5; ++i) {
      LabelInput l;
      l.project_id = f.project;
      l.asset_id = f.assets[i];
      l.source = LabelSource::Gold;
      l.author_member_id = f.M("rita");
      AnnotationInput a;
      a.feature = "weather";
      a.value = "sunny";
      l.annotations.push_back(a);
      ANNODB_RETURN_IF_ERROR(PutLabel(t, l, nullptr, nullptr));
    }
    return Status::OK();
  }));
  auto r = f.Enqueue();
  CHECK(r.gold == 5);
  CHECK(f.Stats().gold == 5);
  auto g = f.Lease("alice", 8);
  REQUIRE(g.size() == 8);
  int gold = 0;
  for (auto& x : g) {
    if (x.gold) {
      ++gold;
      CHECK(x.asset_id <= f.assets[4]);
    }
    Check(f.Submit(x));
  }
  CHECK(gold == 2);
  // Bob gets gold too (gold tasks are for everyone), never the same one twice.
  std::set<uint64_t> bob_gold;
  for (int i = 0; i < 5; ++i) {
    auto b = f.Lease("bob", 4);
    for (auto& x : b) {
      if (x.gold) CHECK(bob_gold.insert(x.asset_id).second);
      Check(f.Submit(x));
    }
  }
  CHECK(bob_gold.size() == 5);
  // Gold tasks never finish; the member's label is stored for scoring.
  CHECK(f.Task(f.assets[0]).stage == Stage::Label);
  CHECK(f.Task(f.assets[0]).submitted == 2);
  CHECK(f.VerifyProblems().empty());
}
