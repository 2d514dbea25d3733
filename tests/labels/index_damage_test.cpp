// An index entry whose record is missing is damage, not a deletion (issue 11,
// item 2): export, label listing and the queue fail naming the record; a
// deleted (tombstoned) label is still skipped and the export succeeds.
#include <catch2/catch.hpp>

#include <lmdb.h>

#include <sstream>

#include "annodb/comments.h"
#include "annodb/keys.h"
#include "annodb/ndjson.h"
#include "fixture.h"
#include "store_impl.h"

using namespace annodb;

namespace {
uint64_t AddLabel(test::LabelFixture& fx, uint64_t asset, uint64_t member, const std::string& weather) {
  uint64_t id = 0;
  REQUIRE(fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
    LabelInput l = fx.Label(asset, member);
    AnnotationInput a;
    a.feature = "weather";
    a.value = weather;
    l.annotations.push_back(a);
    return PutLabel(t, l, &id, nullptr);
  }).ok());
  return id;
}

// Removes record `id` of `kind` from its record table directly, as a lost
// page would, leaving every index entry that names it.
void LoseRecord(Store& store, RecordKind kind, uint64_t id) {
  REQUIRE(store.Write(Actor::System(), [&](WriteTxn& t) {
    std::string key = EncodeU64(id);
    MDB_val k = Val(key);
    return LmdbStatus(mdb_del(t.raw(), store.impl().records[static_cast<int>(kind)], &k, nullptr), "test delete");
  }).ok());
}

Status Export(Store& store, std::string* out, ExportOptions o = {}) {
  std::ostringstream os;
  ExportReport r;
  Status s = ExportNdjson(store, o, os, &r);
  *out = os.str();
  return s;
}
}  // namespace

TEST_CASE("a label missing behind its index entries fails export and listing; a deleted label does not") {
  test::LabelFixture fx;
  uint64_t kept = AddLabel(fx, fx.img, fx.alice, "rain");
  uint64_t deleted = AddLabel(fx, fx.img, fx.bob, "snow");
  uint64_t lost = AddLabel(fx, fx.doc, fx.alice, "sunny");
  REQUIRE(fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) { return DeleteLabel(t, deleted); }).ok());
  REQUIRE(fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
    return t.CreateSnapshot("before", nullptr);
  }).ok());

  // A tombstone is a deletion: the export succeeds without it.
  std::string out;
  Status s = Export(*fx.store, &out);
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(out.find("\"value\":\"rain\"") != std::string::npos);
  CHECK(out.find("\"value\":\"sunny\"") != std::string::npos);
  CHECK(out.find("\"value\":\"snow\"") == std::string::npos);
  (void)kept;

  LoseRecord(*fx.store, RecordKind::Label, lost);
  const std::string name = "label " + std::to_string(lost);
  s = Export(*fx.store, &out);
  CHECK(s.IsCorruption());
  CHECK(s.message().find(name) != std::string::npos);
  CHECK(s.message().find("idx.label_by_asset") != std::string::npos);
  // As of the snapshot too: the record is gone, not "absent then".
  ExportOptions o;
  o.snapshot = "before";
  s = Export(*fx.store, &out, o);
  CHECK(s.IsCorruption());
  CHECK(s.message().find(name) != std::string::npos);

  Status ls = fx.store->Read([&](ReadTxn& t) {
    std::vector<uint64_t> ids;
    return ListLabels(t, {fx.project, 0, 0, {}}, 0, 0, &ids);
  });
  CHECK(ls.IsCorruption());
  CHECK(ls.message().find(name) != std::string::npos);
}

TEST_CASE("a comment missing behind its index entries fails the export naming it") {
  test::LabelFixture fx;
  uint64_t root = 0, reply = 0;
  REQUIRE(fx.store->Write(Actor::Person("bob"), [&](WriteTxn& t) {
    CommentInput c;
    c.asset_id = fx.img;
    c.project_id = fx.project;
    c.author_member_id = fx.bob;
    c.body = "first";
    ANNODB_RETURN_IF_ERROR(AddComment(t, c, &root));
    CommentInput r;
    r.thread_id = root;
    r.author_member_id = fx.alice;
    r.body = "second";
    return AddComment(t, r, &reply);
  }).ok());
  std::string out;
  REQUIRE(Export(*fx.store, &out).ok());
  REQUIRE(out.find("second") != std::string::npos);

  SECTION("a reply") {
    LoseRecord(*fx.store, RecordKind::Comment, reply);
    Status s = Export(*fx.store, &out);
    CHECK(s.IsCorruption());
    CHECK(s.message().find("comment " + std::to_string(reply)) != std::string::npos);
  }
  SECTION("a thread's root") {
    LoseRecord(*fx.store, RecordKind::Comment, root);
    Status s = Export(*fx.store, &out);
    CHECK(s.IsCorruption());
    CHECK(s.message().find("comment " + std::to_string(root)) != std::string::npos);
  }
}
