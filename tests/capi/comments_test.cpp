// C ABI: comments, threads, issues (resolve/reopen), mentions and inboxes.
#include "capi_test_util.h"

using namespace capi_test;

namespace {

const char* kOntology = R"({"features": [
  {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]},
  {"name": "vehicle", "kind": "bbox", "classes": ["car", "truck"]},
  {"name": "caption", "kind": "text"}]})";

// A store with dataset "cams" (img-0001, 640x480), project "street", members
// alice and bob, and alice's label with three annotations.
struct World {
  TestStore st;
  uint64_t img = 0, other = 0, label = 0;
  explicit World(const std::string& tag) : st(tag) {
    st.Dataset("cams");
    img = st.Put(R"({"external_id":"img-0001","uri":"file:///img-0001.jpg","width":640,"height":480})", "cams");
    other = st.Put(R"({"external_id":"img-0002","uri":"file:///img-0002.jpg"})", "cams");
    const char* ds[] = {"cams"};
    REQUIRE(annodb_project_create(st, "street", ds, 1, kOntology, nullptr, nullptr, nullptr) == ANNODB_OK);
    REQUIRE(annodb_project_create(st, "other", ds, 1, kOntology, nullptr, nullptr, nullptr) == ANNODB_OK);
    REQUIRE(annodb_member_add(st, "alice", "labeler", "Alice", nullptr, nullptr) == ANNODB_OK);
    REQUIRE(annodb_member_add(st, "bob", "reviewer", "Bob", nullptr, nullptr) == ANNODB_OK);
    int rc = annodb_label_put_json(
        st,
        R"({"project":"street","dataset":"cams","asset":"img-0001","author":"alice","annotations":[
            {"feature":"weather","value":"rain"},{"feature":"vehicle","class":"car","bbox":[10,20,100,50]},
            {"feature":"vehicle","class":"car","bbox":[300,200,80,40]}]})",
        nullptr, &label, nullptr);
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
  }
  json Comment(uint64_t id, uint64_t as_of = ANNODB_CURRENT) {
    Out out;
    int rc = annodb_comment_get(st, id, as_of, out.ptr(), out.len());
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
  json Threads(uint64_t asset, uint64_t label, const char* project, int open_only) {
    Out out;
    int rc = annodb_comment_threads(st, asset, label, project, open_only, out.ptr(), out.len());
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
  json Inbox(const char* member, int unread_only) {
    Out out;
    int rc = annodb_inbox(st, member, unread_only, out.ptr(), out.len());
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
};

annodb_actor Person(const char* name) {
  annodb_actor a;
  annodb_actor_init(&a, sizeof a);
  a.kind = ANNODB_ACTOR_PERSON;
  a.name = name;
  return a;
}

std::vector<uint64_t> Ids(const json& arr) {
  std::vector<uint64_t> v;
  for (const json& c : arr) v.push_back(c["id"]);
  return v;
}

}  // namespace

TEST_CASE("an issue on an annotation with a mention: reply, inbox, resolve, reopen, history") {
  World w("capi-comments");
  annodb_actor bob = Person("bob"), alice = Person("alice");

  annodb_comment_target t;
  REQUIRE(annodb_comment_target_init(&t, sizeof t) == ANNODB_OK);
  t.label_id = w.label;
  t.has_annotation = 1;
  t.annotation_index = 2;
  t.has_region_box = 1;
  t.box_x = 300;
  t.box_y = 200;
  t.box_w = 80;
  t.box_h = 40;
  t.issue = 1;
  uint64_t root = 0;
  int rc = annodb_comment_add(w.st, &t, "bob", "Is this a **truck**, @alice?", &bob, &root);
  INFO(w.st.error());
  REQUIRE(rc == ANNODB_OK);
  REQUIRE(root != 0);

  json c = w.Comment(root);
  CHECK(c["id"] == root);
  CHECK(c["thread_id"] == root);
  CHECK(c["reply"] == false);
  CHECK(c["project"] == "street");
  CHECK(c["dataset"] == "cams");
  CHECK(c["asset"] == "img-0001");
  CHECK(c["asset_id"] == w.img);
  CHECK(c["label_id"] == w.label);
  CHECK(c["annotation"] == 2);
  CHECK(c["region"] == json::parse(R"({"box":[300,200,80,40]})"));
  CHECK(c["author"] == "bob");
  CHECK(c["body"] == "Is this a **truck**, @alice?");
  CHECK(c["mentions"] == json::array({"alice"}));
  CHECK(c["issue"] == "open");
  CHECK(c["version"] == 1);
  CHECK(c["deleted"] == false);
  CHECK(c["provenance"]["actor"] == "bob");
  uint64_t opened_seq = c["sequence"];

  // The mention is in alice's inbox, unread until read.
  json inbox = w.Inbox("alice", 1);
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0]["id"] == root);
  CHECK(inbox[0]["read"] == false);
  CHECK(w.Inbox("bob", 0).empty());
  REQUIRE(annodb_inbox_mark_read(w.st, "alice", root, &alice) == ANNODB_OK);
  CHECK(w.Inbox("alice", 1).empty());
  inbox = w.Inbox("alice", 0);
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0]["read"] == true);
  REQUIRE(annodb_inbox_mark_read(w.st, "alice", root, &alice) == ANNODB_OK);  // again: fine

  // A reply mentioning bob lands in his inbox; the thread has both.
  uint64_t reply = 0;
  REQUIRE(annodb_comment_reply(w.st, root, "alice", "No, a car. @bob see the cab.", &alice, &reply) == ANNODB_OK);
  json r = w.Comment(reply);
  CHECK(r["thread_id"] == root);
  CHECK(r["reply"] == true);
  CHECK(r["label_id"] == w.label);
  CHECK(r["issue"] == "none");
  CHECK(r["mentions"] == json::array({"bob"}));
  CHECK(Ids(w.Inbox("bob", 1)) == std::vector<uint64_t>{reply});
  Out out;
  REQUIRE(annodb_comment_thread(w.st, root, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(Ids(out.parse()) == std::vector<uint64_t>{root, reply});

  // Threads by label, by asset, and the project's open issues.
  json threads = w.Threads(0, w.label, nullptr, 0);
  REQUIRE(threads.size() == 1);
  CHECK(threads[0]["id"] == root);
  CHECK(threads[0]["replies"] == 1);
  CHECK(Ids(w.Threads(w.img, 0, nullptr, 0)) == std::vector<uint64_t>{root});
  CHECK(Ids(w.Threads(0, 0, "street", 1)) == std::vector<uint64_t>{root});
  CHECK(w.Threads(0, 0, "other", 1).empty());

  // Resolve, reopen: versions with provenance; the open-issue list follows.
  REQUIRE(annodb_comment_resolve(w.st, root, &alice) == ANNODB_OK);
  c = w.Comment(root);
  CHECK(c["issue"] == "resolved");
  CHECK(c["version"] == 2);
  CHECK(c["provenance"]["actor"] == "alice");
  CHECK(annodb_comment_resolve(w.st, root, &alice) == ANNODB_CONFLICT);
  CHECK(Has(w.st.error(), "already resolved"));
  CHECK(w.Threads(0, 0, "street", 1).empty());
  CHECK(w.Threads(w.img, 0, nullptr, 1).empty());
  CHECK(w.Threads(w.img, 0, nullptr, 0).size() == 1);
  REQUIRE(annodb_comment_reopen(w.st, root, &bob) == ANNODB_OK);
  CHECK(w.Comment(root)["issue"] == "reopened");
  CHECK(annodb_comment_reopen(w.st, root, &bob) == ANNODB_CONFLICT);
  CHECK(Ids(w.Threads(0, 0, "street", 1)) == std::vector<uint64_t>{root});

  // Edits keep history; a new mention is delivered.
  REQUIRE(annodb_member_add(w.st, "carol", "admin", nullptr, nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_comment_edit(w.st, root, "Is this a **truck**, @alice? cc @carol", &bob) == ANNODB_OK);
  c = w.Comment(root);
  CHECK(c["version"] == 4);
  CHECK(c["issue"] == "reopened");
  CHECK(c["mentions"] == json::array({"alice", "carol"}));
  CHECK(Ids(w.Inbox("carol", 1)) == std::vector<uint64_t>{root});
  CHECK(w.Inbox("alice", 1).empty());  // mentioned again by the edit: her entry stays read
  REQUIRE(annodb_comment_history(w.st, root, out.ptr(), out.len()) == ANNODB_OK);
  json hist = out.parse();
  REQUIRE(hist.size() == 4);
  CHECK(hist[0]["issue"] == "open");
  CHECK(hist[1]["issue"] == "resolved");
  CHECK(hist[2]["issue"] == "reopened");
  CHECK(hist[3]["body"] == "Is this a **truck**, @alice? cc @carol");
  CHECK(hist[0]["body"] == "Is this a **truck**, @alice?");
  CHECK(w.Comment(root, opened_seq)["issue"] == "open");

  // A comment on the asset at a point, not an issue; an asset issue needs a project.
  annodb_comment_target at;
  REQUIRE(annodb_comment_target_init(&at, sizeof at) == ANNODB_OK);
  at.asset_id = w.img;
  at.has_region_point = 1;
  at.point_x = 5;
  at.point_y = 6;
  uint64_t note = 0;
  REQUIRE(annodb_comment_add(w.st, &at, "alice", "Blurry corner.", nullptr, &note) == ANNODB_OK);
  c = w.Comment(note);
  CHECK(c["region"] == json::parse(R"({"point":[5,6]})"));
  CHECK_FALSE(c.contains("project"));
  CHECK_FALSE(c.contains("label_id"));
  CHECK_FALSE(c.contains("annotation"));
  CHECK(c["issue"] == "none");
  CHECK(annodb_comment_resolve(w.st, note, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "not an issue"));
  at.issue = 1;
  CHECK(annodb_comment_add(w.st, &at, "alice", "Wrong asset?", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "project"));
  at.project = "other";
  uint64_t asset_issue = 0;
  REQUIRE(annodb_comment_add(w.st, &at, "alice", "Wrong asset?", nullptr, &asset_issue) == ANNODB_OK);
  CHECK(w.Comment(asset_issue)["project"] == "other");
  CHECK(Ids(w.Threads(0, 0, "other", 1)) == std::vector<uint64_t>{asset_issue});
  CHECK(Ids(w.Threads(w.img, 0, nullptr, 0)) == std::vector<uint64_t>{root, note, asset_issue});
  CHECK(Ids(w.Threads(w.img, 0, nullptr, 1)) == std::vector<uint64_t>{root, asset_issue});
  // A label thread may name the label's own project.
  annodb_comment_target lt;
  REQUIRE(annodb_comment_target_init(&lt, sizeof lt) == ANNODB_OK);
  lt.label_id = w.label;
  lt.project = "street";
  REQUIRE(annodb_comment_add(w.st, &lt, "bob", "Looks fine overall.", nullptr, nullptr) == ANNODB_OK);
  CHECK(w.Threads(0, w.label, nullptr, 0).size() == 2);
}

TEST_CASE("bad comments are refused and write nothing") {
  World w("capi-comments-bad");
  annodb_comment_target t;
  REQUIRE(annodb_comment_target_init(&t, sizeof t) == ANNODB_OK);
  t.label_id = w.label;
  t.issue = 1;
  uint64_t root = 0;
  REQUIRE(annodb_comment_add(w.st, &t, "bob", "Check this.", nullptr, &root) == ANNODB_OK);
  uint64_t reply = 0;
  REQUIRE(annodb_comment_reply(w.st, root, "alice", "Looking.", nullptr, &reply) == ANNODB_OK);
  uint64_t seq = w.st.Sequence();

  auto refuse = [&](const annodb_comment_target* target, const char* author, const char* body, int code,
                    const std::string& expect) {
    uint64_t id = 42;
    int rc = annodb_comment_add(w.st, target, author, body, nullptr, &id);
    INFO(w.st.error());
    CHECK(rc == code);
    CHECK(Has(w.st.error(), expect));
    CHECK(id == 0);
  };
  annodb_comment_target a;
  REQUIRE(annodb_comment_target_init(&a, sizeof a) == ANNODB_OK);
  a.asset_id = w.img;
  refuse(&a, "bob", "Hey @carol, look", ANNODB_NOT_FOUND, "@carol is not a member");
  refuse(&a, "bob", "", ANNODB_INVALID_ARGUMENT, "body");
  refuse(&a, "bob", "bad \xff", ANNODB_INVALID_ARGUMENT, "UTF-8");
  refuse(&a, "bob", nullptr, ANNODB_INVALID_ARGUMENT, "body is NULL");
  refuse(&a, nullptr, "hi", ANNODB_INVALID_ARGUMENT, "author is NULL");
  refuse(&a, "zed", "hi", ANNODB_NOT_FOUND, "zed");
  refuse(nullptr, "bob", "hi", ANNODB_INVALID_ARGUMENT, "target is NULL");
  a.has_region_box = 1;
  a.box_x = 600;
  a.box_y = 10;
  a.box_w = 100;
  a.box_h = 10;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "outside the asset");
  a.box_w = -1;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "positive size");
  a.box_w = 10;
  a.has_region_point = 1;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "not both");
  a.has_region_box = 0;
  a.point_x = -1;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "region point");
  a.has_region_point = 0;
  a.has_annotation = 1;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "needs a label");
  a.has_annotation = 0;
  a.project = "nope";
  refuse(&a, "bob", "hi", ANNODB_NOT_FOUND, "nope");
  a.project = nullptr;
  a.asset_id = 999;
  refuse(&a, "bob", "hi", ANNODB_NOT_FOUND, "asset 999");
  a.asset_id = 0;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "asset_id or a label_id");
  a.label_id = 999;
  refuse(&a, "bob", "hi", ANNODB_NOT_FOUND, "label 999");
  a.label_id = w.label;
  a.has_annotation = 1;
  a.annotation_index = 3;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "index 3 is out of range");
  a.annotation_index = 0x80000000u;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "out of range");
  a.annotation_index = 0;
  a.project = "other";
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "not in project 'other'");
  a.project = nullptr;
  a.asset_id = w.other;
  refuse(&a, "bob", "hi", ANNODB_INVALID_ARGUMENT, "is not on asset");
  a.asset_id = 0;
  // Struct sizes.
  annodb_comment_target small = a;
  small.struct_size = sizeof(size_t);
  refuse(&small, "bob", "hi", ANNODB_INVALID_ARGUMENT, "struct_size");
  CHECK(annodb_comment_target_init(nullptr, sizeof a) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_target_init(&a, 1) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_add(nullptr, &t, "bob", "hi", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);

  // Replies.
  uint64_t id = 7;
  CHECK(annodb_comment_reply(w.st, 0, "bob", "hi", nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(id == 0);
  CHECK(annodb_comment_reply(w.st, 999, "bob", "hi", nullptr, &id) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_reply(w.st, reply, "bob", "hi", nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "is a reply"));
  CHECK(annodb_comment_reply(w.st, root, "zed", "hi", nullptr, &id) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_reply(w.st, root, "bob", "@zed hi", nullptr, &id) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_reply(w.st, root, nullptr, "hi", nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_reply(w.st, root, "bob", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_reply(nullptr, root, "bob", "hi", nullptr, &id) == ANNODB_INVALID_ARGUMENT);

  // Edits, resolve, reopen.
  CHECK(annodb_comment_edit(w.st, root, "", nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_edit(w.st, root, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_edit(w.st, root, "@zed", nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_edit(w.st, 999, "hi", nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_resolve(w.st, 999, nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_resolve(w.st, reply, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_reopen(w.st, root, nullptr) == ANNODB_CONFLICT);
  CHECK(Has(w.st.error(), "already open"));
  CHECK(annodb_comment_resolve(nullptr, root, nullptr) == ANNODB_INVALID_ARGUMENT);
  annodb_actor bad;
  REQUIRE(annodb_actor_init(&bad, sizeof bad) == ANNODB_OK);
  bad.kind = -1;
  CHECK(annodb_comment_resolve(w.st, root, &bad) == ANNODB_INVALID_ARGUMENT);

  // Reads.
  Out out;
  CHECK(annodb_comment_get(w.st, 999, ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(out.get() == nullptr);
  CHECK(annodb_comment_get(w.st, root, ANNODB_CURRENT, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_history(w.st, 999, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_history(w.st, root, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_thread(w.st, 999, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_thread(w.st, reply, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_thread(w.st, root, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_threads(w.st, 0, 0, nullptr, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "exactly one"));
  CHECK(annodb_comment_threads(w.st, w.img, w.label, nullptr, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_comment_threads(w.st, 0, 0, "street", 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "open issues"));
  CHECK(annodb_comment_threads(w.st, 0, 0, "nope", 1, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_comment_threads(w.st, w.img, 0, nullptr, 0, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_inbox(w.st, "zed", 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_inbox(w.st, nullptr, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_inbox(w.st, "bob", 0, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_inbox(nullptr, "bob", 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_inbox_mark_read(w.st, "bob", root, nullptr) == ANNODB_NOT_FOUND);
  CHECK(Has(w.st.error(), "not in the member's inbox"));
  CHECK(annodb_inbox_mark_read(w.st, "zed", root, nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_inbox_mark_read(w.st, nullptr, root, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(w.st.Sequence() == seq);
}
