// JSON Lines import: upsert semantics, all-or-nothing refusal of bad input,
// streams and stdin, local-file hashing, cancel, progress, map growth.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "import_helpers.h"

using namespace annodb;
using namespace annodb::test;

TEST_CASE("jsonl: rows become assets and the same file again is all unchanged and writes nothing") {
  TempDir dir("imp-basic");
  auto store = OpenNew(dir.sub("store"));
  WriteRows(dir.sub("rows.jsonl"), 0, 1000);
  ImportOptions opt;
  opt.batch_rows = 100;
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "cams", dir.sub("rows.jsonl"), Actor::System(), opt, &rep).ok());
  CHECK(rep.lines == 1000);
  CHECK(rep.created == 1000);
  CHECK(rep.updated == 0);
  CHECK(rep.unchanged == 0);
  CHECK(rep.batches == 10);
  CHECK(rep.job_id >= 1);
  CHECK(rep.first_sequence == 1);
  CHECK(rep.last_sequence == 10);  // one commit per batch

  StoreStats st;
  REQUIRE(store->Stats(&st).ok());
  CHECK(st.live[static_cast<int>(RecordKind::Asset)] == 1000);
  CHECK(st.live[static_cast<int>(RecordKind::Dataset)] == 1);
  CHECK(ListExternalIds(*store, DatasetId(*store, "cams")).size() == 1000);

  // Provenance: a System actor becomes an import job carrying the job id;
  // every changefeed entry names the job too.
  ProvenanceInfo prov;
  AssetInput a = GetByExternalId(*store, "cams", "img-7", nullptr, &prov);
  CHECK(a.uri == "s3://bucket/img-7.jpg");
  CHECK(a.width == 640);
  CHECK(prov.actor_kind == ActorKind::kImportJob);
  CHECK(prov.actor_name == "annodb");
  CHECK(prov.job_id == rep.job_id);
  REQUIRE(store->Read([&](ReadTxn& t) {
    std::vector<ChangeSetInfo> changes;
    ANNODB_RETURN_IF_ERROR(t.ChangesSince(0, 0, &changes));
    REQUIRE(changes.size() == 10);
    for (const ChangeSetInfo& c : changes) CHECK(c.job_id == rep.job_id);
    // A bulk batch is one id range per kind, not one entry per row.
    CHECK(changes[1].changes.size() == 1);
    CHECK(changes[1].changes[0].last_id - changes[1].changes[0].first_id == 99);
    return Status::OK();
  }).ok());

  auto before = StoreFingerprint::Of(*store);
  ImportReport again;
  REQUIRE(ImportJsonl(*store, "cams", dir.sub("rows.jsonl"), Actor::System(), opt, &again).ok());
  CHECK(again.lines == 1000);
  CHECK(again.unchanged == again.lines);
  CHECK(again.created == 0);
  CHECK(again.updated == 0);
  CHECK(again.job_id == 0);
  CHECK(again.first_sequence == 0);
  CHECK(again.last_sequence == 0);
  StoreFingerprint::Of(*store).RequireSame(before);  // not even a job id was allocated
}

TEST_CASE("jsonl: a changed row becomes a new version, with history") {
  TempDir dir("imp-change");
  auto store = OpenNew(dir.sub("store"));
  std::string path = dir.sub("rows.jsonl");
  WriteRows(path, 0, 50);
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "cams", path, Importer(), {}, &rep).ok());
  uint64_t first_job = rep.job_id;
  // Row 17 changes its metadata; everything else stays.
  std::string content;
  for (uint64_t i = 0; i < 50; ++i) content += JsonRow(i, i == 17 ? 1 : 0) + "\n";
  WriteFile(path, content);
  REQUIRE(ImportJsonl(*store, "cams", path, Importer(), {}, &rep).ok());
  CHECK(rep.updated == 1);
  CHECK(rep.unchanged == 49);
  CHECK(rep.created == 0);
  CHECK(rep.job_id > first_job);
  uint64_t id = 0;
  ProvenanceInfo prov;
  GetByExternalId(*store, "cams", "img-17", &id, &prov);
  CHECK(prov.actor_kind == ActorKind::kPerson);  // a person's import keeps the person
  CHECK(prov.actor_name == "importer");
  CHECK(prov.job_id == rep.job_id);
  CHECK(prov.replaces_version == 1);
  REQUIRE(store->Read([&](ReadTxn& t) {
    std::vector<RecordView> hist;
    ANNODB_RETURN_IF_ERROR(t.History(RecordKind::Asset, id, &hist));
    REQUIRE(hist.size() == 2);
    CHECK(hist[0].DecodeProvenance().job_id == first_job);
    return Status::OK();
  }).ok());
}

