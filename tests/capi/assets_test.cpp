// C ABI: datasets and assets, happy paths and misuse.
#include <cstdlib>

#include "annodb/schema/asset_generated.h"
#include "capi_test_util.h"

using namespace capi_test;

TEST_CASE("datasets: create, find, list") {
  TestStore st("capi-ds");
  uint64_t a = 0, b = 0, found = 0;
  REQUIRE(annodb_dataset_create(st, "cams", "street cameras", nullptr, &a) == ANNODB_OK);
  REQUIRE(annodb_dataset_create(st, "scans", nullptr, nullptr, &b) == ANNODB_OK);
  REQUIRE(annodb_dataset_create(st, "no-id-wanted", nullptr, nullptr, nullptr) == ANNODB_OK);
  CHECK(a != 0);
  CHECK(b != a);
  REQUIRE(annodb_dataset_find(st, "scans", &found) == ANNODB_OK);
  CHECK(found == b);

  Out out;
  REQUIRE(annodb_dataset_list(st, out.ptr(), out.len()) == ANNODB_OK);
  json j = out.parse();
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 3);
  CHECK(j[0]["id"] == a);
  CHECK(j[0]["name"] == "cams");
  CHECK(j[0]["description"] == "street cameras");
  CHECK(j[0]["version"] == 1);
  CHECK(j[1]["name"] == "scans");
  CHECK(j[1]["description"] == "");
  // out_len is optional.
  REQUIRE(annodb_dataset_list(st, out.ptr(), nullptr) == ANNODB_OK);
  CHECK(json::parse(out.get()).size() == 3);
}

