// Versioned records: create, update, delete, history, as-of reads, snapshots,
// the changefeed, and reopening the store.
#include <catch2/catch.hpp>

#include "annodb/assets.h"
#include "test_util.h"

using namespace annodb;

namespace {
AssetInput Row(const std::string& ext, const std::string& uri = "file:///x.jpg") {
  AssetInput in;
  in.external_id = ext;
  in.uri = uri;
  in.media_type = "image/jpeg";
  return in;
}
}  // namespace

TEST_CASE("an asset keeps every version with provenance and reads as of any sequence") {
  test::TempDir dir("versions");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = 0, id = 0, seq_create = 0, seq_update = 0, seq_delete = 0;
  REQUIRE(store->Write(Actor::Person("alice"), [&](WriteTxn& t) { return CreateDataset(t, "cams", "", &ds); }).ok());
  REQUIRE(store->Write(Actor::Person("alice"), [&](WriteTxn& t) {
    PutOutcome o;
    Status s = PutAsset(t, ds, Row("img-1"), &id, &o);
    CHECK(o == PutOutcome::kCreated);
    return s;
  }, &seq_create).ok());
  REQUIRE(store->Write(Actor::Person("bob"), [&](WriteTxn& t) {
    PutOutcome o;
    Status s = UpdateAssetMetadata(t, id, {{"camera", MetaKind::kString, "A", 0, 0, false}}, {}, &o);
    CHECK(o == PutOutcome::kUpdated);
    return s;
  }, &seq_update).ok());
  REQUIRE(store->Write(Actor::Person("carol"), [&](WriteTxn& t) { return DeleteAsset(t, id); }, &seq_delete).ok());
  CHECK(seq_create < seq_update);
  CHECK(seq_update < seq_delete);

  REQUIRE(store->Read([&](ReadTxn& t) {
    RecordView v;
    CHECK(GetAsset(t, id, kCurrent, &v).IsNotFound());
    REQUIRE(GetAsset(t, id, seq_create, &v).ok());
    CHECK(v.version() == 1);
    CHECK(DecodeAsset(v.As<fb::Asset>()).metadata.empty());
    REQUIRE(GetAsset(t, id, seq_update, &v).ok());
    CHECK(v.version() == 2);
    CHECK(DecodeAsset(v.As<fb::Asset>()).metadata.at(0).s == "A");
    CHECK(v.DecodeProvenance().actor_name == "bob");
    CHECK(v.DecodeProvenance().replaces_version == 1);
    CHECK(GetAsset(t, id, seq_create - 1, &v).IsNotFound());
    CHECK(GetAsset(t, id, seq_delete + 100, &v).IsInvalidArgument());
    std::vector<RecordView> hist;
    REQUIRE(t.History(RecordKind::Asset, id, &hist).ok());
    REQUIRE(hist.size() == 3);
    CHECK(hist[0].DecodeProvenance().actor_name == "alice");
    CHECK(hist[2].deleted());
    CHECK(hist[2].DecodeProvenance().actor_name == "carol");
    std::vector<ChangeSetInfo> changes;
    REQUIRE(t.ChangesSince(seq_create - 1, 0, &changes).ok());
    REQUIRE(changes.size() == 3);
    CHECK(changes[2].changes.at(0).op == ChangeRun::Op::kDelete);
    return Status::OK();
  }).ok());
}