TEST_CASE("jsonl: a bad line refuses the whole file with its line number and writes nothing") {
  struct Case {
    std::string line, expect;
  };
  std::string long_id(kMaxExternalIdBytes + 1, 'x');
  std::string long_meta(kMaxMetadataStringBytes + 1, 'm');
  const std::vector<Case> cases = {
      {"this is not json", "line 17: not valid JSON"},
      {R"({"uri":"u"})", "line 17: external_id is required"},
      {R"({"external_id":"x"})", "line 17: uri is required"},
      {R"({"external_id":"x","uri":"u","width":"wide"})", "line 17: width: expected a non-negative integer, got a string"},
      {R"({"external_id":"x","uri":"u","metadata":{"lux":[1]}})", "line 17: metadata.lux: arrays are not supported"},
      {"{\"external_id\":\"x\xc3\",\"uri\":\"u\"}", "line 17: not valid UTF-8"},
      {R"({"external_id":")" + long_id + R"(","uri":"u"})", "line 17: external_id is 401 bytes, more than the limit of 400"},
      {R"({"external_id":"x","uri":"u","metadata":{"note":")" + long_meta + R"("}})", "line 17: metadata.note is 65537 bytes"},
      {R"({"external_id":"x","uri":"u","colour":"red"})", "line 17: unknown key 'colour'"},
      {R"({"external_id":"x","uri":"u","metadata":{"t":{"$time":"2024-02-30T00:00:00Z"}}})", "line 17: metadata.t: '2024-02-30T00:00:00Z' is not an RFC 3339 time"},
      {R"({"external_id":"x","uri":"u","metadata":{"n":null}})", "line 17: metadata.n: null is not a metadata value"},
      {R"({"external_id":"x","uri":"u","embedding":[1,null]})", "line 17: embedding[1]: expected a number, got null"},
      {std::string(kMaxImportLineBytes + 1, ' '), "line 17: longer than 16777216 bytes"},
  };
  TempDir dir("imp-bad");
  auto store = OpenNew(dir.sub("store"));
  // Something already in the store, to show it stays exactly as it was.
  WriteRows(dir.sub("seed.jsonl"), 0, 10);
  REQUIRE(ImportJsonl(*store, "seed", dir.sub("seed.jsonl"), Importer(), {}, nullptr).ok());
  auto before = StoreFingerprint::Of(*store);
  for (const Case& c : cases) {
    // 15 good rows, a blank line (counted: line numbers are physical lines), the bad one, more good rows.
    std::string content;
    for (int i = 0; i < 15; ++i) content += JsonRow(100 + i) + "\n";
    content += "\n" + c.line + "\n";
    for (int i = 0; i < 5; ++i) content += JsonRow(200 + i) + "\n";
    WriteFile(dir.sub("bad.jsonl"), content);
    for (size_t batch : {size_t{1}, size_t{20000}}) {
      ImportOptions opt;
      opt.batch_rows = batch;  // with batches of one row, the good rows before the bad one would commit if pass 1 were skipped
      ImportReport rep;
      Status s = ImportJsonl(*store, "fresh", dir.sub("bad.jsonl"), Importer(), opt, &rep);
      INFO(c.expect.substr(0, 80));
      REQUIRE_FALSE(s.ok());
      CHECK(s.IsInvalidArgument());
      CHECK_THAT(s.message().substr(0, 200), Catch::StartsWith(c.expect));
      CHECK(rep.created == 0);
      CHECK(rep.batches == 0);
      CHECK_FALSE(HasDataset(*store, "fresh"));
      // Into an existing dataset, too.
      s = ImportJsonl(*store, "seed", dir.sub("bad.jsonl"), Importer(), opt, nullptr);
      CHECK(s.IsInvalidArgument());
      StoreFingerprint::Of(*store).RequireSame(before);
    }
  }
}

