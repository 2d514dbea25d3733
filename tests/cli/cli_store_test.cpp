// The `annodb` program: log (changefeed), stats, verify, backup.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli/cli_util.h"

using annodb::test::CliStore;
using annodb::test::IsOneLineError;
using annodb::test::MakeJsonl;
using annodb::test::ReadFile;
using annodb::test::RunResult;
using annodb::test::TempDir;
using annodb::test::WriteFile;
using nlohmann::json;

TEST_CASE("log lists commits and since and limit select", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  CHECK(cli.JsonLines({"log"}).empty());
  cli.Ok({"--as", "alice", "dataset", "create", "cams"});
  WriteFile(dir.sub("r.jsonl"), MakeJsonl(50));
  cli.Ok({"import", "--dataset", "cams", dir.sub("r.jsonl")});
  cli.Ok({"--as", "bob", "update", "7", "--set", "x=1"});
  cli.Ok({"delete", "8"});

  auto log = cli.JsonLines({"log"});
  REQUIRE(log.size() == 4);
  for (size_t i = 0; i < log.size(); ++i) CHECK(log[i]["sequence"] == i + 1);
  CHECK(log[0]["actor"] == "alice");
  CHECK(log[0]["changes"][0]["kind"] == "dataset");
  CHECK(log[0]["changes"][0]["op"] == "create");
  CHECK(log[1]["changes"][0]["kind"] == "asset");
  CHECK(log[1]["changes"][0]["first_id"] == 1);
  CHECK(log[1]["changes"][0]["last_id"] == 50);
  CHECK(log[1]["job_id"].get<uint64_t>() >= 1);
  CHECK(log[2]["actor"] == "bob");
  CHECK(log[2]["changes"][0]["op"] == "update");
  CHECK(log[3]["changes"][0]["op"] == "delete");
  CHECK(log[3]["changes"][0]["first_id"] == 8);

  auto since = cli.JsonLines({"log", "--since", "2"});
  REQUIRE(since.size() == 2);
  CHECK(since[0]["sequence"] == 3);
  auto limited = cli.JsonLines({"log", "--since", "1", "--limit", "2"});
  REQUIRE(limited.size() == 3);  // 2 commits, then the cursor of the next page
  CHECK(limited[1]["sequence"] == 3);
  CHECK(limited[2]["next"] == "3");

  std::string human = cli.Ok({"log"});
  CHECK(human.find("asset create 1..50") != std::string::npos);
  CHECK(human.find("person:bob") != std::string::npos);
}

TEST_CASE("stats counts records and versions", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  WriteFile(dir.sub("r.jsonl"), MakeJsonl(20));
  cli.Ok({"import", "--dataset", "cams", dir.sub("r.jsonl")});
  cli.Ok({"update", "1", "--set", "x=1"});
  cli.Ok({"snapshot", "create", "s1"});
  json s = cli.Json({"stats"});
  for (const char* key : {"assets", "datasets", "sequence", "bytes", "snapshots", "format_version", "records"})
    CHECK(s.contains(key));
  CHECK(s["assets"] == 20);
  CHECK(s["datasets"] == 1);
  CHECK(s["sequence"] == 2);
  CHECK(s["snapshots"] == 1);
  CHECK(s["records"]["asset"]["old_versions"] == 1);
  CHECK(s["bytes"].get<uint64_t>() == std::filesystem::file_size(dir.sub("s/data.mdb")));
  std::string human = cli.Ok({"stats"});
  CHECK(human.find("sequence") != std::string::npos);
  CHECK(human.find("asset") != std::string::npos);
}

TEST_CASE("verify passes on a sound store and fails on a flipped byte", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  const std::string marker = "MARKERMARKERMARKERMARKER";
  WriteFile(dir.sub("r.jsonl"), R"({"external_id":"x","uri":"file:///)" + marker + "\"}\n" + MakeJsonl(20));
  cli.Ok({"import", "--dataset", "cams", dir.sub("r.jsonl")});

  RunResult ok = cli.Run({"verify"});
  CHECK(ok.code == 0);
  CHECK(ok.err.empty());
  CHECK(ok.out.find("ok") != std::string::npos);
  json j = cli.Json({"verify"});
  CHECK(j["ok"] == true);
  CHECK(j["problems"].empty());
  CHECK(j["records_checked"].get<uint64_t>() >= 22);

  // Flip a byte of the stored URI: its checksum no longer matches.
  std::string path = dir.sub("s/data.mdb");
  std::string data = ReadFile(path);
  size_t flipped = 0;
  for (size_t at = data.find(marker); at != std::string::npos; at = data.find(marker, at + 1)) {
    data[at + 3] = 'X';
    ++flipped;
  }
  REQUIRE(flipped > 0);
  WriteFile(path, data);
  RunResult bad = cli.Run({"verify"});
  CHECK(bad.code == 1);
  CHECK(IsOneLineError(bad.err));
  CHECK(bad.err.find("problem") != std::string::npos);
  CHECK(bad.out.find("problem:") != std::string::npos);
  RunResult badj = cli.Run({"verify", "--json"});
  CHECK(badj.code == 1);
  json r = json::parse(badj.out);
  CHECK(r["ok"] == false);
  CHECK_FALSE(r["problems"].empty());
}

TEST_CASE("backup makes a store that opens and reads the same", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  WriteFile(dir.sub("r.jsonl"), MakeJsonl(30));
  cli.Ok({"import", "--dataset", "cams", dir.sub("r.jsonl")});
  cli.Ok({"--as", "alice", "update", "3", "--set", "lux=99.5"});

  json b = cli.Json({"backup", dir.sub("bk")});
  CHECK(b["backup"] == dir.sub("bk"));
  CHECK(b["sequence"] == 2);  // import (dataset and assets in one commit), update
  CHECK(b["bytes"].get<uint64_t>() > 0);

  CliStore copy(dir.sub("bk"));
  json a = copy.Json({"get", "3"});
  CHECK(a["metadata"]["lux"] == 99.5);
  CHECK(a == cli.Json({"get", "3"}));
  CHECK(copy.JsonLines({"history", "3"}).size() == 2);
  CHECK(copy.Json({"stats"})["assets"] == 30);
  CHECK(copy.Run({"verify"}).code == 0);

  // A second backup into the same (now non-empty) directory is refused.
  RunResult again = cli.Run({"backup", dir.sub("bk")});
  CHECK(again.code == 1);
  CHECK(IsOneLineError(again.err));
  CHECK(again.err.find("not empty") != std::string::npos);
}
