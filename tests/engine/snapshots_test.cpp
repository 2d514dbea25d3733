// Named snapshots and the changefeed.
#include <catch2/catch.hpp>

#include "annodb/assets.h"
#include "test_util.h"

using namespace annodb;

namespace {
AssetInput Row(const std::string& ext, const std::string& camera) {
  AssetInput in;
  in.external_id = ext;
  in.uri = "file:///data/" + ext;
  in.metadata = {{"camera", MetaKind::kString, camera, 0, 0, false}};
  return in;
}
}  // namespace

TEST_CASE("a snapshot pins what reads see, whatever happens later") {
  test::TempDir dir("snap");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = 0, id = 0;
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
    return PutAsset(t, ds, Row("a", "A"), &id, nullptr);
  }).ok());
  SnapshotInfo snap;
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return t.CreateSnapshot("v1", &snap); }).ok());
  CHECK(snap.sequence == 1);
  // A snapshot is not a record change: no new sequence number.
  uint64_t seq = 0;
  REQUIRE(store->Sequence(&seq).ok());
  CHECK(seq == 1);
  uint64_t id2 = 0;
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, Row("a", "B"), nullptr, nullptr));
    return PutAsset(t, ds, Row("b", "B"), &id2, nullptr);
  }).ok());
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return DeleteAsset(t, id); }).ok());

  REQUIRE(store->Read([&](ReadTxn& t) {
    SnapshotInfo s;
    REQUIRE(t.GetSnapshot("v1", &s).ok());
    RecordView v;
    REQUIRE(GetAsset(t, id, s.sequence, &v).ok());
    CHECK(DecodeAsset(v.As<fb::Asset>()).metadata.at(0).s == "A");
    CHECK(GetAsset(t, id2, s.sequence, &v).IsNotFound());  // created after the snapshot
    CHECK(GetAsset(t, id, kCurrent, &v).IsNotFound());     // deleted since
    REQUIRE(GetAsset(t, id2, kCurrent, &v).ok());
    std::vector<SnapshotInfo> all;
    REQUIRE(t.ListSnapshots(&all).ok());
    CHECK(all.size() == 1);
    return Status::OK();
  }).ok());

  CHECK(store->Write(Actor::System(), [&](WriteTxn& t) { return t.CreateSnapshot("v1", nullptr); }).IsAlreadyExists());
  CHECK(store->Write(Actor::System(), [&](WriteTxn& t) { return t.CreateSnapshot("123", nullptr); }).IsInvalidArgument());
  CHECK(store->Write(Actor::System(), [&](WriteTxn& t) { return t.CreateSnapshot("", nullptr); }).IsInvalidArgument());
  CHECK(store->Write(Actor::System(), [&](WriteTxn& t) { return t.DeleteSnapshot("nope"); }).IsNotFound());
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return t.DeleteSnapshot("v1"); }).ok());
  CHECK(store->Read([&](ReadTxn& t) {
    SnapshotInfo s;
    return t.GetSnapshot("v1", &s);
  }).IsNotFound());
}

