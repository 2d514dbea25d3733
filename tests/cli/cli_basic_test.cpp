// The `annodb` program: help, init, datasets, global options and argument errors.
#include <catch2/catch.hpp>

#include <filesystem>

#include "cli/cli_util.h"

using annodb::test::CliStore;
using annodb::test::IsOneLineError;
using annodb::test::RunCli;
using annodb::test::RunOptions;
using annodb::test::RunResult;
using annodb::test::TempDir;
using nlohmann::json;

TEST_CASE("help and version flags exit 0 everywhere", "[cli]") {
  RunResult r = RunCli({"--help"});
  CHECK(r.code == 0);
  for (const char* cmd : {"init", "dataset", "import", "get", "update", "delete", "history", "log", "snapshot", "stats",
                          "verify", "backup", "list", "duplicates", "find"})
    CHECK(r.out.find(std::string("  ") + cmd + " ") != std::string::npos);
  CHECK(r.err.empty());

  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"get", "--help"}, {"import", "--help"}, {"dataset", "create", "--help"}, {"snapshot", "--help"},
           {"update", "--help"}, {"log", "--help"}, {"-h"}}) {
    RunResult h = RunCli(args);
    INFO(args.front());
    CHECK(h.code == 0);
    CHECK(h.out.find("Usage:") != std::string::npos);
  }
  RunResult get = RunCli({"get", "--help"});
  CHECK(get.out.find("--as-of") != std::string::npos);
  CHECK(get.out.find("--external-id") != std::string::npos);

  RunResult v = RunCli({"--version"});
  CHECK(v.code == 0);
  CHECK(v.out.find("annodb") != std::string::npos);
}

TEST_CASE("bad arguments give a non-zero exit and one error line", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});

  struct Case {
    std::vector<std::string> args;
    int code;
    const char* needle;
  };
  std::vector<Case> cases = {
      {{"frobnicate"}, 2, "unknown command 'frobnicate'"},
      {{"dataset", "frob"}, 2, "unknown command 'dataset frob'"},
      {{}, 2, "needs a command"},
      {{"dataset"}, 2, "needs a command"},
      {{"get", "abc"}, 2, "invalid asset id 'abc'"},
      {{"get", "0"}, 2, "invalid asset id '0'"},
      {{"get", "-5"}, 2, ""},
      {{"get"}, 2, "name an asset"},
      {{"get", "1", "--dataset", "d", "--external-id", "x"}, 2, "not both"},
      {{"get", "--external-id", "x"}, 2, "--external-id needs --dataset"},
      {{"get", "1", "--bogus"}, 2, ""},
      {{"update", "1"}, 2, "nothing to update"},
      {{"update", "1", "--set", "novalue"}, 2, "expected key=value"},
      {{"update", "1", "--set", "=1"}, 2, "the key is empty"},
      {{"update", "1", "--set", "a=1", "--unset", "a"}, 2, "more than once"},
      {{"update", "1", "--set-time", "t=yesterday"}, 2, "not an RFC 3339 time"},
      {{"find", "--hash", "xyz"}, 2, "32 hexadecimal digits"},
      {{"list"}, 2, "--dataset"},
      {{"list", "--dataset", "d", "--limit", "x"}, 2, "--limit"},
      {{"--durability", "sometimes", "stats"}, 2, "--durability"},
      {{"import", "--dataset", "d"}, 2, "SOURCE"},
      {{"backup"}, 2, "DEST"},
      {{"snapshot", "create"}, 2, "NAME"},
      {{"get", "1"}, 1, "asset 1 does not exist"},
      {{"dataset", "create", "bad\x01name"}, 1, "control character"},
      {{"import", "--dataset", "d", dir.sub("missing.jsonl")}, 1, "no such file"},
      {{"get", "--dataset", "nope", "--external-id", "x"}, 1, "no dataset named 'nope'"},
      {{"list", "--dataset", "nope"}, 1, "no dataset named 'nope'"},
      {{"snapshot", "delete", "nope"}, 1, "no snapshot named 'nope'"},
      {{"snapshot", "create", "123"}, 1, "all digits"},
  };
  for (const Case& c : cases) {
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    INFO("annodb " << joined);
    RunResult r = cli.Run(c.args);
    CHECK(r.code == c.code);
    CHECK(IsOneLineError(r.err));
    CHECK(r.err.find(c.needle) != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_CASE("a missing store is an error that says how to create one", "[cli]") {
  TempDir dir("cli");
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"stats"}, {"get", "1"}, {"dataset", "list"}, {"log"}, {"verify"}}) {
    args.insert(args.begin(), {"--store", dir.sub("nostore")});
    RunResult r = RunCli(args);
    INFO(args[2]);
    CHECK(r.code == 1);
    CHECK(IsOneLineError(r.err));
    CHECK(r.err.find("annodb init") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.sub("nostore")));
}

