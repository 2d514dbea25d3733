// Opening stores: creation, refusal cases, format versions, reopen, map
// growth, durability modes, failed writes leaving nothing behind.
#include <catch2/catch.hpp>
#include <lmdb.h>

#include <filesystem>
#include <stdexcept>

#include "annodb/assets.h"
#include "annodb/keys.h"
#include "test_util.h"

using namespace annodb;

namespace {
AssetInput Row(const std::string& ext) {
  AssetInput in;
  in.external_id = ext;
  in.uri = "s3://bucket/" + ext + ".png";
  in.media_type = "image/png";
  in.width = 640;
  in.height = 480;
  in.metadata = {{"camera", MetaKind::kString, "A", 0, 0, false}, {"lux", MetaKind::kFloat, "", 0, 12.5, false}};
  return in;
}

// Rewrites the format marker with raw LMDB (the store must be closed).
void SetFormat(const std::string& dir, uint64_t format) {
  MDB_env* env;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 64);
  REQUIRE(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0644) == 0);
  MDB_txn* txn;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi meta;
  REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
  std::string key = "format", val = EncodeU64(format);
  MDB_val k{key.size(), key.data()}, v{val.size(), val.data()};
  REQUIRE(mdb_put(txn, meta, &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}
}  // namespace

TEST_CASE("opening a missing store without create_if_missing is NotFound") {
  test::TempDir dir("open");
  std::unique_ptr<Store> s;
  Status st = Store::Open(dir.path(), StoreOptions{}, &s);
  CHECK(st.IsNotFound());
  CHECK(st.message().find("annodb init") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path()));
  CHECK(Store::Open("", StoreOptions{}, &s).IsInvalidArgument());
}

TEST_CASE("a store is refused a second open in the same process") {
  test::TempDir dir("busy");
  auto store = test::OpenNew(dir.path());
  std::unique_ptr<Store> again;
  StoreOptions o;
  o.create_if_missing = true;
  Status st = Store::Open(dir.path(), o, &again);
  CHECK(st.code() == Code::kBusy);
  store.reset();
  CHECK(Store::Open(dir.path(), o, &again).ok());
}

TEST_CASE("data written survives closing and reopening") {
  test::TempDir dir("reopen");
  uint64_t id = 0, ds = 0;
  {
    auto store = test::OpenNew(dir.path());
    REQUIRE(store->Write(Actor::Person("alice"), [&](WriteTxn& t) {
      ANNODB_RETURN_IF_ERROR(CreateDataset(t, "cams", "street cameras", &ds));
      return PutAsset(t, ds, Row("img-7"), &id, nullptr);
    }).ok());
  }
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open(dir.path(), StoreOptions{}, &store).ok());
  REQUIRE(store->Read([&](ReadTxn& t) {
    uint64_t found = 0, dsid = 0;
    REQUIRE(FindDataset(t, "cams", &dsid).ok());
    REQUIRE(FindAsset(t, dsid, "img-7", &found).ok());
    CHECK(found == id);
    RecordView v;
    REQUIRE(GetAsset(t, id, kCurrent, &v).ok());
    AssetInput back = DecodeAsset(v.As<fb::Asset>());
    CHECK(back.uri == "s3://bucket/img-7.png");
    CHECK(back.width == 640);
    REQUIRE(back.metadata.size() == 2);
    CHECK(back.metadata[1].f == 12.5);
    CHECK(t.LiveCount(RecordKind::Asset) == 1);
    return Status::OK();
  }).ok());
}

TEST_CASE("a store written by a newer format is refused, never misread") {
  test::TempDir dir("format");
  test::OpenNew(dir.path()).reset();
  SetFormat(dir.path(), kFormatVersion + 1);
  std::unique_ptr<Store> s;
  Status st = Store::Open(dir.path(), StoreOptions{}, &s);
  CHECK(st.code() == Code::kIncompatible);
  CHECK(st.message().find("newer") != std::string::npos);
  SetFormat(dir.path(), kFormatVersion);
  CHECK(Store::Open(dir.path(), StoreOptions{}, &s).ok());
}