TEST_CASE("jsonl: line handling - blank lines, CRLF, a byte order mark, no final newline") {
  TempDir dir("imp-lines");
  auto store = OpenNew(dir.sub("store"));
  std::string content = "\xEF\xBB\xBF" + JsonRow(1) + "\r\n\r\n   \t\n" + JsonRow(2) + "\r\n\n" + JsonRow(3);
  WriteFile(dir.sub("rows.jsonl"), content);
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "d", dir.sub("rows.jsonl"), Importer(), {}, &rep).ok());
  CHECK(rep.lines == 3);
  CHECK(rep.created == 3);
  // The error on a later line counts the blank and CRLF lines.
  WriteFile(dir.sub("rows.jsonl"), content + "\r\n\r\n{oops}\r\n");
  Status s = ImportJsonl(*store, "d", dir.sub("rows.jsonl"), Importer(), {}, &rep);
  CHECK_THAT(s.message(), Catch::StartsWith("line 8: "));
}

TEST_CASE("jsonl: a missing dataset is NotFound unless it may be created, an empty file creates it") {
  TempDir dir("imp-ds");
  auto store = OpenNew(dir.sub("store"));
  WriteRows(dir.sub("rows.jsonl"), 0, 5);
  ImportOptions opt;
  opt.create_dataset = false;
  auto before = StoreFingerprint::Of(*store);
  Status s = ImportJsonl(*store, "nope", dir.sub("rows.jsonl"), Importer(), opt, nullptr);
  CHECK(s.IsNotFound());
  StoreFingerprint::Of(*store).RequireSame(before);
  CHECK(ImportJsonl(*store, "", dir.sub("rows.jsonl"), Importer(), {}, nullptr).IsInvalidArgument());
  CHECK(ImportJsonl(*store, "d", dir.sub("missing.jsonl"), Importer(), {}, nullptr).IsNotFound());
  CHECK(ImportJsonl(*store, "d", dir.path(), Importer(), {}, nullptr).IsInvalidArgument());
  StoreFingerprint::Of(*store).RequireSame(before);

  WriteFile(dir.sub("empty.jsonl"), "\n\n");
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "empty", dir.sub("empty.jsonl"), Importer(), {}, &rep).ok());
  CHECK(rep.lines == 0);
  CHECK(HasDataset(*store, "empty"));
  // Now it exists, create_dataset=false imports into it.
  REQUIRE(ImportJsonl(*store, "empty", dir.sub("rows.jsonl"), Importer(), opt, &rep).ok());
  CHECK(rep.created == 5);
}

