// C ABI: version, status names, options, open/close, handles, last_error,
// actors, and misuse of all of them; open of a damaged store.
#include <atomic>
#include <barrier>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "capi_test_util.h"

using namespace capi_test;

TEST_CASE("version and status names") {
  REQUIRE(annodb_version() != nullptr);
  CHECK(std::string(annodb_version()) == "0.1.0");
  CHECK(std::string(annodb_status_name(ANNODB_OK)) == "OK");
  CHECK(std::string(annodb_status_name(ANNODB_NOT_FOUND)) == "NotFound");
  CHECK(std::string(annodb_status_name(ANNODB_INVALID_ARGUMENT)) == "InvalidArgument");
  CHECK(std::string(annodb_status_name(ANNODB_BUSY)) == "Busy");
  CHECK(std::string(annodb_status_name(ANNODB_INTERNAL)) == "Internal");
  CHECK(std::string(annodb_status_name(-1)) == "Unknown");
  CHECK(std::string(annodb_status_name(11)) == "Unknown");
  annodb_free(nullptr);  // allowed
}

TEST_CASE("status codes have the engine's numbers") {
  CHECK(ANNODB_OK == 0);
  CHECK(ANNODB_NOT_FOUND == 1);
  CHECK(ANNODB_INVALID_ARGUMENT == 2);
  CHECK(ANNODB_ALREADY_EXISTS == 3);
  CHECK(ANNODB_CORRUPTION == 4);
  CHECK(ANNODB_IO_ERROR == 5);
  CHECK(ANNODB_BUSY == 6);
  CHECK(ANNODB_INCOMPATIBLE == 7);
  CHECK(ANNODB_CONFLICT == 8);
  CHECK(ANNODB_ABORTED == 9);
  CHECK(ANNODB_INTERNAL == 10);
  CHECK(ANNODB_CURRENT == UINT64_MAX);
}

TEST_CASE("options_init sets defaults and checks struct_size") {
  annodb_options o;
  std::memset(&o, 0xAB, sizeof o);
  REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.create_if_missing == 0);
  CHECK(o.durability == ANNODB_DURABILITY_FULL);
  CHECK(o.initial_map_bytes == (uint64_t{64} << 20));
  CHECK(o.flush_interval_ms == 1000);
  CHECK(o.max_readers == 256);

  CHECK(annodb_options_init(nullptr, sizeof o) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(annodb_last_error(nullptr), "opts is NULL"));
  CHECK(annodb_options_init(&o, 0) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_options_init(&o, sizeof o - 1) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_options_init(&o, 1 << 20) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(annodb_last_error(nullptr), "struct_size"));

  // A bigger struct (a program built against a newer header) is zeroed past
  // the fields this library knows.
  struct Bigger {
    annodb_options o;
    uint64_t newer_field;
  } big;
  std::memset(&big, 0xCD, sizeof big);
  REQUIRE(annodb_options_init(&big.o, sizeof big) == ANNODB_OK);
  CHECK(big.o.struct_size == sizeof big);
  CHECK(big.newer_field == 0);
}

TEST_CASE("actor_init") {
  annodb_actor a;
  std::memset(&a, 0xAB, sizeof a);
  REQUIRE(annodb_actor_init(&a, sizeof a) == ANNODB_OK);
  CHECK(a.struct_size == sizeof a);
  CHECK(a.kind == ANNODB_ACTOR_SYSTEM);
  CHECK(a.name == nullptr);
  CHECK(a.model_name == nullptr);
  CHECK(a.model_version == nullptr);
  CHECK(annodb_actor_init(nullptr, sizeof a) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_actor_init(&a, 3) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_actor_init(&a, 100000) == ANNODB_INVALID_ARGUMENT);
}

TEST_CASE("open creates, closes and reopens a store") {
  TempDir dir("capi-open");
  annodb_options o;
  REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
  o.create_if_missing = 1;
  annodb_store* s = nullptr;
  char* err = reinterpret_cast<char*>(0x1);  // overwritten, not freed
  REQUIRE(annodb_open(dir.path().c_str(), &o, &s, &err) == ANNODB_OK);
  CHECK(err == nullptr);
  REQUIRE(s != nullptr);
  CHECK(std::string(annodb_last_error(s)).empty());
  uint64_t id = 0;
  REQUIRE(annodb_dataset_create(s, "kept", "across reopen", nullptr, &id) == ANNODB_OK);
  annodb_close(s);

  // Reopen with NULL options (defaults, create_if_missing 0): the data is there.
  s = nullptr;
  REQUIRE(annodb_open(dir.path().c_str(), nullptr, &s, nullptr) == ANNODB_OK);
  uint64_t found = 0;
  CHECK(annodb_dataset_find(s, "kept", &found) == ANNODB_OK);
  CHECK(found == id);
  annodb_close(s);
}

