// The label commands end to end through the real binary: project, members,
// label import (and a refused bad line), Label Studio import, comments and
// issues with mentions, inbox, export and restore with identical bytes.
#include <catch2/catch.hpp>

#include "cli_util.h"

using namespace annodb::test;
using nlohmann::json;

namespace {
const char* kOntology = R"({"features": [
  {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]},
  {"name": "vehicle", "kind": "bbox", "classes": ["car", "truck"]},
  {"name": "road", "kind": "polygon"},
  {"name": "caption", "kind": "text"}]})";

const char* kLabels =
    R"({"project": "street", "dataset": "cams", "asset": "img-0001", "author": "alice", "source": "human", "annotations": [{"feature": "weather", "value": "rain"}, {"feature": "vehicle", "class": "car", "bbox": [10, 20, 100, 50], "score": 0.91}, {"feature": "road", "polygon": [[0, 0], [10, 0], [10, 10]]}, {"feature": "caption", "text": "a red car"}]}
{"project": "street", "dataset": "cams", "asset": "img-0001", "source": "model", "model": {"name": "yolo", "version": "8"}, "annotations": [{"feature": "vehicle", "class": "truck", "bbox": [1, 2, 3, 4], "score": 0.5}]}
{"project": "street", "dataset": "cams", "asset": "img-0002", "author": "bob", "annotations": [{"feature": "weather", "value": "sunny"}]}
)";

struct Fixture {
  TempDir dir{"cli-labels"};
  CliStore s{dir.sub("store")};
  Fixture() {
    s.Ok({"init"});
    WriteFile(dir.sub("assets.jsonl"), MakeJsonl(3));
    s.Ok({"import", "--dataset", "cams", dir.sub("assets.jsonl")});
    WriteFile(dir.sub("ontology.json"), kOntology);
    s.Ok({"project", "create", "street", "--ontology", dir.sub("ontology.json"), "--dataset", "cams", "--overlap", "2"});
    s.Ok({"member", "add", "alice", "--role", "labeler"});
    s.Ok({"member", "add", "bob", "--role", "reviewer"});
    WriteFile(dir.sub("labels.jsonl"), kLabels);
  }
};
}  // namespace

TEST_CASE("cli: projects, members and labels") {
  Fixture f;
  json p = f.s.Json({"project", "show", "street"});
  CHECK(p["settings"]["overlap"] == 2);
  CHECK(p["ontology"]["features"].size() == 4);
  CHECK(f.s.JsonLines({"member", "list"}).size() == 2);

  json r = f.s.Json({"label", "import", f.dir.sub("labels.jsonl")});
  CHECK(r["created"] == 3);
  r = f.s.Json({"label", "import", f.dir.sub("labels.jsonl")});
  CHECK(r["unchanged"] == 3);
  auto labels = f.s.JsonLines({"label", "list", "--project", "street", "--dataset", "cams", "--asset", "img-0001"});
  REQUIRE(labels.size() == 2);
  CHECK(labels[0]["author"] == "alice");
  CHECK(labels[1]["model"]["version"] == "8");
  std::string id = std::to_string(labels[0]["id"].get<uint64_t>());
  WriteFile(f.dir.sub("anns.json"), R"([{"feature": "weather", "value": "snow"}])");
  f.s.Ok({"label", "update", id, "--annotations", f.dir.sub("anns.json"), "--as", "alice"});
  auto hist = f.s.JsonLines({"label", "history", id});
  REQUIRE(hist.size() == 2);
  CHECK(hist[1]["provenance"]["actor"] == "alice");
  CHECK(f.s.Json({"label", "get", id})["annotations"][0]["value"] == "snow");
  CHECK(f.s.JsonLines({"label", "list", "--project", "street", "--author", "bob"}).size() == 1);

  // A bad line: refused with its number, nothing written.
  uint64_t seq = f.s.Json({"stats"})["sequence"];
  WriteFile(f.dir.sub("bad.jsonl"), std::string(kLabels) +
                                        R"({"project": "street", "dataset": "cams", "asset": "img-0003", "author": "bob", "annotations": [{"feature": "vehicle", "class": "car", "bbox": [10, 20, -5, 50]}]})" "\n");
  RunResult bad = f.s.Run({"label", "import", f.dir.sub("bad.jsonl")});
  CHECK(bad.code != 0);
  CHECK(IsOneLineError(bad.err));
  CHECK(bad.err.find("line 4: annotations[0] (vehicle): box width and height must be positive") != std::string::npos);
  CHECK(f.s.Json({"stats"})["sequence"] == seq);

  f.s.Ok({"label", "delete", id});
  CHECK(f.s.Run({"label", "get", id}).code != 0);
  CHECK(f.s.Run({"project", "create", "street", "--ontology", f.dir.sub("ontology.json"), "--dataset", "cams"}).code != 0);
  CHECK(f.s.Run({"member", "add", "x", "--role", "boss"}).code != 0);
}