TEST_CASE("jsonl: from a stream and from stdin (spooled), then unchanged from a file") {
  TempDir dir("imp-stream");
  auto store = OpenNew(dir.sub("store"));
  std::string content;
  for (int i = 0; i < 300; ++i) content += JsonRow(i) + "\n";
  std::istringstream in(content);
  ImportOptions opt;
  opt.batch_rows = 64;
  ImportReport rep;
  REQUIRE(ImportJsonlStream(*store, "s", in, Importer(), opt, &rep).ok());
  CHECK(rep.created == 300);
  CHECK(rep.batches == 5);

  // A bad stream writes nothing (the spool lets pass 2 re-read what pass 1 consumed).
  std::istringstream bad(content + "{\"external_id\":1}\n");
  auto before = StoreFingerprint::Of(*store);
  Status s = ImportJsonlStream(*store, "s2", bad, Importer(), opt, &rep);
  CHECK_THAT(s.message(), Catch::StartsWith("line 301: external_id: expected a string"));
  StoreFingerprint::Of(*store).RequireSame(before);

  // "-" reads standard input: a pipe here, so it is spooled too.
  std::string more;
  for (int i = 0; i < 300; ++i) more += JsonRow(i, 0, "pipe-") + "\n";
  REQUIRE(more.size() < 60000);  // fits in the pipe buffer without a writer thread
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::write(fds[1], more.data(), more.size()) == static_cast<ssize_t>(more.size()));
  ::close(fds[1]);
  int saved = ::dup(STDIN_FILENO);
  ::dup2(fds[0], STDIN_FILENO);
  ::close(fds[0]);
  Status ps = ImportJsonl(*store, "s", "-", Importer(), opt, &rep);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  REQUIRE(ps.ok());
  CHECK(rep.created == 300);
  // No spool file is left behind in the store directory.
  for (const auto& e : std::filesystem::directory_iterator(dir.sub("store")))
    CHECK(e.path().filename().string().rfind(".import-spool", 0) == std::string::npos);

  WriteFile(dir.sub("rows.jsonl"), content);
  REQUIRE(ImportJsonl(*store, "s", dir.sub("rows.jsonl"), Importer(), opt, &rep).ok());
  CHECK(rep.unchanged == 300);
}

TEST_CASE("jsonl: rows naming local files get their hash and size") {
  TempDir dir("imp-hash");
  auto store = OpenNew(dir.sub("store"));
  std::filesystem::create_directories(dir.sub("media dir"));
  WriteFile(dir.sub("media dir/a.jpg"), "jpeg bytes");
  WriteFile(dir.sub("b.png"), "png bytes!");
  std::string a_uri = PathToFileUri(dir.sub("media dir/a.jpg"));
  CHECK(a_uri.find("media%20dir") != std::string::npos);
  std::string rows =
      R"({"external_id":"a","uri":")" + a_uri + "\"}\n" +
      R"({"external_id":"b","uri":"file://localhost)" + dir.sub("b.png") + R"(","byte_size":5})" + "\n" +
      R"({"external_id":"c","uri":")" + PathToFileUri(dir.sub("b.png")) +
      R"(","content_hash":"0000000000000000000000000000000f"})" + "\n" +
      R"({"external_id":"d","uri":"file:///no/such/file.jpg"})" + "\n" +
      R"({"external_id":"e","uri":"https://example.com/x.jpg"})" + "\n";
  WriteFile(dir.sub("rows.jsonl"), rows);
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "h", dir.sub("rows.jsonl"), Importer(), {}, &rep).ok());
  AssetInput a = GetByExternalId(*store, "h", "a");
  REQUIRE(a.content_hash);
  CHECK(*a.content_hash == HashBytes("jpeg bytes", 10));
  CHECK(a.byte_size == 10);
  AssetInput b = GetByExternalId(*store, "h", "b");
  CHECK(*b.content_hash == HashBytes("png bytes!", 10));
  CHECK(b.byte_size == 5);  // the row's own size wins
  AssetInput c = GetByExternalId(*store, "h", "c");
  CHECK(c.content_hash->Hex() == "0000000000000000000000000000000f");  // the row's own hash wins
  CHECK(c.byte_size == 0);
  CHECK_FALSE(GetByExternalId(*store, "h", "d").content_hash);
  CHECK_FALSE(GetByExternalId(*store, "h", "e").content_hash);
  // Duplicates by content are findable.
  REQUIRE(store->Read([&](ReadTxn& t) {
    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(FindAssetsByHash(t, HashBytes("png bytes!", 10), &ids));
    CHECK(ids.size() == 1);
    return Status::OK();
  }).ok());
  // hash_local_files=false leaves rows as given: a new version without the hash.
  ImportOptions opt;
  opt.hash_local_files = false;
  REQUIRE(ImportJsonl(*store, "h", dir.sub("rows.jsonl"), Importer(), opt, &rep).ok());
  CHECK(rep.updated == 2);
  CHECK_FALSE(GetByExternalId(*store, "h", "a").content_hash);
}