TEST_CASE("every durability setting opens") {
  for (int d : {ANNODB_DURABILITY_FULL, ANNODB_DURABILITY_LAST_COMMIT_MAY_DROP, ANNODB_DURABILITY_PROCESS_CRASH_SAFE}) {
    TempDir dir("capi-durability");
    annodb_options o;
    REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
    o.create_if_missing = 1;
    o.durability = d;
    o.flush_interval_ms = 10;
    annodb_store* s = nullptr;
    REQUIRE(annodb_open(dir.path().c_str(), &o, &s, nullptr) == ANNODB_OK);
    REQUIRE(annodb_dataset_create(s, "d", nullptr, nullptr, nullptr) == ANNODB_OK);
    CHECK(annodb_sync(s) == ANNODB_OK);
    annodb_close(s);
  }
}

TEST_CASE("open misuse") {
  TempDir dir("capi-open-misuse");
  annodb_options o;
  REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
  o.create_if_missing = 1;
  annodb_store* s = reinterpret_cast<annodb_store*>(0x1);
  char* err = nullptr;

  SECTION("NULL path") {
    CHECK(annodb_open(nullptr, &o, &s, &err) == ANNODB_INVALID_ARGUMENT);
    CHECK(s == nullptr);
    REQUIRE(err != nullptr);
    CHECK(Has(err, "path is NULL"));
    CHECK(std::string(annodb_last_error(nullptr)) == err);
  }
  SECTION("NULL out") {
    CHECK(annodb_open(dir.path().c_str(), &o, nullptr, &err) == ANNODB_INVALID_ARGUMENT);
    REQUIRE(err != nullptr);
    CHECK(Has(err, "out is NULL"));
  }
  SECTION("empty path") {
    CHECK(annodb_open("", &o, &s, &err) == ANNODB_INVALID_ARGUMENT);
    CHECK(s == nullptr);
  }
  SECTION("no store and create_if_missing 0") {
    CHECK(annodb_open(dir.path().c_str(), nullptr, &s, &err) == ANNODB_NOT_FOUND);
    CHECK(s == nullptr);
    REQUIRE(err != nullptr);
    CHECK(Has(annodb_last_error(nullptr), "no store"));
  }
  SECTION("struct_size too small") {
    o.struct_size = sizeof o - 8;
    CHECK(annodb_open(dir.path().c_str(), &o, &s, &err) == ANNODB_INVALID_ARGUMENT);
    CHECK(Has(err, "struct_size"));
  }
  SECTION("struct_size absurd") {
    o.struct_size = SIZE_MAX;
    CHECK(annodb_open(dir.path().c_str(), &o, &s, &err) == ANNODB_INVALID_ARGUMENT);
  }
  SECTION("uninitialised options") {
    annodb_options raw;
    std::memset(&raw, 0, sizeof raw);
    CHECK(annodb_open(dir.path().c_str(), &raw, &s, &err) == ANNODB_INVALID_ARGUMENT);
  }
  SECTION("bad durability") {
    o.durability = 7;
    CHECK(annodb_open(dir.path().c_str(), &o, &s, &err) == ANNODB_INVALID_ARGUMENT);
    CHECK(Has(err, "durability"));
    o.durability = -1;
    annodb_free(err);
    CHECK(annodb_open(dir.path().c_str(), &o, &s, &err) == ANNODB_INVALID_ARGUMENT);
  }
  SECTION("a newer, bigger options struct: zero tail accepted, non-zero refused") {
    struct Bigger {
      annodb_options o;
      uint64_t newer_field;
    } big;
    REQUIRE(annodb_options_init(&big.o, sizeof big) == ANNODB_OK);
    big.o.create_if_missing = 1;
    REQUIRE(annodb_open(dir.path().c_str(), &big.o, &s, &err) == ANNODB_OK);
    annodb_close(s);
    big.newer_field = 1;
    CHECK(annodb_open(dir.path().c_str(), &big.o, &s, &err) == ANNODB_INVALID_ARGUMENT);
    CHECK(Has(err, "does not know"));
  }
  SECTION("a file where the directory should be") {
    std::string file = dir.sub("file");
    std::filesystem::create_directories(dir.path());
    FILE* f = std::fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fclose(f);
    int rc = annodb_open(file.c_str(), &o, &s, &err);
    CHECK(rc != ANNODB_OK);
    CHECK(s == nullptr);
    CHECK(err != nullptr);
  }
  annodb_free(err);
}

