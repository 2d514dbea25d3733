// Label import from JSON Lines: all or nothing, idempotent, models too.
#include <catch2/catch.hpp>

#include <fstream>

#include "annodb/label_json.h"
#include "fixture.h"

using namespace annodb;

namespace {
void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
const char* kGood =
    R"({"project": "street", "dataset": "cams", "asset": "img-0001", "author": "alice", "source": "human", "annotations": [{"feature": "weather", "value": "rain"}, {"feature": "vehicle", "class": "car", "bbox": [10, 20, 100, 50], "score": 0.91}, {"feature": "road", "polygon": [[0, 0], [10, 0], [10, 10]]}, {"feature": "caption", "text": "a red car"}]}
{"project": "street", "dataset": "cams", "asset": "img-0001", "source": "model", "model": {"name": "yolo", "version": "8.1"}, "annotations": [{"feature": "vehicle", "class": "truck", "bbox": [1, 2, 3, 4], "score": 0.5}, {"feature": "sky", "mask": {"size": [480, 640], "counts": [1000, 500, 305700]}}]}

{"project": "street", "dataset": "cams", "asset": "doc-1", "author": "bob", "source": "gold", "annotations": [{"feature": "entity", "class": "PER", "span": [0, 4]}, {"feature": "tags", "values": ["busy"]}, {"feature": "head", "point": [1, 2]}, {"feature": "lane", "polyline": [[0, 0], [1, 1]]}]}
)";
}  // namespace

TEST_CASE("importing labels and predictions, then again: nothing new") {
  test::LabelFixture fx;
  std::string path = fx.dir.sub("labels.jsonl");
  Write(path, kGood);
  LabelImportReport r;
  REQUIRE(ImportLabelsJsonl(*fx.store, path, Actor::Person("alice"), 2, &r).ok());
  CHECK(r.lines == 3);
  CHECK(r.created == 3);
  CHECK(r.job_id > 0);
  uint64_t first_job = r.job_id;
  uint64_t seq = fx.Sequence();
  REQUIRE(ImportLabelsJsonl(*fx.store, path, Actor::Person("alice"), 2, &r).ok());
  CHECK(r.unchanged == 3);
  CHECK(r.created == 0);
  // Unchanged batches still commit an empty transaction but take no sequence.
  CHECK(fx.Sequence() == seq);
  REQUIRE(fx.store->Read([&](ReadTxn& t) {
    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(ListLabels(t, {fx.project, 0, 0, {}}, 0, 0, &ids));
    CHECK(ids.size() == 3);
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetLabel(t, ids[1], kCurrent, &v));
    LabelInput l = DecodeLabel(v.As<fb::Label>());
    CHECK(l.source == LabelSource::Model);
    CHECK(l.model_version == "8.1");
    CHECK(v.DecodeProvenance().job_id == first_job);
    return Status::OK();
  }).ok());
}

TEST_CASE("a bad label line is refused with its number and nothing is written") {
  test::LabelFixture fx;
  uint64_t before = fx.Sequence();
  std::string path = fx.dir.sub("bad.jsonl");
  auto expect_refusal = [&](const std::string& third_line, const std::string& msg) {
    Write(path, std::string(kGood) + third_line + "\n");
    LabelImportReport r;
    Status s = ImportLabelsJsonl(*fx.store, path, Actor::Person("alice"), 1, &r);
    INFO(s.ToString());
    CHECK(s.message().rfind("line 5: ", 0) == 0);
    CHECK(s.message().find(msg) != std::string::npos);
    CHECK(fx.Sequence() == before);
  };
  expect_refusal("{not json", "not valid JSON");
  expect_refusal(R"({"project": "nope", "dataset": "cams", "asset": "img-0001", "author": "alice", "annotations": []})", "no project named 'nope'");
  expect_refusal(R"({"project": "street", "dataset": "cams", "asset": "img-9", "author": "alice", "annotations": []})", "no asset 'img-9'");
  expect_refusal(R"({"project": "street", "dataset": "cams", "asset": "img-0001", "author": "zed", "annotations": []})", "no member named 'zed'");
  expect_refusal(R"({"project": "street", "dataset": "cams", "asset": "img-0001", "author": "bob", "annotations": [{"feature": "weather", "value": "hail"}]})", "annotations[0] (weather): value 'hail'");
  expect_refusal(R"({"project": "street", "dataset": "cams", "asset": "img-0001", "author": "bob", "annotations": [{"feature": "vehicle", "bbox": [1, 2, 3]}]})", "annotations[0].bbox: expected [x, y, width, height]");
  expect_refusal(R"({"project": "street", "dataset": "cams", "asset": "img-0001", "source": "model", "annotations": []})", "needs \"model\"");
  expect_refusal("{\"project\": \"street\", \"dataset\": \"cams\", \"asset\": \"img-0001\", \"author\": \"bob\xff\", \"annotations\": []}", "not valid UTF-8");
  LabelImportReport r;
  CHECK(ImportLabelsJsonl(*fx.store, fx.dir.sub("missing.jsonl"), Actor::Person("a"), 10, &r).code() == Code::kNotFound);
}