TEST_CASE("datasets: misuse") {
  TestStore st("capi-ds-misuse");
  uint64_t id = 7;
  CHECK(annodb_dataset_create(st, nullptr, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(id == 0);
  CHECK(Has(st.error(), "dataset name is NULL"));
  CHECK(annodb_dataset_create(st, "", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_dataset_create(st, "bad\xfe", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "UTF-8"));
  CHECK(annodb_dataset_create(st, "tab\there", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_dataset_create(st, std::string(201, 'n').c_str(), nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_dataset_create(st, "d", "bad\xff", nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  REQUIRE(annodb_dataset_create(st, "d", nullptr, nullptr, &id) == ANNODB_OK);
  CHECK(annodb_dataset_create(st, "d", nullptr, nullptr, &id) == ANNODB_ALREADY_EXISTS);
  CHECK(Has(st.error(), "already exists"));
  CHECK(id == 0);

  CHECK(annodb_dataset_find(st, "nope", &id) == ANNODB_NOT_FOUND);
  CHECK(annodb_dataset_find(st, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_dataset_find(st, "d", nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_dataset_find(st, "", &id) == ANNODB_INVALID_ARGUMENT);
  size_t len = 99;
  CHECK(annodb_dataset_list(st, nullptr, &len) == ANNODB_INVALID_ARGUMENT);
  CHECK(len == 0);
  CHECK(Has(st.error(), "out is NULL"));
}

TEST_CASE("assets: put is an upsert with an outcome") {
  TestStore st("capi-put");
  st.Dataset("d");
  int outcome = -1;
  uint64_t id = st.Put(Line("a", "\"width\":640,\"metadata\":{\"camera\":\"A\",\"n\":3,\"f\":1.5,\"ok\":true}"), "d",
                       &outcome);
  CHECK(outcome == ANNODB_PUT_CREATED);
  CHECK(st.Put(Line("a", "\"width\":640,\"metadata\":{\"camera\":\"A\",\"n\":3,\"f\":1.5,\"ok\":true}"), "d",
               &outcome) == id);
  CHECK(outcome == ANNODB_PUT_UNCHANGED);
  CHECK(st.Put(Line("a", "\"width\":800"), "d", &outcome) == id);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  // id and outcome are optional.
  REQUIRE(annodb_asset_put_json(st, "d", Line("b").c_str(), nullptr, nullptr, nullptr) == ANNODB_OK);

  json j = st.Get(id);
  CHECK(j["id"] == id);
  CHECK(j["external_id"] == "a");
  CHECK(j["dataset"] == "d");
  CHECK(j["width"] == 800);
  CHECK(j["version"] == 2);
  CHECK_FALSE(j.contains("metadata"));  // the put replaced the content
}

TEST_CASE("assets: put misuse leaves the store unchanged") {
  TestStore st("capi-put-misuse");
  st.Dataset("d");
  uint64_t before = st.Sequence();
  uint64_t id = 5;
  int outcome = 5;
  auto refused = [&](const char* dataset, const char* text, int code, const char* words) {
    CHECK(annodb_asset_put_json(st, dataset, text, nullptr, &id, &outcome) == code);
    CHECK(id == 0);
    CHECK(outcome == 0);
    INFO(st.error());
    CHECK(Has(st.error(), words));
  };
  refused(nullptr, Line("a").c_str(), ANNODB_INVALID_ARGUMENT, "dataset name is NULL");
  refused("d", nullptr, ANNODB_INVALID_ARGUMENT, "json is NULL");
  refused("nope", Line("a").c_str(), ANNODB_NOT_FOUND, "nope");
  refused("d", "{not json", ANNODB_INVALID_ARGUMENT, "");
  refused("d", "", ANNODB_INVALID_ARGUMENT, "");
  refused("d", "[1,2]", ANNODB_INVALID_ARGUMENT, "");
  refused("d", "{\"uri\":\"file:///x\"}", ANNODB_INVALID_ARGUMENT, "external_id");
  refused("d", "{\"external_id\":\"x\"}", ANNODB_INVALID_ARGUMENT, "uri");
  refused("d", "{\"external_id\":5,\"uri\":\"u\"}", ANNODB_INVALID_ARGUMENT, "external_id");
  refused("d", "{\"external_id\":\"x\",\"uri\":\"u\",\"bogus\":1}", ANNODB_INVALID_ARGUMENT, "bogus");
  refused("d", "{\"external_id\":\"x\xff\",\"uri\":\"u\"}", ANNODB_INVALID_ARGUMENT, "UTF-8");
  refused("d", "{\"external_id\":\"x\",\"uri\":\"u\",\"width\":-1}", ANNODB_INVALID_ARGUMENT, "width");
  std::string huge = Line(std::string(500, 'x'));
  refused("d", huge.c_str(), ANNODB_INVALID_ARGUMENT, "external_id");
  CHECK(st.Sequence() == before);
}

TEST_CASE("assets: get by id, by external id, as of a sequence and a snapshot") {
  TestStore st("capi-get");
  st.Dataset("d");
  uint64_t id = st.Put(Line("a", "\"metadata\":{\"v\":1}"));
  uint64_t seq1 = st.Sequence();
  uint64_t snap_seq = 0;
  REQUIRE(annodb_snapshot_create(st, "s1", nullptr, &snap_seq) == ANNODB_OK);
  CHECK(snap_seq == seq1);
  st.Put(Line("a", "\"metadata\":{\"v\":2}"));

  CHECK(st.Get(id)["metadata"]["v"] == 2);
  CHECK(st.Get(id, seq1)["metadata"]["v"] == 1);

  Out out;
  REQUIRE(annodb_asset_get_by_external_id(st, "d", "a", ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["metadata"]["v"] == 2);
  REQUIRE(annodb_asset_get_by_external_id(st, "d", "a", seq1, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["metadata"]["v"] == 1);
  REQUIRE(annodb_asset_get_at_snapshot(st, id, "s1", out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["metadata"]["v"] == 1);
  CHECK(out.parse()["version"] == 1);

  // Misuse and absent records.
  CHECK(annodb_asset_get(st, 999, ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(out.get() == nullptr);
  CHECK(out.size() == 0);
  CHECK(annodb_asset_get(st, id, ANNODB_CURRENT, nullptr, out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_get(st, id, st.Sequence() + 100, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "future"));
  CHECK(annodb_asset_get(st, id, 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);  // before it existed
  CHECK(annodb_asset_get_by_external_id(st, "nope", "a", ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_asset_get_by_external_id(st, "d", "zz", ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_asset_get_by_external_id(st, "d", "", ANNODB_CURRENT, out.ptr(), out.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_get_by_external_id(st, nullptr, "a", ANNODB_CURRENT, out.ptr(), out.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_get_by_external_id(st, "d", nullptr, ANNODB_CURRENT, out.ptr(), out.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_get_by_external_id(st, "d", "a", ANNODB_CURRENT, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_get_at_snapshot(st, id, "nope", out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_asset_get_at_snapshot(st, id, nullptr, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_get_at_snapshot(st, id, "s1", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(out.get() == nullptr);
}

TEST_CASE("assets: update metadata sets and removes keys") {
  TestStore st("capi-meta");
  st.Dataset("d");
  uint64_t id = st.Put(Line("a", "\"metadata\":{\"camera\":\"A\",\"night\":true,\"lux\":1.5}"));
  int outcome = -1;
  REQUIRE(annodb_asset_update_metadata(
              st, id, "{\"camera\":\"B\",\"night\":null,\"n\":7,\"taken\":{\"$time\":\"2024-05-01T12:00:00Z\"}}",
              nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  json m = st.Get(id)["metadata"];
  CHECK(m["camera"] == "B");
  CHECK_FALSE(m.contains("night"));
  CHECK(m["lux"] == 1.5);
  CHECK(m["n"] == 7);
  CHECK(m["taken"]["$time"].get<std::string>().rfind("2024-05-01T12:00:00", 0) == 0);
  CHECK(st.Get(id)["version"] == 2);

  // The same values again: unchanged, nothing written.
  uint64_t seq = st.Sequence();
  REQUIRE(annodb_asset_update_metadata(st, id, "{\"camera\":\"B\"}", nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UNCHANGED);
  CHECK(st.Sequence() == seq);
  // An empty object changes nothing.
  REQUIRE(annodb_asset_update_metadata(st, id, "{}", nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UNCHANGED);

  // Misuse: each refused, the asset unchanged.
  auto refused = [&](const char* text, int code) {
    outcome = 9;
    CHECK(annodb_asset_update_metadata(st, id, text, nullptr, &outcome) == code);
    CHECK(outcome == 0);
  };
  refused(nullptr, ANNODB_INVALID_ARGUMENT);
  refused("", ANNODB_INVALID_ARGUMENT);
  refused("{bad", ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "not valid JSON"));
  refused("[1]", ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "object"));
  refused("{\"a\":[1,2]}", ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "metadata.a"));
  refused("{\"a\":{\"b\":{\"c\":1}}}", ANNODB_INVALID_ARGUMENT);
  refused("{\"a\":{\"b\":1}}", ANNODB_INVALID_ARGUMENT);
  refused("{\"a\":\"\xff\"}", ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "UTF-8"));
  refused("{\"not-set\":null}", ANNODB_NOT_FOUND);
  refused("{\"\":1}", ANNODB_INVALID_ARGUMENT);
  std::string deep(100000, '[');
  refused(deep.c_str(), ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_update_metadata(st, 999, "{\"a\":1}", nullptr, nullptr) == ANNODB_NOT_FOUND);
  CHECK(st.Sequence() == seq);
}

TEST_CASE("assets: delete, history and revival") {
  TestStore st("capi-delete");
  st.Dataset("d");
  uint64_t id = st.Put(Line("a", "\"metadata\":{\"v\":1}"));
  st.Put(Line("a", "\"metadata\":{\"v\":2}"));
  annodb_actor bob;
  REQUIRE(annodb_actor_init(&bob, sizeof bob) == ANNODB_OK);
  bob.kind = ANNODB_ACTOR_PERSON;
  bob.name = "bob";
  REQUIRE(annodb_asset_delete(st, id, &bob) == ANNODB_OK);
  Out out;
  CHECK(annodb_asset_get(st, id, ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_asset_delete(st, id, nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_asset_delete(st, 999, nullptr) == ANNODB_NOT_FOUND);

  REQUIRE(annodb_asset_history(st, id, out.ptr(), out.len()) == ANNODB_OK);
  json h = out.parse();
  REQUIRE(h.size() == 3);
  CHECK(h[0]["version"] == 1);
  CHECK(h[0]["metadata"]["v"] == 1);
  CHECK(h[1]["version"] == 2);
  CHECK(h[2]["version"] == 3);
  CHECK(h[2]["deleted"] == true);
  CHECK(h[2]["provenance"]["actor"] == "bob");
  CHECK(h[0]["sequence"].get<uint64_t>() < h[2]["sequence"].get<uint64_t>());

  // Putting the same external id again revives it with the same id.
  int outcome = -1;
  CHECK(st.Put(Line("a"), "d", &outcome) == id);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  REQUIRE(annodb_asset_history(st, id, out.ptr(), nullptr) == ANNODB_OK);
  CHECK(json::parse(out.get()).size() == 4);

  CHECK(annodb_asset_history(st, 999, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_asset_history(st, id, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
}

TEST_CASE("assets: list a dataset in pages") {
  TestStore st("capi-list");
  st.Dataset("d");
  st.Dataset("other");
  for (int i = 0; i < 25; ++i) {
    char ext[16];
    std::snprintf(ext, sizeof ext, "e%02d", i);
    st.Put(Line(ext));
  }
  st.Put(Line("elsewhere"), "other");
  Out out;
  REQUIRE(annodb_asset_get_by_external_id(st, "d", "e05", ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_OK);
  REQUIRE(annodb_asset_delete(st, out.parse()["id"].get<uint64_t>(), nullptr) == ANNODB_OK);

  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    REQUIRE(annodb_asset_list(st, "d", cursor.empty() ? nullptr : cursor.c_str(), 10, out.ptr(), out.len()) ==
            ANNODB_OK);
    json page = out.parse();
    ++pages;
    for (const json& item : page["items"]) seen.push_back(item["external_id"]);
    CHECK(page["items"].size() <= 10);
    if (page["next"].is_null()) break;
    cursor = page["next"];
    REQUIRE(pages < 10);
  }
  CHECK(pages == 3);
  REQUIRE(seen.size() == 24);  // e05 is deleted
  CHECK(seen.front() == "e00");
  CHECK(seen[5] == "e06");
  CHECK(seen.back() == "e24");
  CHECK(std::is_sorted(seen.begin(), seen.end()));

  // limit 0 = 100; "" = from the start.
  REQUIRE(annodb_asset_list(st, "d", "", 0, out.ptr(), out.len()) == ANNODB_OK);
  json all = out.parse();
  CHECK(all["items"].size() == 24);
  CHECK(all["next"].is_null());
  REQUIRE(annodb_asset_list(st, "other", nullptr, 0, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["items"].size() == 1);

  CHECK(annodb_asset_list(st, "nope", nullptr, 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_asset_list(st, nullptr, nullptr, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_list(st, "d", nullptr, 0, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_list(st, "d", std::string(1000, 'z').c_str(), 0, out.ptr(), out.len()) ==
        ANNODB_INVALID_ARGUMENT);
}

TEST_CASE("assets: find by content hash") {
  TestStore st("capi-hash");
  st.Dataset("d");
  const std::string h1 = "0123456789abcdef0123456789abcdef";
  const std::string h2 = "ffffffffffffffffffffffffffffffff";
  uint64_t a = st.Put(Line("a", "\"content_hash\":\"" + h1 + "\""));
  uint64_t b = st.Put(Line("b", "\"content_hash\":\"" + h1 + "\""));
  st.Put(Line("c", "\"content_hash\":\"" + h2 + "\""));
  Out out;
  REQUIRE(annodb_asset_find_by_hash(st, h1.c_str(), out.ptr(), out.len()) == ANNODB_OK);
  json j = out.parse();
  REQUIRE(j.size() == 2);
  CHECK(j[0]["id"] == a);
  CHECK(j[1]["id"] == b);
  CHECK(j[0]["content_hash"] == h1);
  // Upper-case hex works too; no match gives [].
  REQUIRE(annodb_asset_find_by_hash(st, "0123456789ABCDEF0123456789ABCDEF", out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse().size() == 2);
  REQUIRE(annodb_asset_find_by_hash(st, "00000000000000000000000000000000", out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.str() == "[]");
  // A deleted asset is no longer a duplicate.
  REQUIRE(annodb_asset_delete(st, a, nullptr) == ANNODB_OK);
  REQUIRE(annodb_asset_find_by_hash(st, h1.c_str(), out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse().size() == 1);

  CHECK(annodb_asset_find_by_hash(st, "xyz", out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_find_by_hash(st, "0123456789abcdef0123456789abcdeg", out.ptr(), out.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_find_by_hash(st, nullptr, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_find_by_hash(st, h1.c_str(), nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
}

TEST_CASE("assets: raw FlatBuffers bytes") {
  TestStore st("capi-fb");
  st.Dataset("d");
  uint64_t id = st.Put(Line("a", "\"width\":640,\"embedding\":[0.5,1.5]"));
  uint64_t seq1 = st.Sequence();
  st.Put(Line("a", "\"width\":800"));

  void* buf = nullptr;
  size_t len = 0;
  REQUIRE(annodb_asset_flatbuffer(st, id, ANNODB_CURRENT, &buf, &len) == ANNODB_OK);
  REQUIRE(buf != nullptr);
  REQUIRE(len > 0);
  CHECK(reinterpret_cast<uintptr_t>(buf) % 8 == 0);
  {
    flatbuffers::Verifier v(static_cast<const uint8_t*>(buf), len);
    REQUIRE(annodb::fb::VerifyAssetBuffer(v));
    const annodb::fb::Asset* a = annodb::fb::GetAsset(buf);
    CHECK(a->external_id()->str() == "a");
    CHECK(a->width() == 800);
  }
  annodb_free(buf);

  REQUIRE(annodb_asset_flatbuffer(st, id, seq1, &buf, &len) == ANNODB_OK);
  {
    const annodb::fb::Asset* a = annodb::fb::GetAsset(buf);
    CHECK(a->width() == 640);
    REQUIRE(a->embedding() != nullptr);
    CHECK(a->embedding()->size() == 2);
  }
  annodb_free(buf);

  buf = reinterpret_cast<void*>(0x1);
  len = 5;
  CHECK(annodb_asset_flatbuffer(st, 999, ANNODB_CURRENT, &buf, &len) == ANNODB_NOT_FOUND);
  CHECK(buf == nullptr);
  CHECK(len == 0);
  CHECK(annodb_asset_flatbuffer(st, id, ANNODB_CURRENT, nullptr, &len) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_asset_flatbuffer(st, id, ANNODB_CURRENT, &buf, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(buf == nullptr);
}