TEST_CASE("opening the same directory twice in one process is BUSY") {
  TestStore st("capi-busy");
  annodb_options o;
  REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
  o.create_if_missing = 1;
  annodb_store* second = nullptr;
  char* err = nullptr;
  CHECK(annodb_open(st.path().c_str(), &o, &second, &err) == ANNODB_BUSY);
  CHECK(second == nullptr);
  REQUIRE(err != nullptr);
  CHECK(Has(err, "already open"));
  annodb_free(err);
  // After closing the first handle, the directory opens again.
  st.Close();
  REQUIRE(annodb_open(st.path().c_str(), &o, &second, nullptr) == ANNODB_OK);
  annodb_close(second);
}

TEST_CASE("NULL, closed and bogus handles are refused without crashing") {
  Out out;
  uint64_t u = 0;
  auto check_all = [&](annodb_store* h) {
    CHECK(annodb_dataset_create(h, "x", nullptr, nullptr, &u) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_dataset_find(h, "x", &u) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_dataset_list(h, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(out.get() == nullptr);
    CHECK(annodb_asset_put_json(h, "x", "{}", nullptr, &u, nullptr) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_asset_get(h, 1, ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_asset_get_by_external_id(h, "x", "y", ANNODB_CURRENT, out.ptr(), out.len()) ==
          ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_asset_get_at_snapshot(h, 1, "s", out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_asset_update_metadata(h, 1, "{}", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_asset_delete(h, 1, nullptr) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_asset_history(h, 1, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_asset_list(h, "x", nullptr, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_asset_find_by_hash(h, "00", out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    void* fb = nullptr;
    size_t fb_len = 0;
    CHECK(annodb_asset_flatbuffer(h, 1, ANNODB_CURRENT, &fb, &fb_len) == ANNODB_INVALID_ARGUMENT);
    CHECK(fb == nullptr);
    CHECK(annodb_import_jsonl(h, "x", "/nonexistent", nullptr, nullptr, nullptr, out.ptr(), out.len()) ==
          ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_import_jsonl_buffer(h, "x", "", 0, nullptr, nullptr, nullptr, out.ptr(), out.len()) ==
          ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_import_directory(h, "x", "/nonexistent", nullptr, nullptr, nullptr, out.ptr(), out.len()) ==
          ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_sequence(h, &u) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_changes_since(h, 0, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_snapshot_create(h, "s", nullptr, &u) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_snapshot_delete(h, "s", nullptr) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_snapshot_list(h, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_stats(h, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_verify(h, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_sync(h) == ANNODB_INVALID_ARGUMENT);
    CHECK(annodb_backup(h, "/tmp/x") == ANNODB_INVALID_ARGUMENT);
    CHECK(out.get() == nullptr);
    annodb_close(h);  // ignored
    CHECK(std::string(annodb_last_error(h)).size() > 0);
  };

  SECTION("NULL") {
    check_all(nullptr);
    CHECK(Has(annodb_last_error(nullptr), "NULL"));
  }
  SECTION("closed") {
    TempDir dir("capi-closed");
    annodb_options o;
    REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
    o.create_if_missing = 1;
    annodb_store* s = nullptr;
    REQUIRE(annodb_open(dir.path().c_str(), &o, &s, nullptr) == ANNODB_OK);
    annodb_close(s);
    check_all(s);
    CHECK(Has(annodb_last_error(s), "not open"));
    annodb_close(s);  // closing twice is ignored
  }
  SECTION("never opened") {
    alignas(64) unsigned char junk[512];
    std::memset(junk, 0x5A, sizeof junk);
    check_all(reinterpret_cast<annodb_store*>(junk));
    CHECK(Has(annodb_last_error(nullptr), "not open"));
  }
}

TEST_CASE("last_error is per thread and per handle") {
  TestStore st("capi-lasterr");
  TestStore other("capi-lasterr-other");
  st.Dataset("d");
  CHECK(std::string(annodb_last_error(st)).empty());

  // Two threads fail differently on the same handle at the same time; each
  // reads its own message afterwards.
  std::barrier sync(2);
  std::string seen_a, seen_b;
  std::thread a([&] {
    uint64_t id;
    CHECK(annodb_dataset_find(st, "no-such-dataset-A", &id) == ANNODB_NOT_FOUND);
    sync.arrive_and_wait();  // both have failed
    seen_a = annodb_last_error(st);
    sync.arrive_and_wait();
  });
  std::thread b([&] {
    CHECK(annodb_asset_put_json(st, "d", "{not json", nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
    sync.arrive_and_wait();
    seen_b = annodb_last_error(st);
    sync.arrive_and_wait();
  });
  a.join();
  b.join();
  CHECK(Has(seen_a, "no-such-dataset-A"));
  CHECK_FALSE(Has(seen_a, "JSON"));
  CHECK_FALSE(seen_b.empty());
  CHECK_FALSE(Has(seen_b, "no-such-dataset-A"));
  // The main thread has made no failing call on this handle.
  CHECK(std::string(annodb_last_error(st)).empty());

  // Per handle: a failure on `other` does not show on `st`.
  uint64_t id;
  CHECK(annodb_dataset_find(st, "missing-1", &id) == ANNODB_NOT_FOUND);
  CHECK(annodb_dataset_find(other, "missing-2", &id) == ANNODB_NOT_FOUND);
  CHECK(Has(annodb_last_error(st), "missing-1"));
  CHECK(Has(annodb_last_error(other), "missing-2"));
  // A successful call keeps the last failure's message.
  CHECK(annodb_dataset_find(st, "d", &id) == ANNODB_OK);
  CHECK(Has(annodb_last_error(st), "missing-1"));
  // A later failure replaces it.
  CHECK(annodb_dataset_find(st, "missing-3", &id) == ANNODB_NOT_FOUND);
  CHECK(Has(annodb_last_error(st), "missing-3"));
}

TEST_CASE("many threads use one handle, and close waits for them") {
  TempDir dir("capi-threads");
  annodb_options o;
  REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
  o.create_if_missing = 1;
  o.durability = ANNODB_DURABILITY_PROCESS_CRASH_SAFE;
  annodb_store* s = nullptr;
  REQUIRE(annodb_open(dir.path().c_str(), &o, &s, nullptr) == ANNODB_OK);
  REQUIRE(annodb_dataset_create(s, "d", nullptr, nullptr, nullptr) == ANNODB_OK);

  std::atomic<int> ok{0}, refused{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < 200; ++i) {
        std::string line = Line("t" + std::to_string(t) + "-" + std::to_string(i));
        int rc = annodb_asset_put_json(s, "d", line.c_str(), nullptr, nullptr, nullptr);
        if (rc == ANNODB_OK) {
          ++ok;
          char* out = nullptr;
          rc = annodb_stats(s, &out, nullptr);
          annodb_free(out);
        }
        if (rc == ANNODB_INVALID_ARGUMENT) ++refused;  // closed under us
        else if (rc != ANNODB_OK) ++other;
      }
    });
  }
  go = true;
  while (ok.load() < 50 && other.load() == 0) std::this_thread::yield();
  annodb_close(s);  // concurrent with the writers: waits for calls in progress
  for (auto& th : threads) th.join();
  CHECK(other.load() == 0);
  CHECK(ok.load() + refused.load() >= 50);

  // Everything committed before close is there.
  REQUIRE(annodb_open(dir.path().c_str(), nullptr, &s, nullptr) == ANNODB_OK);
  Out stats;
  REQUIRE(annodb_stats(s, stats.ptr(), stats.len()) == ANNODB_OK);
  CHECK(stats.parse()["assets"].get<int>() >= 50);
  annodb_close(s);
}

TEST_CASE("actor misuse is refused") {
  TestStore st("capi-actor");
  annodb_actor a;
  REQUIRE(annodb_actor_init(&a, sizeof a) == ANNODB_OK);
  a.kind = ANNODB_ACTOR_PERSON;
  a.name = "alice";
  uint64_t id = 0;
  REQUIRE(annodb_dataset_create(st, "ok", nullptr, &a, &id) == ANNODB_OK);
  // A refused call writes nothing.
  auto nothing_written = [&] {
    uint64_t found = 0;
    CHECK(annodb_dataset_find(st, "x", &found) == ANNODB_NOT_FOUND);
  };

  SECTION("unknown kind") {
    a.kind = 42;
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    CHECK(Has(st.error(), "actor.kind"));
    a.kind = -1;
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    nothing_written();
  }
  SECTION("struct_size") {
    a.struct_size = 0;
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    CHECK(Has(st.error(), "struct_size"));
    a.struct_size = 5000;
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    nothing_written();
  }
  SECTION("invalid UTF-8 name") {
    a.name = "al\xff" "ice";
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    CHECK(Has(st.error(), "UTF-8"));
    nothing_written();
  }
  SECTION("overlong encoding and surrogates are not UTF-8") {
    a.name = "\xc0\xaf";
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    a.name = "\xed\xa0\x80";
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    nothing_written();
    a.name = "caf\xc3\xa9 \xf0\x9f\x98\x80";  // valid: café 😀
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_OK);
  }
  SECTION("too long") {
    std::string longname(300, 'a');
    a.name = longname.c_str();
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    nothing_written();
  }
  SECTION("control characters") {
    a.model_name = "bad\nmodel";
    CHECK(annodb_dataset_create(st, "x", nullptr, &a, &id) == ANNODB_INVALID_ARGUMENT);
    CHECK(Has(st.error(), "actor.model_name"));
    nothing_written();
  }
}

TEST_CASE("the actor goes into provenance") {
  TestStore st("capi-prov");
  st.Dataset("d");
  annodb_actor a;
  REQUIRE(annodb_actor_init(&a, sizeof a) == ANNODB_OK);
  a.kind = ANNODB_ACTOR_MODEL;
  a.name = "prelabel";
  a.model_name = "yolo";
  a.model_version = "v8";
  uint64_t id = 0;
  REQUIRE(annodb_asset_put_json(st, "d", Line("m").c_str(), &a, &id, nullptr) == ANNODB_OK);
  json j = st.Get(id);
  CHECK(j["provenance"]["actor_kind"] == "model");
  CHECK(j["provenance"]["actor"] == "prelabel");
  CHECK(j["provenance"]["model"]["name"] == "yolo");
  CHECK(j["provenance"]["model"]["version"] == "v8");

  // NULL actor: the system actor "annodb".
  REQUIRE(annodb_asset_put_json(st, "d", Line("n").c_str(), nullptr, &id, nullptr) == ANNODB_OK);
  j = st.Get(id);
  CHECK(j["provenance"]["actor_kind"] == "system");
  CHECK(j["provenance"]["actor"] == "annodb");
}

TEST_CASE("open of a store whose newest meta page is damaged: ANNODB_CORRUPTION, even with create_if_missing") {
  TempDir dir("capi-open-damaged");
  annodb_options o;
  REQUIRE(annodb_options_init(&o, sizeof o) == ANNODB_OK);
  o.create_if_missing = 1;
  annodb_store* s = nullptr;
  REQUIRE(annodb_open(dir.path().c_str(), &o, &s, nullptr) == ANNODB_OK);
  REQUIRE(annodb_dataset_create(s, "one", nullptr, nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_dataset_create(s, "two", nullptr, nullptr, nullptr) == ANNODB_OK);
  annodb_close(s);
  // The newest meta page is the one with the higher transaction id (at byte
  // 144 of each 4 KiB page); damage its magic number.
  std::string path = dir.sub("data.mdb");
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  uint64_t txn[2];
  for (int i = 0; i < 2; ++i) {
    f.seekg(i * 4096 + 144);
    f.read(reinterpret_cast<char*>(&txn[i]), 8);
  }
  f.seekp((txn[1] > txn[0] ? 4096 : 0) + 16);
  f.write("\0\0\0\0", 4);
  f.close();
  for (int create : {0, 1}) {
    o.create_if_missing = create;
    char* err = nullptr;
    s = nullptr;
    CHECK(annodb_open(dir.path().c_str(), &o, &s, &err) == ANNODB_CORRUPTION);
    CHECK(s == nullptr);
    REQUIRE(err != nullptr);
    CHECK(std::string(err).find("annodb recover") != std::string::npos);
    annodb_free(err);
  }
}