TEST_CASE("an LMDB environment that is not an annodb store is refused") {
  test::TempDir dir("foreign");
  std::filesystem::create_directories(dir.path());
  MDB_env* env;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 4);
  REQUIRE(mdb_env_open(env, dir.path().c_str(), 0, 0644) == 0);
  MDB_txn* txn;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi meta;
  REQUIRE(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta) == 0);
  std::string key = "something", val = "else";
  MDB_val k{key.size(), key.data()}, v{val.size(), val.data()};
  REQUIRE(mdb_put(txn, meta, &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
  std::unique_ptr<Store> s;
  StoreOptions o;
  o.create_if_missing = true;
  CHECK(Store::Open(dir.path(), o, &s).IsCorruption());
}

TEST_CASE("the map grows by itself far past a tiny initial size") {
  test::TempDir dir("grow");
  StoreOptions o;
  o.initial_map_bytes = 256 << 10;  // 256 KiB
  auto store = test::OpenNew(dir.path(), o);
  uint64_t ds = 0;
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return CreateDataset(t, "big", "", &ds); }).ok());
  // 20,000 assets with 1 KiB of text each: about 25 MiB, 100x the initial map.
  for (int batch = 0; batch < 4; ++batch) {
    Status st = store->Write(Actor::System(), [&](WriteTxn& t) {
      for (int i = 0; i < 5000; ++i) {
        AssetInput in = Row("a" + std::to_string(batch * 5000 + i));
        in.text.assign(1024, 'x');
        ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, in, nullptr, nullptr));
      }
      return Status::OK();
    });
    REQUIRE(st.ok());
  }
  StoreStats stats;
  REQUIRE(store->Stats(&stats).ok());
  CHECK(stats.live[static_cast<int>(RecordKind::Asset)] == 20000);
  CHECK(stats.map_bytes > (uint64_t{20} << 20));
}

TEST_CASE("a failing write leaves the store exactly as before") {
  test::TempDir dir("abort");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = 0;
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return CreateDataset(t, "d", "", &ds); }).ok());
  uint64_t before = 0;
  REQUIRE(store->Sequence(&before).ok());
  Status st = store->Write(Actor::System(), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, Row("ok-row"), nullptr, nullptr));
    AssetInput bad = Row("bad-row");
    bad.uri.clear();
    return PutAsset(t, ds, bad, nullptr, nullptr);
  });
  CHECK(st.IsInvalidArgument());
  CHECK(st.message().find("uri") != std::string::npos);
  st = store->Write(Actor::System(), [&](WriteTxn& t) -> Status {
    ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, Row("x"), nullptr, nullptr));
    throw std::runtime_error("boom");
  });
  CHECK(st.code() == Code::kInternal);
  uint64_t after = 0;
  REQUIRE(store->Sequence(&after).ok());
  CHECK(after == before);
  REQUIRE(store->Read([&](ReadTxn& t) {
    uint64_t id;
    CHECK(FindAsset(t, ds, "ok-row", &id).IsNotFound());
    CHECK(FindAsset(t, ds, "x", &id).IsNotFound());
    CHECK(t.LiveCount(RecordKind::Asset) == 0);
    return Status::OK();
  }).ok());
}

TEST_CASE("every durability level commits and reopens") {
  for (Durability d : {Durability::kFull, Durability::kLastCommitMayDrop, Durability::kProcessCrashSafe}) {
    test::TempDir dir("durability");
    StoreOptions o;
    o.durability = d;
    o.flush_interval_ms = 10;
    {
      auto store = test::OpenNew(dir.path(), o);
      uint64_t ds;
      REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return CreateDataset(t, "d", "", &ds); }).ok());
      REQUIRE(store->Sync().ok());
    }
    std::unique_ptr<Store> store;
    REQUIRE(Store::Open(dir.path(), o, &store).ok());
    uint64_t seq = 0;
    REQUIRE(store->Sequence(&seq).ok());
    CHECK(seq == 1);
  }
}

TEST_CASE("an injected clock stamps provenance") {
  test::TempDir dir("clock");
  StoreOptions o;
  int64_t now = 1'700'000'000'000'000;
  o.clock_us = [&] { return now; };
  auto store = test::OpenNew(dir.path(), o);
  uint64_t ds;
  REQUIRE(store->Write(Actor::Person("ann"), [&](WriteTxn& t) { return CreateDataset(t, "d", "", &ds); }).ok());
  REQUIRE(store->Read([&](ReadTxn& t) {
    RecordView v;
    REQUIRE(t.Get(RecordKind::Dataset, ds, &v).ok());
    CHECK(v.DecodeProvenance().time_us == now);
    CHECK(v.DecodeProvenance().actor_kind == ActorKind::kPerson);
    return Status::OK();
  }).ok());
}
