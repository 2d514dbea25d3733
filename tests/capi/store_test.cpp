// C ABI: sequence, changefeed, snapshots, stats, verify, sync, backup.
#include <filesystem>
#include <fstream>
#include <iterator>

#include "capi_test_util.h"

using namespace capi_test;

TEST_CASE("sequence and changefeed") {
  TestStore st("capi-changes");
  CHECK(st.Sequence() == 0);
  st.Dataset("d");
  uint64_t s1 = st.Sequence();
  CHECK(s1 == 1);
  annodb_actor alice;
  REQUIRE(annodb_actor_init(&alice, sizeof alice) == ANNODB_OK);
  alice.kind = ANNODB_ACTOR_PERSON;
  alice.name = "alice";
  uint64_t id = 0;
  REQUIRE(annodb_asset_put_json(st, "d", Line("a").c_str(), &alice, &id, nullptr) == ANNODB_OK);
  REQUIRE(annodb_asset_delete(st, id, nullptr) == ANNODB_OK);
  CHECK(st.Sequence() == 3);

  Out out;
  REQUIRE(annodb_changes_since(st, 0, 0, out.ptr(), out.len()) == ANNODB_OK);
  json c = out.parse();
  REQUIRE(c.size() == 3);
  CHECK(c[0]["sequence"] == 1);
  CHECK(c[0]["changes"][0]["kind"] == "dataset");
  CHECK(c[0]["changes"][0]["op"] == "create");
  CHECK(c[1]["sequence"] == 2);
  CHECK(c[1]["actor_kind"] == "person");
  CHECK(c[1]["actor"] == "alice");
  CHECK(c[1]["changes"][0]["kind"] == "asset");
  CHECK(c[1]["changes"][0]["first_id"] == id);
  CHECK(c[1]["changes"][0]["last_id"] == id);
  CHECK(c[2]["changes"][0]["op"] == "delete");
  CHECK(c[2]["time_us"].get<int64_t>() > 0);
  CHECK(c[2]["time"].is_string());

  REQUIRE(annodb_changes_since(st, 1, 1, out.ptr(), out.len()) == ANNODB_OK);
  c = out.parse();
  REQUIRE(c.size() == 1);
  CHECK(c[0]["sequence"] == 2);
  REQUIRE(annodb_changes_since(st, 3, 0, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.str() == "[]");

  CHECK(annodb_changes_since(st, 0, 0, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_sequence(st, nullptr) == ANNODB_INVALID_ARGUMENT);
}

TEST_CASE("snapshots: create, list, delete") {
  TestStore st("capi-snap");
  st.Dataset("d");
  uint64_t seq = 0;
  REQUIRE(annodb_snapshot_create(st, "v1", nullptr, &seq) == ANNODB_OK);
  CHECK(seq == 1);
  st.Put(Line("a"));
  REQUIRE(annodb_snapshot_create(st, "v2", nullptr, nullptr) == ANNODB_OK);

  Out out;
  REQUIRE(annodb_snapshot_list(st, out.ptr(), out.len()) == ANNODB_OK);
  json l = out.parse();
  REQUIRE(l.size() == 2);
  CHECK(l[0]["name"] == "v1");
  CHECK(l[0]["sequence"] == 1);
  CHECK(l[1]["name"] == "v2");
  CHECK(l[1]["sequence"] == 2);
  CHECK(l[1]["created"].is_string());
  CHECK(l[1]["created_us"].get<int64_t>() > 0);

  CHECK(annodb_snapshot_create(st, "v1", nullptr, &seq) == ANNODB_ALREADY_EXISTS);
  CHECK(seq == 0);
  CHECK(annodb_snapshot_create(st, "", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_snapshot_create(st, "123", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_snapshot_create(st, "bad\xff", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "UTF-8"));
  CHECK(annodb_snapshot_create(st, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_snapshot_create(st, std::string(300, 's').c_str(), nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);

  REQUIRE(annodb_snapshot_delete(st, "v1", nullptr) == ANNODB_OK);
  CHECK(annodb_snapshot_delete(st, "v1", nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_snapshot_delete(st, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  REQUIRE(annodb_snapshot_list(st, out.ptr(), nullptr) == ANNODB_OK);
  CHECK(json::parse(out.get()).size() == 1);
  CHECK(annodb_snapshot_list(st, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
}

TEST_CASE("stats") {
  TestStore st("capi-stats");
  st.Dataset("d");
  st.Put(Line("a"));
  st.Put(Line("b"));
  st.Put(Line("b", "\"width\":3"));
  Out out;
  REQUIRE(annodb_stats(st, out.ptr(), out.len()) == ANNODB_OK);
  json s = out.parse();
  CHECK(s["assets"] == 2);
  CHECK(s["datasets"] == 1);
  CHECK(s["sequence"] == 4);
  CHECK(s["bytes"].get<uint64_t>() > 0);
  CHECK(s["map_bytes"].get<uint64_t>() > 0);
  CHECK(s["snapshots"] == 0);
  CHECK(s["format_version"] == 1);
  CHECK(s["live"]["asset"] == 2);
  CHECK(s["versions"]["asset"] == 1);
  CHECK(annodb_stats(st, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
}

TEST_CASE("verify: a sound store, and a flipped byte") {
  TestStore st("capi-verify");
  st.Dataset("d");
  for (int i = 0; i < 20; ++i) st.Put(Line("e" + std::to_string(i)));
  st.Put(Line("marked", "\"text\":\"UNIQUE-CAPI-MARKER-0123456789\""));
  Out out;
  REQUIRE(annodb_verify(st, out.ptr(), out.len()) == ANNODB_OK);
  json r = out.parse();
  CHECK(r["ok"] == true);
  CHECK(r["records_checked"] == 22);
  CHECK(r["problems"].empty());
  REQUIRE(annodb_verify(st, nullptr, nullptr) == ANNODB_OK);  // report optional

  st.Close();
  std::string path = st.sub("data.mdb");
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t pos = bytes.find("UNIQUE-CAPI-MARKER-0123456789");
  REQUIRE(pos != std::string::npos);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(pos + 3));
    char c = static_cast<char>(bytes[pos + 3] ^ 0x20);
    f.write(&c, 1);
  }
  st.Open();
  CHECK(annodb_verify(st, out.ptr(), out.len()) == ANNODB_CORRUPTION);
  CHECK(Has(st.error(), "problem"));
  r = out.parse();  // the report comes with CORRUPTION
  CHECK(r["ok"] == false);
  REQUIRE(r["problems"].size() >= 1);
  CHECK(Has(r["problems"][0].get<std::string>(), "checksum"));
  // Reading the damaged asset reports corruption instead of bad data.
  CHECK(annodb_asset_get(st, 21, ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_CORRUPTION);
  CHECK(out.get() == nullptr);
}

TEST_CASE("sync and backup") {
  TestStore st("capi-backup");
  st.Dataset("d");
  uint64_t id = st.Put(Line("a"));
  CHECK(annodb_sync(st) == ANNODB_OK);

  TempDir dest("capi-backup-dest");
  REQUIRE(annodb_backup(st, dest.path().c_str()) == ANNODB_OK);
  // The destination is not empty any more: a second backup there is refused.
  CHECK(annodb_backup(st, dest.path().c_str()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "not empty"));
  CHECK(annodb_backup(st, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_backup(st, "") == ANNODB_INVALID_ARGUMENT);

  annodb_store* copy = nullptr;
  REQUIRE(annodb_open(dest.path().c_str(), nullptr, &copy, nullptr) == ANNODB_OK);
  Out out;
  REQUIRE(annodb_asset_get(copy, id, ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["external_id"] == "a");
  CHECK(annodb_verify(copy, nullptr, nullptr) == ANNODB_OK);
  annodb_close(copy);
}
