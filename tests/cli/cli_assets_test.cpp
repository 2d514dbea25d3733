// The `annodb` program: import, get, update, delete, history, as-of reads,
// list, find and duplicates.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli/cli_util.h"

using annodb::test::CliStore;
using annodb::test::IsOneLineError;
using annodb::test::MakeJsonl;
using annodb::test::RunCli;
using annodb::test::RunOptions;
using annodb::test::RunResult;
using annodb::test::TempDir;
using annodb::test::WriteFile;
using nlohmann::json;

namespace {

// A store with dataset "cams" holding img-0001..img-0010 (ids 1..10).
struct Fixture {
  TempDir dir{"cli"};
  CliStore cli{dir.sub("s")};
  std::string jsonl = dir.sub("rows.jsonl");
  Fixture() {
    cli.Ok({"init"});
    cli.Ok({"dataset", "create", "cams"});
    WriteFile(jsonl, MakeJsonl(10));
    cli.Ok({"--as", "loader", "import", "--dataset", "cams", jsonl});
  }
};

}  // namespace

TEST_CASE("import prints a summary and is idempotent", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  cli.Ok({"dataset", "create", "cams"});
  std::string path = dir.sub("rows.jsonl");
  WriteFile(path, MakeJsonl(100));

  json first = cli.Json({"import", "--dataset", "cams", path});
  CHECK(first["lines"] == 100);
  CHECK(first["created"] == 100);
  CHECK(first["updated"] == 0);
  CHECK(first["unchanged"] == 0);
  CHECK(first["job_id"].get<uint64_t>() >= 1);
  CHECK(first["dataset"] == "cams");
  CHECK(first["first_sequence"] == 2);

  json again = cli.Json({"import", "--dataset", "cams", path});
  CHECK(again["lines"] == 100);
  CHECK(again["created"] == 0);
  CHECK(again["unchanged"] == 100);
  CHECK(again["job_id"] == 0);  // nothing written

  // One changed row becomes a new version; the rest stay unchanged.
  std::string rows = MakeJsonl(100);
  size_t at = rows.find("\"camera\":\"A\"");
  rows.replace(at, 12, "\"camera\":\"Z\"");
  WriteFile(path, rows);
  std::string human = cli.Ok({"import", "--dataset", "cams", path});
  CHECK(human.find("100 lines, 0 created, 1 updated, 99 unchanged") != std::string::npos);
  CHECK(human.find("job ") != std::string::npos);

  json stats = cli.Json({"stats"});
  CHECK(stats["assets"] == 100);
  CHECK(stats["datasets"] == 1);
  CHECK(cli.Json({"verify"})["ok"] == true);
}

TEST_CASE("import from standard input and into a new dataset", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  RunOptions in;
  in.input = MakeJsonl(25);
  json j = cli.Json({"import", "--dataset", "fresh", "-"}, in);
  CHECK(j["created"] == 25);
  CHECK(j["dataset_created"] == true);
  CHECK(j["source"] == "-");
  auto list = cli.JsonLines({"dataset", "list"});
  REQUIRE(list.size() == 1);
  CHECK(list[0]["name"] == "fresh");

  RunResult nocreate = cli.Run({"import", "--dataset", "other", "--no-create", "-"}, in);
  CHECK(nocreate.code == 1);
  CHECK(IsOneLineError(nocreate.err));
  CHECK(nocreate.err.find("no dataset named 'other'") != std::string::npos);
}