TEST_CASE("cli: comments, issues, inbox, export and restore") {
  Fixture f;
  f.s.Ok({"label", "import", f.dir.sub("labels.jsonl")});
  auto labels = f.s.JsonLines({"label", "list", "--project", "street"});
  std::string label = std::to_string(labels[0]["id"].get<uint64_t>());
  json issue = f.s.Json({"comment", "add", "--label", label, "--annotation", "1", "--issue", "--region", "10,20,30,40",
                         "--text", "truck? @alice", "--as", "bob"});
  std::string root = std::to_string(issue["id"].get<uint64_t>());
  f.s.Ok({"comment", "reply", root, "--text", "no, a car", "--as", "alice"});
  RunResult unknown = f.s.Run({"comment", "add", "--label", label, "--text", "hi @nobody", "--as", "bob"});
  CHECK(unknown.code != 0);
  CHECK(unknown.err.find("@nobody is not a member") != std::string::npos);
  CHECK(f.s.Run({"comment", "add", "--label", label, "--text", "hi", "--as", "stranger"}).code != 0);
  auto inbox = f.s.JsonLines({"inbox", "--member", "alice", "--unread"});
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0]["body"] == "truck? @alice");
  f.s.Ok({"inbox", "--member", "alice", "--mark-read"});
  CHECK(f.s.JsonLines({"inbox", "--member", "alice", "--unread"}).empty());
  CHECK(f.s.JsonLines({"comment", "list", "--project", "street"}).size() == 2);  // the open issue and its reply
  f.s.Ok({"comment", "resolve", root, "--as", "bob"});
  CHECK(f.s.JsonLines({"comment", "list", "--project", "street"}).empty());
  CHECK(f.s.Run({"comment", "resolve", root}).code != 0);

  f.s.Ok({"snapshot", "create", "v1"});
  f.s.Ok({"export", "--format", "ndjson", "--out", f.dir.sub("a.ndjson"), "--snapshot", "v1"});
  f.s.Ok({"comment", "reopen", root, "--as", "alice"});
  f.s.Ok({"export", "--format", "ndjson", "--out", f.dir.sub("b.ndjson"), "--snapshot", "v1"});
  CHECK(ReadFile(f.dir.sub("a.ndjson")) == ReadFile(f.dir.sub("b.ndjson")));
  std::string stdout_export = f.s.Ok({"export", "--out", "-", "--snapshot", "v1"});
  CHECK(stdout_export == ReadFile(f.dir.sub("a.ndjson")));

  CliStore copy(f.dir.sub("copy"));
  copy.Ok({"init"});
  json rr = copy.Json({"restore", f.dir.sub("a.ndjson")});
  CHECK(rr["labels"] == 3);
  copy.Ok({"export", "--out", f.dir.sub("c.ndjson")});
  CHECK(ReadFile(f.dir.sub("c.ndjson")) == ReadFile(f.dir.sub("a.ndjson")));
  CHECK(copy.Run({"verify"}).code == 0);
  CHECK(f.s.Run({"export", "--format", "coco", "--out", "-"}).code != 0);
}

TEST_CASE("cli: Label Studio import moves a project with one command") {
  TempDir dir("cli-ls");
  CliStore s(dir.sub("store"));
  s.Ok({"init"});
  json r = s.Json({"label", "import-ls", std::string(ANNODB_SOURCE_DIR) + "/tests/labels/fixtures/label_studio_export.json",
                   "--project", "moved", "--dataset", "ls"});
  CHECK(r["project_created"] == true);
  CHECK(r["tasks"] == 2);
  CHECK(r["predictions"] == 1);
  CHECK(s.Json({"project", "show", "moved"})["ontology"]["features"].size() == 7);
  CHECK(s.JsonLines({"label", "list", "--project", "moved"}).size() == 3);
}

TEST_CASE("cli: Label Studio import of a real export: boxes outside the image, --clamp-boxes, the image key") {
  TempDir dir("cli-ls-real");
  CliStore s(dir.sub("store"));
  s.Ok({"init"});
  std::string file = std::string(ANNODB_SOURCE_DIR) + "/tests/labels/fixtures/ls_converter_csv_test.json";
  RunResult bad = s.Run({"label", "import-ls", file, "--project", "p", "--dataset", "d"});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("task 2: annotations[0]: result[0] (label, rectanglelabels): box x 92.93, y 57.39, width 7.5, "
                     "height 44.18 (% of 768x510) extends 1.57 % outside the image") != std::string::npos);
  CHECK(s.Run({"label", "import-ls", file, "--project", "p", "--dataset", "d", "--clamp-tolerance", "3"}).code == 2);
  CHECK(s.Run({"label", "import-ls", file, "--project", "p", "--dataset", "d", "--clamp-boxes", "--clamp-tolerance",
               "11"}).code == 2);
  CHECK(s.Run({"label", "import-ls", file, "--project", "p", "--dataset", "d", "--same-author", "merge"}).code == 2);
  json r = s.Json({"label", "import-ls", file, "--project", "p", "--dataset", "d", "--clamp-boxes"});
  CHECK(r["boxes_clamped"] == 2);
  CHECK(r["labels"] == 2);
  CHECK(r["predictions"] == 2);
  json a = s.Json({"get", "--dataset", "d", "--external-id", "ls-1"});
  CHECK(a["media_type"] == "image/jpeg");
  CHECK(a["uri"] == "https://data.heartex.net/open-images/train_0/mini/0030019819f25b28.jpg");
  std::string text = s.Ok({"label", "import-ls", file, "--project", "p", "--dataset", "d", "--clamp-boxes"});
  CHECK(text.find("4 unchanged") != std::string::npos);
  CHECK(text.find("clamped 2 boxes to the image") != std::string::npos);
}

TEST_CASE("cli: label update names the annotations file, once") {
  TempDir dir("cli-upd-msg");
  CliStore s(dir.sub("store"));
  s.Ok({"init"});
  std::ofstream(dir.sub("a.json")) << "{\"a\": 1}";
  RunResult r = s.Run({"label", "update", "1", "--annotations", dir.sub("a.json")});
  CHECK(r.code != 0);
  CHECK(r.err.find("'" + dir.sub("a.json") + "': annotations: expected an array") != std::string::npos);
  CHECK(r.err.find("annotations: annotations") == std::string::npos);
}
