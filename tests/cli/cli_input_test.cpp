// Issue 11, items 3, 6, 8 and 14 through the real binary:
// - standard input ("-") for every command that reads it, with a 1-line, a
//   200-line and a garbage input (label import used to read a truncated
//   spool: "imported 0 labels" for one line, a false "line 195" for 200);
// - every unsigned option refuses -1 (CLI11 wrapped it to 2^64 - 1) with
//   exit 2, and --as-of refuses 2^64 - 1 as the future;
// - empty or wrong inputs fail and write nothing; a re-import that changes
//   nothing takes no job id;
// - messages carry no internals (basic_filebuf, "exception in", "batchs").
#include <catch2/catch.hpp>

#include "cli_util.h"

using namespace annodb::test;
using nlohmann::json;

namespace {

const char* kOntology =
    R"({"features": [{"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]}]})";

std::string LabelLine(int asset, const char* author, const char* value) {
  char id[32];
  std::snprintf(id, sizeof id, "img-%04d", asset);
  return std::string(R"({"project": "street", "dataset": "cams", "asset": ")") + id + R"(", "author": ")" + author +
         R"(", "annotations": [{"feature": "weather", "value": ")" + value + "\"}]}\n";
}

// `body` preceded by enough blank lines that the input has exactly `lines` lines.
std::string Padded(const std::string& body, int lines) {
  return std::string(static_cast<size_t>(lines - 1), '\n') + body + "\n";
}

bool Mentions(const RunResult& r, const std::string& text) { return r.err.find(text) != std::string::npos; }

// No internals in a message.
void CheckClean(const RunResult& r) {
  INFO(r.err);
  CHECK(IsOneLineError(r.err));
  for (const char* leak : {"basic_filebuf", "exception in", "json.exception", "internal error", "what()"})
    CHECK(r.err.find(leak) == std::string::npos);
}

struct Fixture {
  TempDir dir{"cli-input"};
  CliStore s{dir.sub("store")};
  Fixture() {
    s.Ok({"init"});
    WriteFile(dir.sub("assets.jsonl"), MakeJsonl(200));
    s.Ok({"import", "--dataset", "cams", dir.sub("assets.jsonl")});
    WriteFile(dir.sub("ontology.json"), kOntology);
    s.Ok({"project", "create", "street", "--ontology", dir.sub("ontology.json"), "--dataset", "cams"});
    s.Ok({"member", "add", "alice", "--role", "labeler"});
    s.Ok({"member", "add", "bob", "--role", "labeler"});
  }
  uint64_t Sequence() const { return s.Json({"stats"})["sequence"].get<uint64_t>(); }
  RunResult In(std::vector<std::string> args, const std::string& input) const {
    RunOptions o;
    o.input = input;
    return s.Run(std::move(args), o);
  }
  json JsonIn(std::vector<std::string> args, const std::string& input) const {
    RunOptions o;
    o.input = input;
    return s.Json(std::move(args), o);
  }
};

}  // namespace

TEST_CASE("cli input: import - reads standard input") {
  Fixture f;
  json r = f.JsonIn({"import", "--dataset", "one", "-"}, MakeJsonl(1, 1001));
  CHECK(r["lines"] == 1);
  CHECK(r["created"] == 1);
  CHECK(r["dataset_created"] == true);
  r = f.JsonIn({"import", "--dataset", "one", "-", "--batch-rows", "100"}, MakeJsonl(200, 2001));
  CHECK(r["lines"] == 200);
  CHECK(r["created"] == 200);
  CHECK(r["dataset_created"] == false);
  // Two batches: "2 batches", not "2 batchs".
  RunResult human = f.In({"import", "--dataset", "two", "-", "--batch-rows", "100"}, MakeJsonl(200, 4001));
  CHECK(human.code == 0);
  CHECK(human.out.find("2 batches") != std::string::npos);
  CHECK(human.out.find("(new)") != std::string::npos);
  uint64_t seq = f.Sequence();
  RunResult bad = f.In({"import", "--dataset", "one", "-"}, "this is not JSON\n");
  CHECK(bad.code == 1);
  CheckClean(bad);
  CHECK(Mentions(bad, "standard input: line 1"));
  CHECK(f.Sequence() == seq);
}

TEST_CASE("cli input: label import - reads all of standard input") {
  Fixture f;
  json r = f.JsonIn({"label", "import", "-"}, LabelLine(1, "alice", "rain"));
  CHECK(r["lines"] == 1);
  CHECK(r["created"] == 1);
  CHECK(r["job_id"].get<uint64_t>() != 0);
  std::string many;
  for (int i = 1; i <= 200; ++i) many += LabelLine(i, "bob", "snow");
  r = f.JsonIn({"label", "import", "-"}, many);
  CHECK(r["lines"] == 200);
  CHECK(r["created"] == 200);
  CHECK(f.s.JsonLines({"label", "list", "--project", "street", "--author", "bob", "--limit", "1000"}).size() == 200);
  // The same 200 again: nothing changes, nothing is written, no job id.
  uint64_t seq = f.Sequence();
  r = f.JsonIn({"label", "import", "-"}, many);
  CHECK(r["unchanged"] == 200);
  CHECK(r["job_id"] == 0);
  CHECK(f.Sequence() == seq);
  RunResult human = f.In({"label", "import", "-"}, many);
  CHECK(human.out.find("nothing written, no job") != std::string::npos);
  // A bad 200th line is reported as line 200, and nothing is written.
  std::string bad_last = many.substr(0, many.size() - LabelLine(200, "bob", "snow").size()) + LabelLine(200, "bob", "hail");
  RunResult bad = f.In({"label", "import", "-"}, bad_last);
  CHECK(bad.code == 1);
  CHECK(Mentions(bad, "line 200: "));
  CHECK(Mentions(bad, "'hail' is not one of"));
  RunResult garbage = f.In({"label", "import", "-"}, "garbage\n");
  CHECK(garbage.code == 1);
  CheckClean(garbage);
  CHECK(Mentions(garbage, "line 1: not valid JSON"));
  garbage = f.In({"label", "import", "-"}, "");
  CHECK(garbage.code == 1);
  CHECK(Mentions(garbage, "standard input holds no labels"));
  CHECK(f.Sequence() == seq);
}

TEST_CASE("cli input: label update --annotations - reads standard input") {
  Fixture f;
  f.JsonIn({"label", "import", "-"}, LabelLine(1, "alice", "rain"));
  std::string id = std::to_string(f.s.JsonLines({"label", "list", "--project", "street"})[0]["id"].get<uint64_t>());
  f.In({"label", "update", id, "--annotations", "-"}, R"([{"feature": "weather", "value": "snow"}])" "\n");
  CHECK(f.s.Json({"label", "get", id})["annotations"][0]["value"] == "snow");
  RunResult r = f.In({"label", "update", id, "--annotations", "-"}, Padded(R"([{"feature": "weather", "value": "sunny"}])", 200));
  CHECK(r.code == 0);
  CHECK(f.s.Json({"label", "get", id})["annotations"][0]["value"] == "sunny");
  uint64_t seq = f.Sequence();
  r = f.In({"label", "update", id, "--annotations", "-"}, "{{{\n");
  CHECK(r.code == 1);
  CheckClean(r);
  CHECK(Mentions(r, "standard input: not valid JSON"));
  // The context is the input, not a second "annotations: ".
  r = f.In({"label", "update", id, "--annotations", "-"}, "{\"annotations\": 5}");
  CHECK(Mentions(r, "standard input: annotations: expected an array"));
  CHECK(f.Sequence() == seq);
}

TEST_CASE("cli input: submit --label - reads standard input") {
  Fixture f;
  f.s.Ok({"queue", "add", "--project", "street", "--dataset", "cams"});
  auto leases = f.s.JsonLines({"lease", "--project", "street", "--member", "alice", "-n", "3"});
  REQUIRE(leases.size() == 3);
  auto lease = [&](int i) { return std::to_string(leases[static_cast<size_t>(i)]["lease"].get<uint64_t>()); };
  json r = f.JsonIn({"submit", "--lease", lease(0), "--label", "-"}, R"([{"feature": "weather", "value": "rain"}])" "\n");
  CHECK(r.contains("label"));
  r = f.JsonIn({"submit", "--lease", lease(1), "--label", "-"},
               Padded(R"({"annotations": [{"feature": "weather", "value": "snow"}], "time_spent_ms": 1500})", 200));
  std::string label = std::to_string(r["label"].get<uint64_t>());
  CHECK(f.s.Json({"label", "get", label})["time_spent_ms"] == 1500);
  uint64_t seq = f.Sequence();
  RunResult bad = f.In({"submit", "--lease", lease(2), "--label", "-"}, "\x01garbage");
  CHECK(bad.code == 1);
  CheckClean(bad);
  CHECK(f.Sequence() == seq);
  // The lease is still usable.
  CHECK(f.In({"submit", "--lease", lease(2), "--label", "-"}, R"([{"feature": "weather", "value": "rain"}])").code == 0);
}

TEST_CASE("cli input: project create and set --ontology - read standard input") {
  Fixture f;
  f.JsonIn({"project", "create", "p1", "--ontology", "-", "--dataset", "cams"}, std::string(kOntology) + "\n");
  CHECK(f.s.Json({"project", "show", "p1"})["ontology"]["features"].size() == 1);
  std::string features;
  for (int i = 0; i < 198; ++i) features += std::string(i ? ",\n" : "") + "{\"name\": \"f" + std::to_string(i) + "\", \"kind\": \"text\"}";
  std::string tall = "{\"features\": [\n" + features + "\n]}";
  REQUIRE(std::count(tall.begin(), tall.end(), '\n') + 1 == 200);
  f.In({"project", "create", "p2", "--ontology", "-", "--dataset", "cams"}, tall);
  CHECK(f.s.Json({"project", "show", "p2"})["ontology"]["features"].size() == 198);
  uint64_t seq = f.Sequence();
  RunResult bad = f.In({"project", "create", "p3", "--ontology", "-", "--dataset", "cams"}, "not an ontology");
  CHECK(bad.code == 1);
  CheckClean(bad);
  CHECK(f.s.Run({"project", "show", "p3"}).code != 0);

  std::string more = R"({"features": [{"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow", "fog"]}]})";
  CHECK(f.In({"project", "set", "p1", "--ontology", "-"}, more).code == 0);
  CHECK(f.s.Json({"project", "show", "p1"})["ontology"]["features"][0]["options"].size() == 4);
  std::string tall_more = "{\"features\": [\n" + features + ",\n{\"name\": \"extra\", \"kind\": \"text\"}]}";
  CHECK(f.In({"project", "set", "p2", "--ontology", "-"}, Padded(tall_more, 2)).code == 0);
  CHECK(f.s.Json({"project", "show", "p2"})["ontology"]["features"].size() == 199);
  seq = f.Sequence();
  bad = f.In({"project", "set", "p1", "--ontology", "-"}, "]]");
  CHECK(bad.code == 1);
  CheckClean(bad);
  // Duplicate and unknown top-level keys are refused.
  bad = f.In({"project", "set", "p1", "--ontology", "-"}, std::string(R"({"features": [], "features": [], "x": 1})"));
  CHECK(Mentions(bad, "key 'features' is given twice"));
  bad = f.In({"project", "set", "p1", "--ontology", "-"}, more.substr(0, more.size() - 1) + ", \"colour\": \"red\"}");
  CHECK(Mentions(bad, "unknown key 'colour'"));
  CHECK(f.Sequence() == seq);
}

TEST_CASE("cli input: restore - reads standard input") {
  Fixture f;
  TempDir src_dir("cli-input-src");
  CliStore src(src_dir.sub("store"));
  src.Ok({"init"});
  WriteFile(src_dir.sub("a.jsonl"), MakeJsonl(198));
  src.Ok({"import", "--dataset", "d", src_dir.sub("a.jsonl")});
  std::string exported = src.Ok({"export", "--out", "-"});
  REQUIRE(std::count(exported.begin(), exported.end(), '\n') == 200);
  std::string header = exported.substr(0, exported.find('\n') + 1);

  CliStore one(f.dir.sub("one"));
  one.Ok({"init"});
  RunOptions o;
  o.input = header;
  CHECK(one.Json({"restore", "-"}, o)["lines"] == 1);
  CliStore all(f.dir.sub("all"));
  all.Ok({"init"});
  o.input = exported;
  json r = all.Json({"restore", "-"}, o);
  CHECK(r["lines"] == 200);
  CHECK(r["assets"] == 198);
  CHECK(all.Ok({"export", "--out", "-"}) == exported);
  o.input = "garbage\n";
  RunResult bad = all.Run({"restore", "-"}, o);
  CHECK(bad.code == 1);
  CheckClean(bad);
  o.input = header + "{\"type\":\"spaceship\"}\n";
  bad = all.Run({"restore", "-"}, o);
  CHECK(Mentions(bad, "line 2: unknown record type 'spaceship'"));
  CHECK(!Mentions(bad, "provenance"));
}

TEST_CASE("cli input: directories and empty files are refused with a clear message") {
  Fixture f;
  uint64_t seq = f.Sequence();
  f.s.Ok({"label", "import", "-"}, RunOptions{LabelLine(1, "alice", "rain"), {}, {}});
  std::string id = std::to_string(f.s.JsonLines({"label", "list", "--project", "street"})[0]["id"].get<uint64_t>());
  seq = f.Sequence();
  const std::string dir = f.dir.path();
  std::vector<std::vector<std::string>> cmds = {
      {"label", "import", dir},
      {"label", "update", id, "--annotations", dir},
      {"submit", "--lease", "1", "--label", dir},
      {"project", "create", "p9", "--ontology", dir, "--dataset", "cams"},
      {"project", "set", "street", "--ontology", dir},
      {"restore", dir},
  };
  for (const auto& cmd : cmds) {
    RunResult r = f.s.Run(cmd);
    INFO(cmd[0] + " " + cmd[1] + ": " + r.err);
    CHECK(r.code == 1);
    CheckClean(r);
    CHECK(Mentions(r, "is a directory"));
  }
  for (const auto& cmd : std::vector<std::vector<std::string>>{{"label", "import", "/dev/null"}, {"restore", "/dev/null"}}) {
    RunResult r = f.s.Run(cmd);
    INFO(r.err);
    CHECK(r.code == 1);
    CheckClean(r);
  }
  CHECK(f.Sequence() == seq);
}

TEST_CASE("cli input: unsigned options refuse negative and malformed numbers with exit 2") {
  Fixture f;
  WriteFile(f.dir.sub("l.json"), "[]");
  const std::string file = f.dir.sub("l.json");
  uint64_t seq = f.Sequence();
  // Every option bound to an unsigned integer, each with -1.
  std::vector<std::vector<std::string>> cmds = {
      {"import", "--dataset", "cams", file, "--batch-rows", "-1"},
      {"label", "import", file, "--batch", "-1"},
      {"label", "list", "--project", "street", "--after", "-1"},
      {"label", "list", "--project", "street", "--limit", "-1"},
      {"consensus", "--project", "street", "--limit", "-1"},
      {"aggregate", "--project", "street", "--quorum", "-1"},
      {"aggregate", "--project", "street", "--max-iterations", "-1"},
      {"lease", "--project", "street", "--member", "alice", "-n", "-1"},
      {"renew", "--lease", "-1"},
      {"release", "--lease", "1", "--token", "-1"},
      {"submit", "--lease", "1", "--label", file, "--time-spent", "-1"},
      {"review", "reject", "--lease", "1", "--comment", "x", "--label", "-1"},
      {"project", "set", "street", "--overlap", "-1"},
      {"project", "set", "street", "--lease-ttl", "-1"},
      {"project", "set", "street", "--max-leases", "-1"},
      {"queue", "priority", "--project", "street", "--batch", "-1", "--priority", "1"},
      {"list", "--dataset", "cams", "--limit", "-1"},
      {"verify", "--max-problems", "-1"},
      {"log", "--since", "-1"},
      {"log", "--limit", "-1"},
      {"comment", "add", "--label", "1", "--annotation", "-1", "--text", "x"},
  };
  for (const auto& cmd : cmds) {
    RunResult r = f.s.Run(cmd);
    INFO(cmd[0] + " " + cmd[1] + " ... " + cmd[cmd.size() - 2] + " " + cmd.back() + ": " + r.err);
    CHECK(r.code == 2);
    CHECK(IsOneLineError(r.err));
    CHECK(Mentions(r, "'-1' is not a whole number"));
  }
  // Other forms strtoull would take: a sign, hex, too large.
  for (const char* v : {"+5", "0x10", "18446744073709551616", "1e3", ""}) {
    RunResult r = f.s.Run({"submit", "--lease", "1", "--label", file, "--time-spent", v});
    INFO(v << ": " << r.err);
    CHECK(r.code == 2);
  }
  CHECK(f.s.Run({"lease", "--project", "street", "--member", "alice", "-n", "0"}).code == 2);
  CHECK(f.s.Run({"comment", "add", "--label", "1", "--annotation", "2147483648", "--text", "x"}).code == 2);
  CHECK(f.Sequence() == seq);
}

TEST_CASE("cli input: --as-of 2^64-1 is the future, like any sequence past the store's") {
  Fixture f;
  f.s.Ok({"label", "import", "-"}, RunOptions{LabelLine(1, "alice", "rain"), {}, {}});
  std::string label = std::to_string(f.s.JsonLines({"label", "list", "--project", "street"})[0]["id"].get<uint64_t>());
  for (const char* seq : {"18446744073709551615", "99999"}) {
    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {"get", "1", "--as-of", seq}, {"label", "get", label, "--as-of", seq}, {"project", "show", "street", "--as-of", seq}}) {
      RunResult r = f.s.Run(cmd);
      INFO(cmd[0] + " " + seq + ": " + r.err);
      CHECK(r.code == 1);
      CHECK(Mentions(r, "is in the future"));
    }
  }
  std::string now = std::to_string(f.Sequence());
  CHECK(f.s.Run({"get", "1", "--as-of", now}).code == 0);
}
