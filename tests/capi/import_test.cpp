// C ABI: bulk import of JSON Lines (file and buffer) and directories.
#include <filesystem>
#include <fstream>

#include "capi_test_util.h"

using namespace capi_test;

namespace {

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary);
  f << content;
}

std::string Jsonl(int n, const std::string& extra = "") {
  std::string s;
  for (int i = 0; i < n; ++i) s += Line("row-" + std::to_string(i), extra) + "\n";
  return s;
}

annodb_import_report NewReport() {
  annodb_import_report r;
  std::memset(&r, 0xEE, sizeof r);
  r.struct_size = sizeof r;
  return r;
}

}  // namespace

TEST_CASE("import a JSON Lines file, then again: nothing new") {
  TestStore st("capi-import");
  TempDir files("capi-import-files");
  std::string path = files.sub("rows.jsonl");
  WriteFile(path, Jsonl(50) + "\n");  // a blank line is not a row

  annodb_import_report r = NewReport();
  Out out;
  int rc = annodb_import_jsonl(st, "imported", path.c_str(), nullptr, nullptr, &r, out.ptr(), out.len());
  INFO(st.error());
  REQUIRE(rc == ANNODB_OK);
  CHECK(r.struct_size == sizeof r);
  CHECK(r.lines == 50);
  CHECK(r.created == 50);
  CHECK(r.updated == 0);
  CHECK(r.unchanged == 0);
  CHECK(r.job_id != 0);
  CHECK(r.first_sequence != 0);
  CHECK(r.last_sequence >= r.first_sequence);
  json j = out.parse();
  CHECK(j["lines"] == 50);
  CHECK(j["created"] == 50);
  CHECK(j["job_id"] == r.job_id);

  // The dataset was created; provenance names the import job.
  Out a;
  REQUIRE(annodb_asset_get_by_external_id(st, "imported", "row-7", ANNODB_CURRENT, a.ptr(), a.len()) == ANNODB_OK);
  json asset = a.parse();
  CHECK(asset["provenance"]["actor_kind"] == "import_job");
  CHECK(asset["provenance"]["job_id"] == r.job_id);

  uint64_t seq = st.Sequence();
  r = NewReport();
  REQUIRE(annodb_import_jsonl(st, "imported", path.c_str(), nullptr, nullptr, &r, nullptr, nullptr) == ANNODB_OK);
  CHECK(r.created == 0);
  CHECK(r.unchanged == 50);
  CHECK(st.Sequence() == seq);

  // A changed row becomes a new version.
  WriteFile(path, Jsonl(50, "\"width\":1"));
  REQUIRE(annodb_import_jsonl(st, "imported", path.c_str(), nullptr, nullptr, &r, nullptr, nullptr) == ANNODB_OK);
  CHECK(r.updated == 50);
}

TEST_CASE("import: a bad line is refused with its number and nothing is written") {
  TestStore st("capi-import-bad");
  st.Dataset("d");
  TempDir files("capi-import-bad-files");
  std::string path = files.sub("rows.jsonl");
  WriteFile(path, Jsonl(10) + "{\"external_id\":\"x\"}\n" + Jsonl(3));
  uint64_t seq = st.Sequence();
  annodb_import_report r = NewReport();
  Out out;
  CHECK(annodb_import_jsonl(st, "d", path.c_str(), nullptr, nullptr, &r, out.ptr(), out.len()) ==
        ANNODB_INVALID_ARGUMENT);
  INFO(st.error());
  CHECK(Has(st.error(), "line 11"));
  CHECK(Has(st.error(), "uri"));
  CHECK(out.get() == nullptr);
  CHECK(r.created == 0);
  CHECK(st.Sequence() == seq);

  WriteFile(path, "{\"external_id\":\"ok\",\"uri\":\"u\"}\n{\"external_id\":\"bad\xff\",\"uri\":\"u\"}\n");
  CHECK(annodb_import_jsonl(st, "d", path.c_str(), nullptr, nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "line 2"));
  CHECK(st.Sequence() == seq);
}