TEST_CASE("a bad line refuses the import with its line number and changes nothing", "[cli]") {
  Fixture f;
  json before = f.cli.Json({"stats"});
  struct Bad {
    std::string line;
    const char* why;
  };
  for (const Bad& bad : std::vector<Bad>{{"not json", "line 4"},
                                         {R"({"uri":"file:///x"})", "external_id"},
                                         {R"({"external_id":"x","uri":"u","width":"wide"})", "width"},
                                         {"{\"external_id\":\"\xff\xfe\",\"uri\":\"u\"}", "UTF-8"}}) {
    INFO(bad.line);
    std::string path = f.dir.sub("bad.jsonl");
    WriteFile(path, MakeJsonl(3, 500) + bad.line + "\n" + MakeJsonl(3, 600));
    RunResult r = f.cli.Run({"import", "--dataset", "cams", path});
    CHECK(r.code == 1);
    CHECK(IsOneLineError(r.err));
    CHECK(r.err.find("line 4") != std::string::npos);
    CHECK(r.err.find(bad.why) != std::string::npos);
    CHECK(r.out.empty());
  }
  // Also into a dataset that does not exist yet: it is not created.
  std::string path = f.dir.sub("bad.jsonl");
  WriteFile(path, MakeJsonl(2) + "{\n");
  RunResult r = f.cli.Run({"import", "--dataset", "newds", path});
  CHECK(r.code == 1);
  CHECK(r.err.find("line 3") != std::string::npos);

  json after = f.cli.Json({"stats"});
  CHECK(after["sequence"] == before["sequence"]);
  CHECK(after["assets"] == before["assets"]);
  CHECK(after["datasets"] == before["datasets"]);
}

TEST_CASE("get by id and by external id in human and JSON form", "[cli]") {
  Fixture f;
  json a = f.cli.Json({"get", "3"});
  CHECK(a["id"] == 3);
  CHECK(a["external_id"] == "img-0003");
  CHECK(a["uri"] == "file:///data/img-0003.jpg");
  CHECK(a["dataset"] == "cams");
  CHECK(a["media_type"] == "image/jpeg");
  CHECK(a["width"] == 640);
  CHECK(a["height"] == 480);
  CHECK(a["metadata"]["camera"] == "A");
  CHECK(a["metadata"]["night"] == true);
  CHECK(a["metadata"]["lux"] == 3.5);
  CHECK(a["metadata"]["n"] == 3);
  CHECK(a["version"] == 1);
  CHECK(a["sequence"] == 2);
  CHECK(a["provenance"]["actor"] == "loader");
  CHECK(a["provenance"]["actor_kind"] == "person");

  json b = f.cli.Json({"get", "--dataset", "cams", "--external-id", "img-0003"});
  CHECK(b == a);

  std::string human = f.cli.Ok({"get", "3"});
  CHECK(human.find("asset 3") != std::string::npos);
  CHECK(human.find("img-0003") != std::string::npos);
  CHECK(human.find("camera") != std::string::npos);

  RunResult missing = f.cli.Run({"get", "--dataset", "cams", "--external-id", "img-9999"});
  CHECK(missing.code == 1);
  CHECK(IsOneLineError(missing.err));
  CHECK(missing.err.find("img-9999") != std::string::npos);
}

TEST_CASE("update writes a version with typed values and history lists versions with provenance", "[cli]") {
  Fixture f;
  json u = f.cli.Json({"--as", "alice", "update", "1", "--set", "lux=12.5", "--set", "camera=B", "--set", "count=7",
                       "--set", "ok=true", "--set", "code=\"42\"", "--set", "note=hello world", "--set-time",
                       "taken=2024-05-01T12:00:00Z", "--unset", "night", "--uri", "file:///new/1.jpg"});
  CHECK(u["outcome"] == "updated");
  CHECK(u["version"] == 2);
  json m = u["metadata"];
  CHECK(m["lux"].is_number_float());
  CHECK(m["lux"] == 12.5);
  CHECK(m["camera"] == "B");
  CHECK(m["count"].is_number_integer());
  CHECK(m["count"] == 7);
  CHECK(m["ok"] == true);
  CHECK(m["code"] == "42");
  CHECK(m["note"] == "hello world");
  CHECK(m["taken"]["$time"] == "2024-05-01T12:00:00Z");
  CHECK_FALSE(m.contains("night"));
  CHECK(u["uri"] == "file:///new/1.jpg");

  // An integer for a key holding a float stays a float; a new key gets an int.
  json keep = f.cli.Json({"update", "1", "--set", "lux=30", "--set", "fresh=30"});
  CHECK(keep["metadata"]["lux"].is_number_float());
  CHECK(keep["metadata"]["lux"] == 30.0);
  CHECK(keep["metadata"]["fresh"].is_number_integer());
  f.cli.Ok({"--as", "alice", "update", "1", "--set", "lux=12.5", "--unset", "fresh"});

  // The same values again: no new version.
  json same = f.cli.Json({"--as", "alice", "update", "1", "--set", "lux=12.5"});
  CHECK(same["outcome"] == "unchanged");
  CHECK(same["version"] == 4);

  auto history = f.cli.JsonLines({"history", "1"});
  REQUIRE(history.size() == 4);
  CHECK(history[0]["version"] == 1);
  CHECK(history[1]["version"] == 2);
  CHECK(history[3]["provenance"]["actor"] == "alice");
  CHECK(history[0]["sequence"].get<uint64_t>() < history[1]["sequence"].get<uint64_t>());
  CHECK(history[0]["provenance"]["actor"] == "loader");
  CHECK(history[0]["provenance"]["job_id"].get<uint64_t>() >= 1);
  CHECK(history[1]["provenance"]["actor"] == "alice");
  CHECK(history[1]["provenance"]["actor_kind"] == "person");
  CHECK(history[1]["provenance"]["replaces_version"] == 1);
  CHECK(history[0]["metadata"]["lux"] == 1.5);

  std::string human = f.cli.Ok({"history", "--dataset", "cams", "--external-id", "img-0001"});
  CHECK(human.find("person:alice") != std::string::npos);
  CHECK(human.find("set lux=12.5") != std::string::npos);
  CHECK(human.find("unset night") != std::string::npos);
  CHECK(human.find("created") != std::string::npos);

  // The actor comes from $ANNODB_ACTOR when --as is absent.
  RunOptions env;
  env.env = {{"ANNODB_ACTOR", "bob"}};
  json byenv = f.cli.Json({"update", "2", "--set", "lux=1"}, env);
  CHECK(byenv["provenance"]["actor"] == "bob");

  // Unsetting a key that is not there changes nothing.
  RunResult r = f.cli.Run({"update", "1", "--unset", "nope"});
  CHECK(r.code == 1);
  CHECK(IsOneLineError(r.err));
  CHECK(r.err.find("'nope'") != std::string::npos);
  CHECK(f.cli.Json({"get", "1"})["version"] == 4);
}

TEST_CASE("as-of reads by sequence number and by snapshot", "[cli]") {
  Fixture f;
  uint64_t seq_before = f.cli.Json({"stats"})["sequence"];
  json snap = f.cli.Json({"snapshot", "create", "v1"});
  CHECK(snap["name"] == "v1");
  CHECK(snap["sequence"] == seq_before);
  f.cli.Ok({"update", "5", "--set", "camera=Q"});
  f.cli.Ok({"update", "5", "--set", "camera=R"});

  CHECK(f.cli.Json({"get", "5"})["metadata"]["camera"] == "R");
  json by_snap = f.cli.Json({"get", "5", "--as-of", "v1"});
  CHECK(by_snap["metadata"]["camera"] == "A");
  CHECK(by_snap["version"] == 1);
  json by_seq = f.cli.Json({"get", "5", "--as-of", std::to_string(seq_before + 1)});
  CHECK(by_seq["metadata"]["camera"] == "Q");
  json by_ext = f.cli.Json({"get", "--dataset", "cams", "--external-id", "img-0005", "--as-of", "v1"});
  CHECK(by_ext["version"] == 1);
  std::string human = f.cli.Ok({"get", "5", "--as-of", "v1"});
  CHECK(human.find("snapshot v1") != std::string::npos);

  auto snaps = f.cli.JsonLines({"snapshot", "list"});
  REQUIRE(snaps.size() == 1);
  CHECK(snaps[0]["name"] == "v1");

  RunResult before_import = f.cli.Run({"get", "5", "--as-of", "1"});
  CHECK(before_import.code == 1);
  CHECK(IsOneLineError(before_import.err));
  RunResult future = f.cli.Run({"get", "5", "--as-of", "999"});
  CHECK(future.code == 1);
  CHECK(IsOneLineError(future.err));
  RunResult nosnap = f.cli.Run({"get", "5", "--as-of", "v9"});
  CHECK(nosnap.code == 1);
  CHECK(nosnap.err.find("no snapshot named 'v9'") != std::string::npos);

  json del = f.cli.Json({"snapshot", "delete", "v1"});
  CHECK(del["deleted"] == true);
  CHECK(f.cli.JsonLines({"snapshot", "list"}).empty());
  CHECK(f.cli.Run({"get", "5", "--as-of", "v1"}).code == 1);
}

TEST_CASE("delete then get fails with one error line while history stays", "[cli]") {
  Fixture f;
  json d = f.cli.Json({"delete", "--dataset", "cams", "--external-id", "img-0004"});
  CHECK(d["id"] == 4);
  CHECK(d["deleted"] == true);
  CHECK(d["version"] == 2);

  RunResult r = f.cli.Run({"get", "4"});
  CHECK(r.code == 1);
  CHECK(IsOneLineError(r.err));
  CHECK(r.err.find("deleted") != std::string::npos);
  CHECK(r.out.empty());
  CHECK(f.cli.Run({"delete", "4"}).code == 1);
  CHECK(f.cli.Run({"update", "4", "--set", "a=1"}).code == 1);

  auto history = f.cli.JsonLines({"history", "4"});
  REQUIRE(history.size() == 2);
  CHECK(history[1]["deleted"] == true);
  CHECK(f.cli.Json({"stats"})["assets"] == 9);
  CHECK(f.cli.Json({"get", "4", "--as-of", "2"})["external_id"] == "img-0004");
}

TEST_CASE("list pages through a dataset", "[cli]") {
  Fixture f;
  auto all = f.cli.JsonLines({"list", "--dataset", "cams"});
  REQUIRE(all.size() == 10);
  CHECK(all[0]["external_id"] == "img-0001");
  CHECK(all[9]["external_id"] == "img-0010");
  CHECK(all[0].contains("id"));

  // A cut page ends with {"next": CURSOR} (docs/cli.md, "Paging").
  auto page1 = f.cli.JsonLines({"list", "--dataset", "cams", "--limit", "4"});
  REQUIRE(page1.size() == 5);
  CHECK(page1[3]["external_id"] == "img-0004");
  CHECK(page1[4] == json{{"next", "img-0004"}});
  auto page2 = f.cli.JsonLines({"list", "--dataset", "cams", "--limit", "4", "--after",
                                page1.back()["next"].get<std::string>()});
  REQUIRE(page2.size() == 5);
  CHECK(page2[0]["external_id"] == "img-0005");
  std::string human = f.cli.Ok({"list", "--dataset", "cams", "--limit", "4"});
  CHECK(human.find("--after 'img-0004'") != std::string::npos);
  CHECK(human.find("EXTERNAL_ID") != std::string::npos);
}

TEST_CASE("find by content hash and duplicates", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  const std::string h1 = "0123456789abcdef0123456789abcdef";
  const std::string h2 = "fedcba9876543210fedcba9876543210";
  std::string rows = R"({"external_id":"a","uri":"u:a","content_hash":")" + h1 + "\"}\n" +
                     R"({"external_id":"b","uri":"u:b","content_hash":")" + h1 + "\"}\n" +
                     R"({"external_id":"c","uri":"u:c","content_hash":")" + h2 + "\"}\n";
  WriteFile(dir.sub("h.jsonl"), rows);
  cli.Ok({"import", "--dataset", "one", dir.sub("h.jsonl")});
  WriteFile(dir.sub("h2.jsonl"), R"({"external_id":"d","uri":"u:d","content_hash":")" + h2 + "\"}\n");
  cli.Ok({"import", "--dataset", "two", dir.sub("h2.jsonl")});

  auto found = cli.JsonLines({"find", "--hash", h1});
  REQUIRE(found.size() == 2);
  CHECK(found[0]["external_id"] == "a");
  CHECK(found[1]["external_id"] == "b");
  CHECK(found[0]["content_hash"] == h1);
  CHECK(cli.JsonLines({"find", "--hash", std::string(32, '0')}).empty());

  auto groups = cli.JsonLines({"duplicates"});
  REQUIRE(groups.size() == 2);
  for (const json& g : groups) CHECK(g["count"] == 2);
  auto in_one = cli.JsonLines({"duplicates", "--dataset", "one"});
  REQUIRE(in_one.size() == 1);
  CHECK(in_one[0]["content_hash"] == h1);
  CHECK(in_one[0]["assets"].size() == 2);
  std::string human = cli.Ok({"duplicates"});
  CHECK(human.find(h1) != std::string::npos);

  cli.Ok({"delete", "--dataset", "one", "--external-id", "b"});
  CHECK(cli.JsonLines({"duplicates", "--dataset", "one"}).empty());
  CHECK(cli.JsonLines({"find", "--hash", h1}).size() == 1);
}

TEST_CASE("import a directory of media files", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  std::filesystem::create_directories(dir.sub("media/sub"));
  WriteFile(dir.sub("media/a.jpg"), "same bytes");
  WriteFile(dir.sub("media/sub/b.png"), "same bytes");
  WriteFile(dir.sub("media/c.txt"), "other bytes");
  json j = cli.Json({"import", "--dataset", "media", dir.sub("media")});
  CHECK(j["kind"] == "directory");
  CHECK(j["created"] == 3);
  json again = cli.Json({"import", "--dataset", "media", dir.sub("media")});
  CHECK(again["unchanged"] == 3);

  json a = cli.Json({"get", "--dataset", "media", "--external-id", "a.jpg"});
  CHECK(a["media_type"] == "image/jpeg");
  CHECK(a["byte_size"] == 10);
  CHECK(a["content_hash"].get<std::string>().size() == 32);
  auto dups = cli.JsonLines({"duplicates", "--dataset", "media"});
  REQUIRE(dups.size() == 1);
  CHECK(dups[0]["count"] == 2);
}