TEST_CASE("jsonl: file URIs convert to paths and back") {
  std::string p;
  CHECK(FileUriToPath("file:///a/b%20c.jpg", &p));
  CHECK(p == "/a/b c.jpg");
  CHECK(FileUriToPath("FILE://localhost/x", &p));
  CHECK(p == "/x");
  CHECK(FileUriToPath("file:/x/y", &p));
  CHECK(p == "/x/y");
  CHECK(FileUriToPath("file:///x?query#frag", &p));
  CHECK(p == "/x");
  CHECK_FALSE(FileUriToPath("file://otherhost/x", &p));
  CHECK_FALSE(FileUriToPath("file:///bad%2", &p));
  CHECK_FALSE(FileUriToPath("file:///nul%00", &p));
  CHECK_FALSE(FileUriToPath("http://x/y", &p));
  CHECK_FALSE(FileUriToPath("file:relative", &p));
  std::string odd = "/data/caf\xc3\xa9 #1%?.jpg";
  std::string uri = PathToFileUri(odd);
  CHECK(uri == "file:///data/caf\xc3\xa9%20%231%25%3F.jpg");
  REQUIRE(FileUriToPath(uri, &p));
  CHECK(p == odd);
}

TEST_CASE("jsonl: the same external id twice in one file - the last row wins") {
  TempDir dir("imp-dup");
  auto store = OpenNew(dir.sub("store"));
  WriteFile(dir.sub("rows.jsonl"), JsonRow(1, 0) + "\n" + JsonRow(2) + "\n" + JsonRow(1, 5) + "\n");
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "d", dir.sub("rows.jsonl"), Importer(), {}, &rep).ok());
  CHECK(rep.lines == 3);
  CHECK(rep.created == 2);
  CHECK(rep.updated == 1);
  AssetInput a = GetByExternalId(*store, "d", "img-1");
  bool found = false;
  for (const MetaEntry& m : a.metadata)
    if (m.key == "v") found = m.i == 5;
  CHECK(found);
  CHECK(ListExternalIds(*store, DatasetId(*store, "d")).size() == 2);
}

TEST_CASE("jsonl: progress is reported per batch and cancel stops between batches") {
  TempDir dir("imp-cancel");
  auto store = OpenNew(dir.sub("store"));
  WriteRows(dir.sub("rows.jsonl"), 0, 1000);
  std::atomic<bool> cancel{false};
  std::vector<ImportProgress> seen;
  ImportOptions opt;
  opt.batch_rows = 100;
  opt.cancel = &cancel;
  opt.progress = [&](const ImportProgress& p) {
    seen.push_back(p);
    if (p.phase == ImportProgress::Phase::kWriting && p.batches == 3) cancel = true;
  };
  ImportReport rep;
  Status s = ImportJsonl(*store, "c", dir.sub("rows.jsonl"), Importer(), opt, &rep);
  CHECK(s.code() == Code::kAborted);
  CHECK(rep.created == 300);
  CHECK(rep.batches == 3);
  // 10 checking reports (every 100 rows), then 3 writing reports.
  REQUIRE(seen.size() == 13);
  CHECK(seen[0].phase == ImportProgress::Phase::kChecking);
  CHECK(seen[9].rows_done == 1000);
  CHECK(seen[10].phase == ImportProgress::Phase::kWriting);
  CHECK(seen[10].rows_total == 1000);
  CHECK(seen[12].rows_done == 300);
  CHECK(seen[12].created == 300);
  CHECK(seen[12].bytes_total > 0);
  CHECK(seen[12].bytes_done <= seen[12].bytes_total);

  // Cancelled while checking: nothing written.
  cancel = true;
  auto before = StoreFingerprint::Of(*store);
  s = ImportJsonl(*store, "c", dir.sub("rows.jsonl"), Importer(), opt, &rep);
  CHECK(s.code() == Code::kAborted);
  StoreFingerprint::Of(*store).RequireSame(before);

  // Running it again completes the import without duplicates.
  cancel = false;
  opt.progress = nullptr;
  REQUIRE(ImportJsonl(*store, "c", dir.sub("rows.jsonl"), Importer(), opt, &rep).ok());
  CHECK(rep.created == 700);
  CHECK(rep.unchanged == 300);
  CHECK(ListExternalIds(*store, DatasetId(*store, "c")).size() == 1000);

  // A throwing progress callback stops the import instead of escaping.
  opt.progress = [](const ImportProgress&) { throw std::runtime_error("boom"); };
  s = ImportJsonl(*store, "c", dir.sub("rows.jsonl"), Importer(), opt, &rep);
  CHECK(s.code() == Code::kAborted);
  CHECK_THAT(s.message(), Catch::Contains("boom"));
}

