// Comments, threads, issues, mentions and inboxes.
#include <catch2/catch.hpp>

#include "annodb/comments.h"
#include "annodb/verify.h"
#include "fixture.h"

using namespace annodb;

namespace {
struct CommentFixture : test::LabelFixture {
  uint64_t label = 0;
  CommentFixture() {
    LabelInput l = Label(img, alice);
    AnnotationInput w;
    w.feature = "weather";
    w.value = "rain";
    l.annotations = {w};
    Status s = store->Write(Actor::Person("alice"), [&](WriteTxn& t) { return PutLabel(t, l, &label, nullptr); });
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
  Status Add(CommentInput in, uint64_t* id = nullptr) {
    return store->Write(Actor::Person("x"), [&](WriteTxn& t) { return AddComment(t, in, id); });
  }
};
}  // namespace

TEST_CASE("mentions are found in Markdown text") {
  CHECK(FindMentions("@alice please look, cc @bob.") == std::vector<std::string>{"alice", "bob"});
  CHECK(FindMentions("mail me at me@example.com").empty());
  CHECK(FindMentions("@alice @alice (@carol)") == std::vector<std::string>{"alice", "carol"});
}

TEST_CASE("an issue on an annotation: mentions, replies, resolve and reopen with history") {
  CommentFixture fx;
  CommentInput in;
  in.label_id = fx.label;
  in.annotation_index = 0;
  in.author_member_id = fx.bob;
  in.body = "This looks like **snow**, @alice";
  in.issue = true;
  in.region_box = Box{10, 10, 50, 50};
  uint64_t root = 0, reply = 0;
  REQUIRE(fx.Add(in, &root).ok());
  CommentInput r;
  r.thread_id = root;
  r.author_member_id = fx.alice;
  r.body = "Agreed, fixing. @bob";
  REQUIRE(fx.Add(r, &reply).ok());
  REQUIRE(fx.store->Read([&](ReadTxn& t) {
    CommentInfo c;
    ANNODB_RETURN_IF_ERROR(GetComment(t, root, kCurrent, &c));
    CHECK(c.issue_state == IssueState::Open);
    CHECK(c.input.asset_id == fx.img);
    CHECK(c.input.project_id == fx.project);
    CHECK(c.mentions == std::vector<uint64_t>{fx.alice});
    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(ListThread(t, root, &ids));
    CHECK(ids == std::vector<uint64_t>{root, reply});
    ANNODB_RETURN_IF_ERROR(ListThreads(t, {fx.img, 0, 0, false}, &ids));
    CHECK(ids == std::vector<uint64_t>{root});
    ANNODB_RETURN_IF_ERROR(ListThreads(t, {0, fx.label, 0, false}, &ids));
    CHECK(ids == std::vector<uint64_t>{root});
    ANNODB_RETURN_IF_ERROR(ListThreads(t, {0, 0, fx.project, true}, &ids));
    CHECK(ids == std::vector<uint64_t>{root});
    std::vector<InboxEntry> inbox;
    ANNODB_RETURN_IF_ERROR(Inbox(t, fx.alice, true, &inbox));
    REQUIRE(inbox.size() == 1);
    CHECK(inbox[0].comment_id == root);
    ANNODB_RETURN_IF_ERROR(Inbox(t, fx.bob, true, &inbox));
    REQUIRE(inbox.size() == 1);
    CHECK(inbox[0].comment_id == reply);
    return Status::OK();
  }).ok());

  REQUIRE(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) { return MarkRead(t, fx.alice, root); }).ok());
  CHECK(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) { return MarkRead(t, fx.alice, reply); }).IsNotFound());
  REQUIRE(fx.store->Write(Actor::Person("bob"), [&](WriteTxn& t) { return ResolveIssue(t, root); }).ok());
  CHECK(fx.store->Write(Actor::Person("bob"), [&](WriteTxn& t) { return ResolveIssue(t, root); }).code() == Code::kConflict);
  CHECK(fx.store->Write(Actor::Person("bob"), [&](WriteTxn& t) { return ResolveIssue(t, reply); }).IsInvalidArgument());
  REQUIRE(fx.store->Write(Actor::Person("carol"), [&](WriteTxn& t) { return ReopenIssue(t, root); }).ok());
  REQUIRE(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) { return EditComment(t, reply, "Fixed now."); }).ok());

  REQUIRE(fx.store->Read([&](ReadTxn& t) {
    std::vector<RecordView> hist;
    ANNODB_RETURN_IF_ERROR(t.History(RecordKind::Comment, root, &hist));
    REQUIRE(hist.size() == 3);  // opened, resolved, reopened
    CHECK(hist[1].As<fb::Comment>()->issue_state() == IssueState::Resolved);
    CHECK(hist[1].DecodeProvenance().actor_name == "bob");
    CHECK(hist[2].As<fb::Comment>()->issue_state() == IssueState::Reopened);
    CHECK(hist[2].DecodeProvenance().actor_name == "carol");
    ANNODB_RETURN_IF_ERROR(t.History(RecordKind::Comment, reply, &hist));
    CHECK(hist.size() == 2);
    CHECK(hist[0].As<fb::Comment>()->body()->str() == "Agreed, fixing. @bob");
    std::vector<InboxEntry> inbox;
    ANNODB_RETURN_IF_ERROR(Inbox(t, fx.alice, false, &inbox));
    CHECK(inbox.size() == 1);
    CHECK(inbox[0].read);
    std::vector<uint64_t> open;
    ANNODB_RETURN_IF_ERROR(ListThreads(t, {0, 0, fx.project, true}, &open));
    CHECK(open == std::vector<uint64_t>{root});
    return Status::OK();
  }).ok());
  VerifyReport vr;
  REQUIRE(VerifyStore(*fx.store, &vr).ok());
  INFO((vr.problems.empty() ? "" : vr.problems[0]));
  CHECK(vr.ok());
}

TEST_CASE("bad comments are refused and write nothing") {
  CommentFixture fx;
  uint64_t before = fx.Sequence();
  CommentInput base;
  base.asset_id = fx.img;
  base.author_member_id = fx.alice;
  base.body = "hello";
  CommentInput c = base;
  c.body = "ping @nobody";
  CHECK(fx.Add(c).message() == "@nobody is not a member");
  c = base;
  c.body = "";
  CHECK(fx.Add(c).IsInvalidArgument());
  c = base;
  c.author_member_id = 0;
  CHECK(fx.Add(c).IsInvalidArgument());
  c = base;
  c.asset_id = 999;
  CHECK(fx.Add(c).IsNotFound());
  c = base;
  c.asset_id = 0;
  c.label_id = fx.label;
  c.annotation_index = 3;
  CHECK(fx.Add(c).message().find("out of range") != std::string::npos);
  c = base;
  c.region_box = Box{600, 400, 100, 100};
  CHECK(fx.Add(c).message().find("outside the asset") != std::string::npos);
  c = base;
  c.issue = true;  // no project
  CHECK(fx.Add(c).message().find("belongs to a project") != std::string::npos);
  c = base;
  c.thread_id = 12345;
  CHECK(fx.Add(c).IsNotFound());
  CHECK(fx.Sequence() == before);
}
