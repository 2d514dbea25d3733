// Label Studio JSON export import (fixture written by hand from Label
// Studio's documented export format: tasks with data, annotations[].result[]
// and predictions[].result[] with model_version and score).
#include <catch2/catch.hpp>

#include <fstream>

#include "annodb/ls_import.h"
#include "annodb/verify.h"
#include "fixture.h"

using namespace annodb;

namespace {
const std::string kFixture = std::string(ANNODB_SOURCE_DIR) + "/tests/labels/fixtures/label_studio_export.json";

LsImportOptions Options() {
  LsImportOptions o;
  o.project = "ls-street";
  o.dataset = "ls-cams";
  return o;
}
}  // namespace

TEST_CASE("a Label Studio export becomes a project with assets, labels and predictions") {
  test::TempDir dir("ls");
  auto store = test::OpenNew(dir.path());
  LsImportReport r;
  Status s = ImportLabelStudio(*store, kFixture, Actor::Person("mover"), Options(), &r);
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(r.project_created);
  CHECK(r.tasks == 2);
  CHECK(r.assets_created == 2);
  CHECK(r.labels == 2);
  CHECK(r.predictions == 1);
  CHECK(r.cancelled_skipped == 1);
  CHECK(r.results_skipped == 1);
  CHECK(r.skipped_types["relation"] == 1);
  CHECK(r.members_created == 2);

  REQUIRE(store->Read([&](ReadTxn& t) {
    uint64_t pid = 0, ds = 0, img = 0, txt = 0, ann = 0, bo = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(t, "ls-street", &pid));
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(GetProject(t, pid, kCurrent, &p));
    REQUIRE(p.Feature("weather"));
    CHECK(p.Feature("weather")->kind == FeatureKind::Classification);
    CHECK(p.Feature("weather")->options == std::vector<std::string>{"rain", "sunny"});
    CHECK(p.Feature("vehicle")->classes == std::vector<std::string>{"car", "truck"});
    CHECK(p.Feature("topic")->kind == FeatureKind::MultiClassification);
    CHECK(p.Feature("entity")->kind == FeatureKind::Span);
    ANNODB_RETURN_IF_ERROR(FindDataset(t, "ls-cams", &ds));
    ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, "ls-101", &img));
    ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, "ls-102", &txt));
    ANNODB_RETURN_IF_ERROR(FindMember(t, "ann", &ann));
    ANNODB_RETURN_IF_ERROR(FindMember(t, "bo", &bo));
    RecordView av;
    ANNODB_RETURN_IF_ERROR(GetAsset(t, img, kCurrent, &av));
    AssetInput a = DecodeAsset(av.As<fb::Asset>());
    CHECK(a.uri == "s3://street-cams/2024/img-101.jpg");
    CHECK(a.width == 640);
    CHECK(a.height == 480);

    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(ListLabels(t, {pid, img, 0, {}}, 0, 0, &ids));
    REQUIRE(ids.size() == 2);
    RecordView lv;
    ANNODB_RETURN_IF_ERROR(GetLabel(t, ids[0], kCurrent, &lv));
    LabelInput human = DecodeLabel(lv.As<fb::Label>());
    CHECK(human.author_member_id == ann);
    CHECK(human.time_spent_ms == 12500);
    REQUIRE(human.annotations.size() == 5);
    const AnnotationInput& box = human.annotations[1];
    // Percentages of 640x480: x 10% = 64, y 25% = 120, w 50% = 320, h 12.5% = 60.
    CHECK(box.x == 64);
    CHECK(box.y == 120);
    CHECK(box.w == 320);
    CHECK(box.h == 60);
    CHECK(box.class_name == "car");
    CHECK(human.annotations[2].points.at(2).x == 640);
    CHECK(human.annotations[2].points.at(2).y == 480);
    CHECK(human.annotations[3].points.at(0).x == 320);
    CHECK(human.annotations[4].text == "a red car\nin the rain");
    ANNODB_RETURN_IF_ERROR(GetLabel(t, ids[1], kCurrent, &lv));
    LabelInput pred = DecodeLabel(lv.As<fb::Label>());
    CHECK(pred.source == LabelSource::Model);
    CHECK(pred.model_version == "yolo-8.1");
    CHECK(pred.annotations.at(0).score == Approx(0.42f));   // the result's own score
    CHECK(pred.annotations.at(1).score == Approx(0.77f));   // the prediction's score

    ANNODB_RETURN_IF_ERROR(ListLabels(t, {pid, txt, 0, {}}, 0, 0, &ids));
    REQUIRE(ids.size() == 1);
    ANNODB_RETURN_IF_ERROR(GetLabel(t, ids[0], kCurrent, &lv));
    LabelInput gold = DecodeLabel(lv.As<fb::Label>());
    CHECK(gold.source == LabelSource::Gold);
    CHECK(gold.author_member_id == bo);
    CHECK(gold.annotations.at(1).span_start == 13);
    CHECK(gold.annotations.at(1).span_end == 19);
    CHECK(gold.annotations.at(2).values == std::vector<std::string>{"Flights", "Places"});
    return Status::OK();
  }).ok());

  // Importing the same export again changes nothing.
  uint64_t seq = 0, seq2 = 0;
  REQUIRE(store->Sequence(&seq).ok());
  REQUIRE(ImportLabelStudio(*store, kFixture, Actor::Person("mover"), Options(), &r).ok());
  CHECK(r.unchanged == 3);
  CHECK_FALSE(r.project_created);
  REQUIRE(store->Sequence(&seq2).ok());
  CHECK(seq2 == seq);
  VerifyReport vr;
  REQUIRE(VerifyStore(*store, &vr).ok());
  CHECK(vr.ok());
}

TEST_CASE("a bad Label Studio export is refused whole") {
  test::TempDir dir("ls-bad");
  auto store = test::OpenNew(dir.path());
  std::ifstream in(kFixture);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  // Rotate the human's box: unsupported, and named in the error.
  size_t pos = text.find("\"rotation\": 0, \"rectanglelabels\": [\"car\"]");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, 14, "\"rotation\": 30,");
  std::string path = dir.sub("bad.json");
  std::ofstream(path) << text;
  LsImportReport r;
  Status s = ImportLabelStudio(*store, path, Actor::Person("mover"), Options(), &r);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("task 101: annotations[0]: result[1]: rotated boxes") != std::string::npos);
  uint64_t seq = 1;
  REQUIRE(store->Sequence(&seq).ok());
  CHECK(seq == 0);
  std::ofstream(path) << "{\"not\": \"an array\"}";
  CHECK(ImportLabelStudio(*store, path, Actor::Person("m"), Options(), &r).message().find("array of tasks") != std::string::npos);
  std::ofstream(path) << "[{\"id\": 1, \"data\": {\"image\": \"x\"}, \"annotations\": [{\"completed_by\": 1, \"result\": [{\"type\": \"choices\", \"from_name\": \"w\", \"value\": {\"choices\": [\"a\", \"b\"]}}]}]}]";
  // Inferred as multi-label (two choices in one result): imports.
  CHECK(ImportLabelStudio(*store, path, Actor::Person("m"), Options(), &r).ok());
  CHECK(ImportLabelStudio(*store, dir.sub("missing.json"), Actor::Person("m"), Options(), &r).code() == Code::kIOError);
}