TEST_CASE("jsonl: a store with a 1 MiB map grows during an import") {
  TempDir dir("imp-map");
  StoreOptions so;
  so.initial_map_bytes = 1 << 20;
  auto store = OpenNew(dir.sub("store"), so);
  WriteRows(dir.sub("rows.jsonl"), 0, 30000);
  ImportOptions opt;
  opt.batch_rows = 7000;  // a batch is bigger than the whole initial map
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "m", dir.sub("rows.jsonl"), Importer(), opt, &rep).ok());
  CHECK(rep.created == 30000);
  CHECK(rep.batches == 5);
  StoreStats st;
  REQUIRE(store->Stats(&st).ok());
  CHECK(st.map_bytes > (1u << 20));
  CHECK(st.live[static_cast<int>(RecordKind::Asset)] == 30000);
  CHECK(ListExternalIds(*store, DatasetId(*store, "m")).size() == 30000);
}

TEST_CASE("jsonl: 200k rows stream through bounded memory") {
  TempDir dir("imp-200k");
  StoreOptions so;
  so.durability = Durability::kProcessCrashSafe;
  auto store = OpenNew(dir.sub("store"), so);
  WriteRows(dir.sub("rows.jsonl"), 0, 200000);
  ImportReport rep;
  uint64_t max_batch_seen = 0;
  ImportOptions opt;
  opt.progress = [&](const ImportProgress& p) {
    if (p.phase == ImportProgress::Phase::kWriting) max_batch_seen = std::max(max_batch_seen, p.batches);
  };
  REQUIRE(ImportJsonl(*store, "big", dir.sub("rows.jsonl"), Importer(), opt, &rep).ok());
  CHECK(rep.created == 200000);
  CHECK(rep.batches == 10);
  CHECK(max_batch_seen == 10);
  StoreStats st;
  REQUIRE(store->Stats(&st).ok());
  CHECK(st.live[static_cast<int>(RecordKind::Asset)] == 200000);
  AssetInput last = GetByExternalId(*store, "big", "img-199999");
  CHECK(last.uri == "s3://bucket/img-199999.jpg");
}

TEST_CASE("jsonl: long and short rows share batch slots without leaking fields between rows") {
  TempDir dir("imp-slots");
  auto store = OpenNew(dir.sub("store"));
  std::string content;
  for (int i = 0; i < 40; ++i) {
    if (i % 3 == 0)
      content += R"({"external_id":"r)" + std::to_string(i) + R"(","uri":"u","text":")" + std::string(6000 + i, 't') +
                 R"(","metadata":{"big":")" + std::string(5000, 'm') + R"("},"embedding":[1,2,3]})" + "\n";
    else
      content += R"({"external_id":"r)" + std::to_string(i) + R"(","uri":"u"})" + "\n";
  }
  WriteFile(dir.sub("rows.jsonl"), content);
  ImportOptions opt;
  opt.batch_rows = 4;
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "d", dir.sub("rows.jsonl"), Importer(), opt, &rep).ok());
  CHECK(rep.created == 40);
  for (int i = 0; i < 40; ++i) {
    AssetInput a = GetByExternalId(*store, "d", "r" + std::to_string(i));
    if (i % 3 == 0) {
      CHECK(a.text.size() == static_cast<size_t>(6000 + i));
      CHECK(a.metadata.size() == 1);
      CHECK(a.embedding.size() == 3);
    } else {
      CHECK(a.text.empty());
      CHECK(a.metadata.empty());
      CHECK(a.embedding.empty());
    }
  }
}
