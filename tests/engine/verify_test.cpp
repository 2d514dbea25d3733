// verify: a sound store passes; a flipped byte, a lost index entry or a wrong
// counter is found. backup: an online compacted copy that opens and verifies.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "annodb/assets.h"
#include "annodb/verify.h"
#include "test_util.h"

using namespace annodb;

namespace {
uint64_t Fill(Store& store, int n) {
  uint64_t ds = 0;
  REQUIRE(store.Write(Actor::System(), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
    for (int i = 0; i < n; ++i) {
      AssetInput in;
      in.external_id = "e" + std::to_string(i);
      in.uri = i == 7 ? "file:///UNIQUE-MARKER-0123456789.jpg" : "file:///x/" + std::to_string(i);
      in.content_hash = HashBytes(&i, sizeof i);
      ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, in, nullptr, nullptr));
    }
    return Status::OK();
  }).ok());
  return ds;
}
}  // namespace

TEST_CASE("verify passes on a sound store with history and deletions") {
  test::TempDir dir("verify-ok");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = Fill(*store, 100);
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) {
    uint64_t id;
    ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, "e3", &id));
    ANNODB_RETURN_IF_ERROR(UpdateAssetMetadata(t, id, {{"k", MetaKind::kInt, "", 5, 0, false}}, {}, nullptr));
    ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, "e4", &id));
    return DeleteAsset(t, id);
  }).ok());
  VerifyReport r;
  REQUIRE(VerifyStore(*store, &r).ok());
  INFO((r.problems.empty() ? "" : r.problems[0]));
  CHECK(r.ok());
  CHECK(r.records_checked == 101);
  CHECK(r.versions_checked == 2);
  CHECK(r.index_entries_checked == 1 + 100 + 99);
  CHECK(r.changes_checked == 2);
}

TEST_CASE("verify finds a flipped byte in the data file") {
  test::TempDir dir("verify-flip");
  {
    auto store = test::OpenNew(dir.path());
    Fill(*store, 50);
  }
  std::string path = dir.sub("data.mdb");
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t pos = bytes.find("UNIQUE-MARKER-0123456789");
  REQUIRE(pos != std::string::npos);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(pos + 7));
    char c = static_cast<char>(bytes[pos + 7] ^ 0x20);
    f.write(&c, 1);
  }
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open(dir.path(), StoreOptions{}, &store).ok());
  VerifyReport r;
  REQUIRE(VerifyStore(*store, &r).ok());
  REQUIRE(r.problems.size() >= 1);
  CHECK(r.problems[0].find("checksum mismatch") != std::string::npos);
  CHECK(r.problems[0].find("asset 8") != std::string::npos);
  // Reading the damaged record reports corruption instead of bad data.
  CHECK(store->Read([&](ReadTxn& t) {
    RecordView v;
    return GetAsset(t, 8, kCurrent, &v);
  }).IsCorruption());
}

TEST_CASE("verify finds a missing index entry") {
  test::TempDir dir("verify-index");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = Fill(*store, 10);
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) {
    return t.IndexDelete(Index::kAssetByExternalId, AssetExternalIdKey(ds, "e2"));
  }).ok());
  VerifyReport r;
  REQUIRE(VerifyStore(*store, &r).ok());
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].find("asset 3") != std::string::npos);
  CHECK(r.problems[0].find("asset_by_external_id") != std::string::npos);
}

TEST_CASE("backup makes a compacted copy that opens and verifies") {
  test::TempDir dir("backup");
  auto store = test::OpenNew(dir.sub("src"));
  Fill(*store, 200);
  REQUIRE(store->Backup(dir.sub("copy")).ok());
  CHECK(store->Backup(dir.sub("copy")).IsInvalidArgument());  // not empty any more
  CHECK(store->Backup("").IsInvalidArgument());
  std::unique_ptr<Store> copy;
  REQUIRE(Store::Open(dir.sub("copy"), StoreOptions{}, &copy).ok());
  VerifyReport r;
  REQUIRE(VerifyStore(*copy, &r).ok());
  CHECK(r.ok());
  uint64_t a = 0, b = 0;
  REQUIRE(store->Sequence(&a).ok());
  REQUIRE(copy->Sequence(&b).ok());
  CHECK(a == b);
  CHECK(r.records_checked == 201);
}