TEST_CASE("init creates a store and reports an existing one", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  json j = cli.Json({"init"});
  CHECK(j["created"] == true);
  CHECK(j["format_version"] == 1);
  CHECK(j["sequence"] == 0);
  CHECK(std::filesystem::exists(dir.sub("s/data.mdb")));

  json again = cli.Json({"init"});
  CHECK(again["created"] == false);
  std::string human = cli.Ok({"init"});
  CHECK(human.find("exists") != std::string::npos);

  json stats = cli.Json({"stats"});
  CHECK(stats["assets"] == 0);
  CHECK(stats["datasets"] == 0);
  CHECK(stats["sequence"] == 0);
  CHECK(stats["bytes"].get<uint64_t>() > 0);
}

TEST_CASE("the store comes from the store option or ANNODB_STORE or ./annodb.store", "[cli]") {
  TempDir dir("cli");
  std::filesystem::create_directories(dir.path());

  RunOptions in_cwd;
  in_cwd.cwd = dir.path();
  RunResult r = RunCli({"init"}, in_cwd);
  REQUIRE(r.code == 0);
  CHECK(std::filesystem::exists(dir.sub("annodb.store/data.mdb")));

  RunOptions env;
  env.env = {{"ANNODB_STORE", dir.sub("from-env")}};
  REQUIRE(RunCli({"init"}, env).code == 0);
  CHECK(std::filesystem::exists(dir.sub("from-env/data.mdb")));
  REQUIRE(RunCli({"dataset", "create", "envds"}, env).code == 0);

  // --store wins over the environment, before or after the command name.
  RunResult s1 = RunCli({"--store", dir.sub("annodb.store"), "--json", "stats"}, env);
  RunResult s2 = RunCli({"stats", "--json", "--store", dir.sub("annodb.store")}, env);
  REQUIRE(s1.code == 0);
  REQUIRE(s2.code == 0);
  CHECK(json::parse(s1.out)["datasets"] == 0);
  CHECK(json::parse(s2.out)["datasets"] == 0);
  RunResult s3 = RunCli({"stats", "--json"}, env);
  CHECK(json::parse(s3.out)["datasets"] == 1);
}

TEST_CASE("dataset create and list", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});

  json cams = cli.Json({"dataset", "create", "cams", "--description", "Street cameras"});
  CHECK(cams["id"] == 1);
  CHECK(cams["name"] == "cams");
  CHECK(cams["description"] == "Street cameras");
  CHECK(cams["version"] == 1);
  CHECK(cams["sequence"] == 1);
  std::string human = cli.Ok({"dataset", "create", "docs"});
  CHECK(human.find("created dataset docs") != std::string::npos);

  RunResult dup = cli.Run({"dataset", "create", "cams"});
  CHECK(dup.code == 1);
  CHECK(IsOneLineError(dup.err));
  CHECK(dup.err.find("already exists") != std::string::npos);

  auto list = cli.JsonLines({"dataset", "list"});
  REQUIRE(list.size() == 2);
  CHECK(list[0]["name"] == "cams");
  CHECK(list[1]["name"] == "docs");
  CHECK(list[1]["id"] == 2);
  std::string table = cli.Ok({"dataset", "list"});
  CHECK(table.find("NAME") != std::string::npos);
  CHECK(table.find("Street cameras") != std::string::npos);

  // --json works before the command name too.
  RunResult r = RunCli({"--json", "--store", cli.dir(), "dataset", "list"});
  REQUIRE(r.code == 0);
  CHECK(json::parse(r.out.substr(0, r.out.find('\n')))["name"] == "cams");
}

TEST_CASE("every durability mode opens the store", "[cli]") {
  TempDir dir("cli");
  CliStore cli(dir.sub("s"));
  cli.Ok({"init"});
  for (const char* mode : {"full", "last-commit-may-drop", "process-crash-safe"}) {
    INFO(mode);
    RunResult r = cli.Run({"--durability", mode, "dataset", "create", std::string("ds-") + mode});
    CHECK(r.code == 0);
  }
  CHECK(cli.Json({"stats"})["datasets"] == 3);
}