TEST_CASE("the changefeed has one small entry per commit, with id runs") {
  test::TempDir dir("feed");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = 0;
  REQUIRE(store->Write(Actor::Person("imp"), [&](WriteTxn& t) { return CreateDataset(t, "d", "", &ds); }).ok());
  // One commit creating 1000 assets is one run of ids.
  uint64_t bulk_seq = 0;
  REQUIRE(store->Write(Actor::Person("imp"), [&](WriteTxn& t) {
    for (int i = 0; i < 1000; ++i) ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, Row("r" + std::to_string(i), "A"), nullptr, nullptr));
    return Status::OK();
  }, &bulk_seq).ok());
  // An update of scattered ids lists each id.
  REQUIRE(store->Write(Actor::Person("ed"), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, Row("r5", "B"), nullptr, nullptr));
    return PutAsset(t, ds, Row("r9", "B"), nullptr, nullptr);
  }).ok());
  // A write that changes nothing makes no entry.
  uint64_t none_seq = 99;
  REQUIRE(store->Write(Actor::Person("ed"), [&](WriteTxn& t) {
    return PutAsset(t, ds, Row("r5", "B"), nullptr, nullptr);
  }, &none_seq).ok());
  CHECK(none_seq == 0);

  REQUIRE(store->Read([&](ReadTxn& t) {
    std::vector<ChangeSetInfo> all;
    REQUIRE(t.ChangesSince(0, 0, &all).ok());
    REQUIRE(all.size() == 3);
    CHECK(all[0].changes.size() == 1);
    CHECK(all[0].changes[0].kind == RecordKind::Dataset);
    REQUIRE(all[1].sequence == bulk_seq);
    REQUIRE(all[1].changes.size() == 1);
    CHECK(all[1].changes[0].first_id == 1);
    CHECK(all[1].changes[0].last_id == 1000);
    CHECK(all[1].changes[0].op == ChangeRun::Op::kCreate);
    CHECK(all[1].actor_name == "imp");
    REQUIRE(all[2].changes.size() == 2);
    CHECK(all[2].changes[0].op == ChangeRun::Op::kUpdate);
    CHECK(all[2].changes[0].first_id == 6);
    CHECK(all[2].changes[1].first_id == 10);
    std::vector<ChangeSetInfo> some;
    REQUIRE(t.ChangesSince(1, 1, &some).ok());
    REQUIRE(some.size() == 1);
    CHECK(some[0].sequence == 2);
    REQUIRE(t.ChangesSince(3, 0, &some).ok());
    CHECK(some.empty());
    return Status::OK();
  }).ok());
}

TEST_CASE("assets: listing pages, duplicates by hash, revive after delete") {
  test::TempDir dir("list");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = 0, other = 0;
  Hash128 h = HashBytes("same bytes", 10);
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "e", "", &other));
    for (int i = 0; i < 25; ++i) {
      AssetInput in = Row("k" + std::to_string(100 + i), "A");
      if (i % 10 == 0) in.content_hash = h;
      ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, in, nullptr, nullptr));
    }
    return PutAsset(t, other, Row("k100", "Z"), nullptr, nullptr);
  }).ok());
  CHECK(store->Write(Actor::System(), [&](WriteTxn& t) { return CreateDataset(t, "d", "", nullptr); }).IsAlreadyExists());
  CHECK(store->Write(Actor::System(), [&](WriteTxn& t) { return PutAsset(t, 999, Row("x", "A"), nullptr, nullptr); }).IsNotFound());
  uint64_t first = 0;
  REQUIRE(store->Read([&](ReadTxn& t) {
    std::vector<uint64_t> ids, all;
    std::string next;
    std::string after;
    do {
      REQUIRE(ListAssets(t, ds, after, 10, &ids, &next).ok());
      all.insert(all.end(), ids.begin(), ids.end());
      after = next;
    } while (!next.empty());
    CHECK(all.size() == 25);
    first = all.front();
    std::vector<uint64_t> dups;
    REQUIRE(FindAssetsByHash(t, h, &dups).ok());
    CHECK(dups.size() == 3);
    std::vector<DatasetInfo> sets;
    REQUIRE(ListDatasets(t, &sets).ok());
    CHECK(sets.size() == 2);
    return Status::OK();
  }).ok());
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return DeleteAsset(t, first); }).ok());
  CHECK(store->Write(Actor::System(), [&](WriteTxn& t) { return DeleteAsset(t, first); }).IsNotFound());
  REQUIRE(store->Read([&](ReadTxn& t) {
    std::vector<uint64_t> ids;
    std::string next;
    REQUIRE(ListAssets(t, ds, "", 100, &ids, &next).ok());
    CHECK(ids.size() == 24);
    std::vector<uint64_t> dups;
    REQUIRE(FindAssetsByHash(t, h, &dups).ok());
    CHECK(dups.size() == 2);
    return Status::OK();
  }).ok());
  // Re-importing the deleted external id revives the same record.
  uint64_t revived = 0;
  PutOutcome outcome;
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return PutAsset(t, ds, Row("k100", "A"), &revived, &outcome); }).ok());
  CHECK(revived == first);
  CHECK(outcome == PutOutcome::kUpdated);
  REQUIRE(store->Read([&](ReadTxn& t) {
    std::vector<RecordView> hist;
    REQUIRE(t.History(RecordKind::Asset, first, &hist).ok());
    CHECK(hist.size() == 3);
    CHECK(t.LiveCount(RecordKind::Asset) == 26);
    return Status::OK();
  }).ok());
}