TEST_CASE("import: options, misuse and errors") {
  TestStore st("capi-import-opts");
  TempDir files("capi-import-opts-files");
  std::string path = files.sub("rows.jsonl");
  WriteFile(path, Jsonl(5));

  annodb_import_options o;
  REQUIRE(annodb_import_options_init(&o, sizeof o) == ANNODB_OK);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.batch_rows == 20000);
  CHECK(o.create_dataset == 1);
  CHECK(o.hash_local_files == 1);
  CHECK(o.progress == nullptr);
  CHECK(annodb_import_options_init(nullptr, sizeof o) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_import_options_init(&o, 1) == ANNODB_INVALID_ARGUMENT);
  REQUIRE(annodb_import_options_init(&o, sizeof o) == ANNODB_OK);

  o.create_dataset = 0;
  CHECK(annodb_import_jsonl(st, "missing", path.c_str(), &o, nullptr, nullptr, nullptr, nullptr) == ANNODB_NOT_FOUND);
  o.create_dataset = 1;

  annodb_import_report r = NewReport();
  CHECK(annodb_import_jsonl(st, "d", files.sub("absent.jsonl").c_str(), &o, nullptr, &r, nullptr, nullptr) ==
        ANNODB_NOT_FOUND);
  CHECK(Has(st.error(), "absent.jsonl"));
  CHECK(annodb_import_jsonl(st, "d", files.path().c_str(), &o, nullptr, &r, nullptr, nullptr) != ANNODB_OK);
  CHECK(annodb_import_jsonl(st, nullptr, path.c_str(), &o, nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_import_jsonl(st, "d", nullptr, &o, nullptr, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_import_jsonl(st, "d", "", &o, nullptr, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_import_directory(st, "d", nullptr, &o, nullptr, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);

  annodb_import_options bad = o;
  bad.struct_size = 0;
  CHECK(annodb_import_jsonl(st, "d", path.c_str(), &bad, nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "struct_size"));
  annodb_import_report bad_report = NewReport();
  bad_report.struct_size = 3;
  CHECK(annodb_import_jsonl(st, "d", path.c_str(), &o, nullptr, &bad_report, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  annodb_actor bad_actor;
  REQUIRE(annodb_actor_init(&bad_actor, sizeof bad_actor) == ANNODB_OK);
  bad_actor.kind = 99;
  CHECK(annodb_import_jsonl(st, "d", path.c_str(), &o, &bad_actor, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(st.Sequence() == 0);

  // Small batches: one commit per batch.
  o.batch_rows = 2;
  annodb_actor bot;
  REQUIRE(annodb_actor_init(&bot, sizeof bot) == ANNODB_OK);
  bot.kind = ANNODB_ACTOR_PLUGIN;
  bot.name = "loader";
  r = NewReport();
  REQUIRE(annodb_import_jsonl(st, "d", path.c_str(), &o, &bot, &r, nullptr, nullptr) == ANNODB_OK);
  CHECK(r.created == 5);
  CHECK(r.batches == 3);
  CHECK(r.last_sequence - r.first_sequence + 1 == 3);
  Out a;
  REQUIRE(annodb_asset_get_by_external_id(st, "d", "row-0", ANNODB_CURRENT, a.ptr(), a.len()) == ANNODB_OK);
  CHECK(a.parse()["provenance"]["actor"] == "loader");
  CHECK(a.parse()["provenance"]["actor_kind"] == "plugin");
}

TEST_CASE("import: a bigger report struct is filled and its tail zeroed") {
  TestStore st("capi-import-report");
  struct Bigger {
    annodb_import_report r;
    uint64_t newer;
  } big;
  std::memset(&big, 0xEE, sizeof big);
  big.r.struct_size = sizeof big;
  std::string data = Jsonl(3);
  REQUIRE(annodb_import_jsonl_buffer(st, "d", data.data(), data.size(), nullptr, nullptr, &big.r, nullptr, nullptr) ==
          ANNODB_OK);
  CHECK(big.r.struct_size == sizeof big);
  CHECK(big.r.created == 3);
  CHECK(big.newer == 0);
}

TEST_CASE("import from a memory buffer") {
  TestStore st("capi-import-buf");
  std::string data = Jsonl(20);
  data.pop_back();  // the last line need not end with a newline
  annodb_import_report r = NewReport();
  Out out;
  REQUIRE(annodb_import_jsonl_buffer(st, "buf", data.data(), data.size(), nullptr, nullptr, &r, out.ptr(),
                                     out.len()) == ANNODB_OK);
  CHECK(r.created == 20);
  CHECK(out.parse()["created"] == 20);
  // Empty input: nothing to do.
  REQUIRE(annodb_import_jsonl_buffer(st, "buf", nullptr, 0, nullptr, nullptr, &r, nullptr, nullptr) == ANNODB_OK);
  CHECK(r.lines == 0);
  CHECK(annodb_import_jsonl_buffer(st, "buf", nullptr, 5, nullptr, nullptr, &r, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  std::string bad = "{\"external_id\":\"a\",\"uri\":\"u\"}\nnot json\n";
  CHECK(annodb_import_jsonl_buffer(st, "buf", bad.data(), bad.size(), nullptr, nullptr, &r, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(st.error(), "line 2"));
}

TEST_CASE("import a directory of media files") {
  TestStore st("capi-import-dir");
  TempDir media("capi-import-media");
  WriteFile(media.sub("a.jpg"), "jpeg bytes");
  WriteFile(media.sub("sub/b.png"), "png bytes");
  WriteFile(media.sub("sub/c.jpg"), "jpeg bytes");  // same bytes as a.jpg
  WriteFile(media.sub(".hidden"), "skipped");
  annodb_import_report r = NewReport();
  Out out;
  REQUIRE(annodb_import_directory(st, "media", media.path().c_str(), nullptr, nullptr, &r, out.ptr(), out.len()) ==
          ANNODB_OK);
  CHECK(r.created == 3);
  CHECK(out.parse()["created"] == 3);

  Out a;
  REQUIRE(annodb_asset_get_by_external_id(st, "media", "sub/b.png", ANNODB_CURRENT, a.ptr(), a.len()) == ANNODB_OK);
  json b = a.parse();
  CHECK(b["media_type"] == "image/png");
  CHECK(b["byte_size"] == 9);
  REQUIRE(annodb_asset_get_by_external_id(st, "media", "a.jpg", ANNODB_CURRENT, a.ptr(), a.len()) == ANNODB_OK);
  std::string hash = a.parse()["content_hash"];
  REQUIRE(annodb_asset_find_by_hash(st, hash.c_str(), a.ptr(), a.len()) == ANNODB_OK);
  CHECK(a.parse().size() == 2);  // a.jpg and sub/c.jpg

  r = NewReport();
  REQUIRE(annodb_import_directory(st, "media", media.path().c_str(), nullptr, nullptr, &r, nullptr, nullptr) ==
          ANNODB_OK);
  CHECK(r.unchanged == 3);
  CHECK(annodb_import_directory(st, "media", media.sub("absent").c_str(), nullptr, nullptr, nullptr, nullptr,
                                nullptr) == ANNODB_NOT_FOUND);
}

namespace {
struct ProgressLog {
  int calls = 0;
  int writing_calls = 0;
  uint64_t last_rows_done = 0;
  int cancel_after_batches = -1;  // -1 = never cancel
};

int OnProgress(const annodb_import_progress* p, void* user) {
  auto* log = static_cast<ProgressLog*>(user);
  if (p == nullptr) return 1;  // (no REQUIRE: it would throw through the library)
  CHECK(p->struct_size == sizeof(annodb_import_progress));
  ++log->calls;
  if (p->phase == ANNODB_IMPORT_WRITING) {
    ++log->writing_calls;
    log->last_rows_done = p->rows_done;
    CHECK(p->rows_total == 100);
    if (log->cancel_after_batches >= 0 && p->batches >= static_cast<uint64_t>(log->cancel_after_batches)) return 1;
  }
  return 0;
}
}  // namespace

TEST_CASE("import: progress callback and cancel") {
  TestStore st("capi-import-progress");
  std::string data = Jsonl(100);
  annodb_import_options o;
  REQUIRE(annodb_import_options_init(&o, sizeof o) == ANNODB_OK);
  o.batch_rows = 10;
  o.progress = OnProgress;

  ProgressLog log;
  o.progress_user_data = &log;
  annodb_import_report r = NewReport();
  REQUIRE(annodb_import_jsonl_buffer(st, "p", data.data(), data.size(), &o, nullptr, &r, nullptr, nullptr) ==
          ANNODB_OK);
  CHECK(log.writing_calls == 10);
  CHECK(log.last_rows_done == 100);
  CHECK(r.created == 100);

  // Cancel after 3 batches: ABORTED, the committed batches stay, and running
  // the import again finishes it with no duplicates.
  TestStore st2("capi-import-cancel");
  ProgressLog cancel_log;
  cancel_log.cancel_after_batches = 3;
  o.progress_user_data = &cancel_log;
  r = NewReport();
  CHECK(annodb_import_jsonl_buffer(st2, "p", data.data(), data.size(), &o, nullptr, &r, nullptr, nullptr) ==
        ANNODB_ABORTED);
  CHECK(r.created == 30);
  Out stats;
  REQUIRE(annodb_stats(st2, stats.ptr(), stats.len()) == ANNODB_OK);
  CHECK(stats.parse()["assets"] == 30);
  o.progress = nullptr;
  REQUIRE(annodb_import_jsonl_buffer(st2, "p", data.data(), data.size(), &o, nullptr, &r, nullptr, nullptr) ==
          ANNODB_OK);
  CHECK(r.created == 70);
  CHECK(r.unchanged == 30);
  REQUIRE(annodb_stats(st2, stats.ptr(), stats.len()) == ANNODB_OK);
  CHECK(stats.parse()["assets"] == 100);
}

namespace {
struct CloseFromCallback {
  annodb_store* store = nullptr;
  int calls = 0;
  uint64_t sequence_seen = 0;
};
int CloseAndRead(const annodb_import_progress* p, void* user) {
  auto* c = static_cast<CloseFromCallback*>(user);
  ++c->calls;
  if (p->phase == ANNODB_IMPORT_WRITING) {
    annodb_close(c->store);  // ignored: the import is a call in progress on it
    annodb_sequence(c->store, &c->sequence_seen);
  }
  return 0;
}
}  // namespace

TEST_CASE("import: the progress callback may use the store, closing it there is ignored") {
  TestStore st("capi-import-reenter");
  std::string data = Jsonl(30);
  annodb_import_options o;
  REQUIRE(annodb_import_options_init(&o, sizeof o) == ANNODB_OK);
  o.batch_rows = 10;
  o.progress = CloseAndRead;
  CloseFromCallback c;
  c.store = st;
  o.progress_user_data = &c;
  annodb_import_report r = NewReport();
  REQUIRE(annodb_import_jsonl_buffer(st, "p", data.data(), data.size(), &o, nullptr, &r, nullptr, nullptr) ==
          ANNODB_OK);
  CHECK(r.created == 30);
  CHECK(c.calls >= 3);
  CHECK(c.sequence_seen == r.last_sequence);
  // The handle is still open.
  CHECK(st.Sequence() == r.last_sequence);
}
