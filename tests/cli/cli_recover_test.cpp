// A store whose newest LMDB meta page is damaged, through the real binary:
// every command says the store cannot be read (not "not an annodb store"),
// `init` refuses and leaves data.mdb byte-identical, and `recover --out`
// brings back the previous commit, verified.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "cli/cli_util.h"

using namespace annodb::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Offsets in LMDB 0.9's meta page (64-bit): the main table's root page
// number and the transaction id.
constexpr uint64_t kMainRoot = 16 + 112, kTxnid = 16 + 128, kPage = 4096;

uint64_t ReadU64(const std::string& path, uint64_t off) {
  std::ifstream f(path, std::ios::binary);
  f.seekg(static_cast<std::streamoff>(off));
  uint64_t v = 0;
  f.read(reinterpret_cast<char*>(&v), 8);
  return v;
}

void WriteU64(const std::string& path, uint64_t off, uint64_t v) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(off));
  f.write(reinterpret_cast<const char*>(&v), 8);
  REQUIRE(f.good());
}

// The start of the newest meta page (the higher transaction id).
uint64_t NewestMeta(const std::string& data) { return ReadU64(data, kTxnid + kPage) > ReadU64(data, kTxnid) ? kPage : 0; }

}  // namespace

TEST_CASE("cli: a damaged newest meta page is reported, init refuses it, recover brings back the previous commit") {
  TempDir dir("cli-recover");
  CliStore s(dir.sub("s"));
  s.Ok({"init"});
  WriteFile(dir.sub("a.jsonl"), MakeJsonl(10));
  s.Ok({"import", "--dataset", "cams", dir.sub("a.jsonl")});
  std::string previous = s.Ok({"export", "--out", "-"});
  WriteFile(dir.sub("b.jsonl"), MakeJsonl(5, 11));
  s.Ok({"import", "--dataset", "cams", dir.sub("b.jsonl")});
  REQUIRE(s.Json({"stats"})["assets"] == 15);

  // The main table's root made "none": before the fix, LMDB saw an empty
  // environment, every command said "not an annodb store (create it with
  // `annodb init`)", and init then wrote over the intact previous meta page.
  std::string data = dir.sub("s/data.mdb");
  WriteU64(data, NewestMeta(data) + kMainRoot, ~uint64_t{0});
  std::string damaged = ReadFile(data);

  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{{"stats"}, {"export", "--out", "-"}}) {
    RunResult r = s.Run(cmd);
    INFO(cmd[0] << ": " << r.err);
    CHECK(r.code == 1);
    CHECK(IsOneLineError(r.err));
    CHECK(r.err.find("cannot be read") != std::string::npos);
    CHECK(r.err.find("annodb recover") != std::string::npos);
    CHECK(r.err.find("not an annodb store") == std::string::npos);
    CHECK(r.err.find(dir.sub("s")) != std::string::npos);
  }
  // verify lists what the page walk found (exit 1) instead of one error line.
  RunResult v = s.Run({"verify"});
  INFO("verify: " << v.out << v.err);
  CHECK(v.code == 1);
  CHECK(v.out.find("problem: ") != std::string::npos);
  CHECK(v.err.find("not an annodb store") == std::string::npos);
  RunResult init = s.Run({"init"});
  CHECK(init.code == 1);
  CHECK(IsOneLineError(init.err));
  CHECK(init.err.find("cannot be read") != std::string::npos);
  CHECK(ReadFile(data) == damaged);

  // recover: a verified copy as of the previous commit; the store untouched.
  json rec = s.Json({"recover", "--out", dir.sub("r")});
  CHECK(rec["verified"] == true);
  CHECK(rec["recovered_commit"].get<uint64_t>() + 1 == rec["damaged_commit"].get<uint64_t>());
  CHECK(rec["damage"].get<std::string>().find("main table") != std::string::npos);
  CHECK(ReadFile(data) == damaged);
  CliStore r(dir.sub("r"));
  CHECK(r.Run({"verify"}).code == 0);
  CHECK(r.Ok({"export", "--out", "-"}) == previous);
  CHECK(r.Json({"stats"})["assets"] == 10);
  // It is a working store: the lost import can be run again.
  r.Ok({"import", "--dataset", "cams", dir.sub("b.jsonl")});
  CHECK(r.Json({"stats"})["assets"] == 15);

  // recover refuses an output directory that is not empty, and needs --out.
  RunResult again = s.Run({"recover", "--out", dir.sub("r")});
  CHECK(again.code == 1);
  CHECK(again.err.find("not empty") != std::string::npos);
  CHECK(s.Run({"recover"}).code == 2);
  std::string human = s.Ok({"recover", "--out", dir.sub("r2")});
  CHECK(human.find("recovered " + dir.sub("s")) != std::string::npos);
  CHECK(human.find("was not changed") != std::string::npos);
}

TEST_CASE("cli: init on a directory with no store creates it, and on a sound store reports it") {
  TempDir dir("cli-init");
  CliStore s(dir.sub("s"));
  json a = s.Json({"init"});
  CHECK(a["created"] == true);
  s.Ok({"dataset", "create", "d"});
  std::string before = ReadFile(dir.sub("s/data.mdb"));
  json b = s.Json({"init"});
  CHECK(b["created"] == false);
  CHECK(b["sequence"] == 1);
  CHECK(ReadFile(dir.sub("s/data.mdb")) == before);
  // A store that does not exist: "no store", with the way to make one.
  RunResult r = CliStore(dir.sub("none")).Run({"stats"});
  CHECK(r.code == 1);
  CHECK(r.err.find("no store at") != std::string::npos);
  CHECK(r.err.find("annodb init") != std::string::npos);
}
