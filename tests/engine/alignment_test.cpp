// Record values are padded to 8 bytes so LMDB lays them on 8-byte
// boundaries; RecordView copies only when one is not. This test measures the
// share of reads that needed a copy and checks every view is aligned.
#include <catch2/catch.hpp>

#include "annodb/assets.h"
#include "test_util.h"

using namespace annodb;

TEST_CASE("record views are 8-byte aligned, copied only when LMDB's value is not") {
  test::TempDir dir("align");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = 0;
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
    for (int i = 0; i < 5000; ++i) {
      AssetInput in;
      in.external_id = "id-" + std::to_string(i);
      in.uri = std::string(static_cast<size_t>(1 + i % 37), 'u');  // varied sizes
      if (i % 100 == 0) in.text.assign(5000, 't');                 // some overflow pages
      ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, in, nullptr, nullptr));
    }
    return Status::OK();
  }).ok());
  size_t copies = 0, total = 0;
  REQUIRE(store->Read([&](ReadTxn& t) {
    return t.Scan(RecordKind::Asset, 1, [&](const RecordView& v) {
      ++total;
      if (v.owns_copy()) ++copies;
      CHECK(reinterpret_cast<uintptr_t>(v.payload()) % 8 == 0);
      CHECK(v.As<fb::Asset>()->external_id()->size() > 3);
      return true;
    });
  }).ok());
  CHECK(total == 5000);
  // The padding scheme keeps every value in the record tables aligned.
  CHECK(copies == 0);
}
