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
  CHECK(s.message().find("task 101: annotations[0]: result[1] (vehicle, rectanglelabels): rotated boxes are not supported (value.rotation 30)") != std::string::npos);
  uint64_t seq = 1;
  REQUIRE(store->Sequence(&seq).ok());
  CHECK(seq == 0);
  std::ofstream(path) << "{\"not\": \"an array\"}";
  CHECK(ImportLabelStudio(*store, path, Actor::Person("m"), Options(), &r).message().find("array of tasks") != std::string::npos);
  std::ofstream(path) << "[{\"id\": 1, \"data\": {\"image\": \"x\"}, \"annotations\": [{\"completed_by\": 1, \"result\": [{\"type\": \"choices\", \"from_name\": \"w\", \"value\": {\"choices\": [\"a\", \"b\"]}}]}]}]";
  // Inferred as multi-label (two choices in one result): imports.
  CHECK(ImportLabelStudio(*store, path, Actor::Person("m"), Options(), &r).ok());
  CHECK(ImportLabelStudio(*store, dir.sub("missing.json"), Actor::Person("m"), Options(), &r).code() == Code::kIOError);
  // A directory or an empty file: plain messages, no library exception text.
  Status d = ImportLabelStudio(*store, dir.path(), Actor::Person("m"), Options(), &r);
  CHECK(d.message() == "'" + dir.path() + "' is a directory, not a Label Studio file");
  std::ofstream(path, std::ios::trunc).flush();
  CHECK(ImportLabelStudio(*store, path, Actor::Person("m"), Options(), &r).message().find("is empty") != std::string::npos);
}

namespace {
// Imports `text` as a Label Studio file; the store must be left as it was
// whenever the import fails.
struct LsRun {
  test::TempDir dir{"ls-run"};
  std::unique_ptr<Store> store = test::OpenNew(dir.path());
  LsImportReport r;

  Status Import(const std::string& text, LsImportOptions o = Options()) {
    std::string path = dir.sub("in.json");
    std::ofstream(path, std::ios::trunc) << text;
    uint64_t before = 0, after = 0;
    REQUIRE(store->Sequence(&before).ok());
    Status s = ImportLabelStudio(*store, path, Actor::Person("mover"), o, &r);
    REQUIRE(store->Sequence(&after).ok());
    if (!s.ok()) CHECK(after == before);
    CHECK(s.message().find("exception") == std::string::npos);
    return s;
  }
  std::vector<LabelInput> Versions(uint64_t id) {
    std::vector<LabelInput> out;
    REQUIRE(store->Read([&](ReadTxn& t) {
      std::vector<RecordView> v;
      ANNODB_RETURN_IF_ERROR(t.History(RecordKind::Label, id, &v));
      for (const RecordView& x : v) out.push_back(DecodeLabel(x.As<fb::Label>()));
      return Status::OK();
    }).ok());
    return out;
  }
  std::vector<uint64_t> Labels() {
    std::vector<uint64_t> ids;
    REQUIRE(store->Read([&](ReadTxn& t) {
      uint64_t pid = 0;
      ANNODB_RETURN_IF_ERROR(FindProject(t, "ls-street", &pid));
      return ListLabels(t, {pid, 0, 0, {}}, 0, 0, &ids);
    }).ok());
    return ids;
  }
};

std::string Box(const std::string& extra_value, const std::string& extra_result = "") {
  return R"({"type": "rectanglelabels", "from_name": "vehicle", "to_name": "image", "original_width": 640,
             "original_height": 480)" + extra_result + R"(, "value": {"x": 10, "y": 10, "width": 20, "height": 20)" +
         extra_value + "}}";
}
std::string Task(const std::string& annotations) {
  return R"([{"id": 7, "data": {"image": "s3://b/7.jpg"}, "annotations": [)" + annotations + "]}]";
}
}  // namespace

TEST_CASE("Label Studio: two annotations by one author are refused, or kept as versions and counted") {
  LsRun run;
  std::string two = Task(R"({"completed_by": 1, "result": [)" + Box(R"(, "rectanglelabels": ["car"])") + R"(]},
                            {"completed_by": 1, "result": [)" + Box(R"(, "rectanglelabels": ["truck"])") + "]}");
  Status s = run.Import(two);
  INFO(s.ToString());
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("task 7: annotations[0], annotations[1] are all by member 'ls-user-1' (human)") !=
        std::string::npos);
  CHECK(s.message().find("--same-author versions") != std::string::npos);

  LsImportOptions o = Options();
  o.same_author = LsSameAuthor::kVersions;
  REQUIRE(run.Import(two, o).ok());
  CHECK(run.r.labels == 1);
  CHECK(run.r.earlier_versions == 1);
  CHECK(run.r.labels + run.r.earlier_versions + run.r.unchanged == 2);
  std::vector<uint64_t> ids = run.Labels();
  REQUIRE(ids.size() == 1);
  std::vector<LabelInput> v = run.Versions(ids[0]);
  REQUIRE(v.size() == 2);
  CHECK(v[0].annotations.at(0).class_name == "car");
  CHECK(v[1].annotations.at(0).class_name == "truck");
  // Re-importing finds both versions stored: nothing is written.
  uint64_t seq = 0, seq2 = 0;
  REQUIRE(run.store->Sequence(&seq).ok());
  REQUIRE(run.Import(two, o).ok());
  CHECK(run.r.unchanged == 2);
  CHECK(run.r.labels + run.r.earlier_versions == 0);
  REQUIRE(run.store->Sequence(&seq2).ok());
  CHECK(seq2 == seq);
  CHECK(run.Versions(ids[0]).size() == 2);
  // A file whose first annotation equals the current version: that one is
  // counted unchanged, not as an earlier version written.
  std::string swapped = Task(R"({"completed_by": 1, "result": [)" + Box(R"(, "rectanglelabels": ["truck"])") + R"(]},
                                {"completed_by": 1, "result": [)" + Box(R"(, "rectanglelabels": ["car"])") + "]}");
  REQUIRE(run.Import(swapped, o).ok());
  CHECK(run.r.unchanged == 1);
  CHECK(run.r.labels == 1);
  CHECK(run.r.earlier_versions == 0);
  CHECK(run.Versions(ids[0]).size() == 3);

  // Two predictions of one model version on a task are the same label too.
  LsRun preds;
  Status p = preds.Import(R"([{"id": 8, "data": {"image": "x.jpg"}, "predictions": [
      {"model_version": "v1", "result": [)" + Box(R"(, "rectanglelabels": ["car"])") + R"(]},
      {"model_version": "v1", "result": [)" + Box(R"(, "rectanglelabels": ["car"])") + "]}]}]");
  CHECK(p.message().find("task 8: predictions[0], predictions[1] are all by model version 'v1'") != std::string::npos);
}

TEST_CASE("Label Studio: values that cannot be kept exactly are refused, naming task, result, field and value") {
  struct Case {
    std::string annotation, expect;
  };
  const Case cases[] = {
      {R"({"completed_by": 1, "result": [)" + Box(R"(, "rectanglelabels": ["car", "truck"])") + "]}",
       R"(task 7: annotations[0]: result[0] (vehicle, rectanglelabels): value.rectanglelabels is ["car","truck"]: 2 labels on one region)"},
      {R"({"completed_by": 1, "result": [{"type": "textarea", "from_name": "note", "value": {"text": [1, 2]}}]})",
       "task 7: annotations[0]: result[0]"},
      {R"({"completed_by": 1, "lead_time": 1e300, "result": [)" + Box(R"(, "rectanglelabels": ["car"])") + "]}",
       "task 7: annotations[0]: lead_time is 1e+300, not a number of seconds 0..1e9"},
      {R"({"completed_by": 1, "lead_time": -3, "result": [)" + Box(R"(, "rectanglelabels": ["car"])") + "]}",
       "task 7: annotations[0]: lead_time is -3"},
      {R"({"completed_by": 1, "result": [{"type": "rectanglelabels", "from_name": "vehicle", "original_width": 1e20,
           "original_height": 480, "value": {"x": 10, "y": 10, "width": 50, "height": 20, "rectanglelabels": ["car"]}}]})",
       "task 7: annotations[0]: result[0]: original_width is 1e+20, not a pixel count (1..4294967295)"},
      {R"({"completed_by": 1, "result": [{"type": "rectanglelabels", "from_name": "vehicle", "original_width": 640.5,
           "original_height": 480, "value": {"x": 10, "y": 10, "width": 50, "height": 20, "rectanglelabels": ["car"]}}]})",
       "task 7: annotations[0]: result[0]: original_width is 640.5"},
      {R"({"completed_by": 1, "result": [{"type": "choices", "from_name": "w", "value": {"choices": ["a", 3]}}]})",
       R"(task 7: annotations[0]: result[0] (w): value.choices[1] is 3, not a string)"},
      {R"({"completed_by": 1, "result": [{"type": "labels", "from_name": "e", "value": {"start": 1.5, "end": 3, "labels": ["x"]}}]})",
       "task 7: annotations[0]: result[0] (e, labels): value.start/end 1.5, 3 are not character offsets"},
      {R"({"completed_by": 1, "result": [{"type": "polygonlabels", "from_name": "road", "original_width": 100,
           "original_height": 100, "value": {"points": [[0, 0], [50, 120], [100, 0]], "polygonlabels": ["a"]}}]})",
       "task 7: annotations[0]: result[0] (road, polygonlabels): value.points[1] (50, 120) % lies outside the image"},
      {R"({"completed_by": 1, "result": [)" + Box(R"(, "rectanglelabels": ["car"])", R"(, "score": 1e300)") + "]}",
       "task 7: annotations[0]: result[0] (vehicle, rectanglelabels): score is 1e+300, not a finite number"},
  };
  for (const Case& c : cases) {
    LsRun run;
    Status s = run.Import(Task(c.annotation));
    INFO(c.annotation);
    INFO(s.ToString());
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find(c.expect) != std::string::npos);
  }
  // The textarea's own words.
  LsRun run;
  Status s = run.Import(Task(R"({"completed_by": 1, "result": [{"type": "textarea", "from_name": "note",
                                  "value": {"text": [1, 2]}}]})"));
  CHECK(s.message().find("value.text[0] is 1, not a string") != std::string::npos);
}

TEST_CASE("Label Studio: malformed values get plain messages, never a JSON library's") {
  const std::string cases[][2] = {
      {R"({"completed_by": 1, "result": [{"type": 5, "from_name": "w", "value": {"choices": ["a"]}}]})",
       "task 7: annotations[0]: result[0]: type is 5, not a string"},
      {R"({"completed_by": 1, "result": [[1, 2]]})", "task 7: annotations[0]: result[0]: expected an object, not [1,2]"},
      {R"({"completed_by": 1, "was_cancelled": "no", "result": []})",
       R"(task 7: annotations[0]: was_cancelled is "no", not true or false)"},
      {R"({"completed_by": "", "result": []})", R"(task 7: annotations[0]: completed_by is "", which names no user)"},
      {R"({"completed_by": {"email": 3}, "result": []})", "task 7: annotations[0]: completed_by: email is 3, not a string"},
      {R"({"completed_by": 1, "result": {"a": 1}})", R"(task 7: annotations[0]: result is {"a":1}, not an array)"},
  };
  for (const auto& c : cases) {
    LsRun run;
    // A valid choices result elsewhere gives the inferred ontology a feature.
    std::string text = R"([{"id": 6, "data": {"image": "a.jpg"}, "annotations": [{"completed_by": 2, "result": [
                           {"type": "choices", "from_name": "w", "value": {"choices": ["a"]}}]}]},)" +
                       Task(c[0]).substr(1);
    Status s = run.Import(text);
    INFO(s.ToString());
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find(c[1]) != std::string::npos);
  }
  LsRun run;
  Status s = run.Import(R"([{"id": 1.5, "data": {"image": "a.jpg"}, "annotations": [{"completed_by": 1, "result": [
                             {"type": "choices", "from_name": "w", "value": {"choices": ["a"]}}]}]}])");
  CHECK(s.message().find("tasks[0]: id is 1.5, not an integer task id") != std::string::npos);
  s = run.Import(R"([{"id": 1, "data": {"image": "a.jpg"}, "annotations": [{"completed_by": 1, "result": [
                      {"type": "choices", "from_name": "w", "value": {"choices": ["a"]}}]}]},
                     {"id": 1, "data": {"image": "b.jpg"}}])");
  CHECK(s.message().find("task 1: external id 'ls-1' was already given to tasks[0]") != std::string::npos);
  s = run.Import(R"([{"id": 1, "data": {"image": "a.jpg"}, "annotations": [
                      {"completed_by": {"id": 1, "email": "ann@a.org"}, "result": [{"type": "choices", "from_name": "w", "value": {"choices": ["a"]}}]},
                      {"completed_by": {"id": 2, "email": "ann@b.org"}, "result": [{"type": "choices", "from_name": "w", "value": {"choices": ["a"]}}]}]}])");
  CHECK(s.message().find("task 1: annotations[1]: completed_by ann@b.org and ann@a.org would both be member 'ann'") !=
        std::string::npos);
}

TEST_CASE("Label Studio: a result of the wrong kind for its feature is named as such") {
  LsRun run;
  Status s = run.Import(R"([{"id": 1, "data": {"image": "a.jpg"}, "annotations": [{"completed_by": 1, "result": [
      {"type": "polygonlabels", "from_name": "road", "original_width": 10, "original_height": 10,
       "value": {"points": [[0, 0], [50, 50], [100, 0]], "polygonlabels": ["a"]}}]}]},
    {"id": 2, "data": {"image": "b.jpg"}, "annotations": [{"completed_by": 1, "result": [
      {"type": "rectanglelabels", "from_name": "road", "original_width": 10, "original_height": 10,
       "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["a"]}}]}]}])");
  CHECK(s.message() ==
        "task 2: annotations[0]: result[0] (road): a rectanglelabels result, but task 1: annotations[0]: result[0] "
        "(road) made 'road' a polygonlabels feature");
  // In an existing project, the feature's kind is named.
  REQUIRE(run.Import(R"([{"id": 1, "data": {"image": "a.jpg"}, "annotations": [{"completed_by": 1, "result": [
      {"type": "polygonlabels", "from_name": "road", "original_width": 10, "original_height": 10,
       "value": {"points": [[0, 0], [50, 50], [100, 0]], "polygonlabels": ["a"]}}]}]}])").ok());
  s = run.Import(R"([{"id": 2, "data": {"image": "b.jpg"}, "annotations": [{"completed_by": 1, "result": [
      {"type": "rectanglelabels", "from_name": "road", "original_width": 10, "original_height": 10,
       "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["a"]}}]}]}])");
  CHECK(s.message() ==
        "task 2: annotations[0]: result[0] (road, rectanglelabels): feature 'road' of project 'ls-street' is a "
        "polygon feature; a rectanglelabels result cannot be stored in it");
}

TEST_CASE("Label Studio: span offsets are checked against value.text; UTF-16 offsets after an emoji are converted") {
  // "I \U0001F600 Zürich": Label Studio's UTF-16 offsets put "Zürich" at [5, 11), code points at [4, 10).
  auto task = [](int start, int end, const std::string& text) {
    return std::string(R"([{"id": 1, "data": {"text": "I \ud83d\ude00 Zürich"}, "annotations": [{"completed_by": 1,
        "result": [{"type": "labels", "from_name": "e", "value": {"start": )") + std::to_string(start) + ", \"end\": " +
           std::to_string(end) + R"(, "text": ")" + text + R"(", "labels": ["LOC"]}}]}]}])";
  };
  LsRun run;
  REQUIRE(run.Import(task(5, 11, "Zürich")).ok());
  std::vector<uint64_t> ids = run.Labels();
  REQUIRE(ids.size() == 1);
  LabelInput l = run.Versions(ids[0]).back();
  CHECK(l.annotations.at(0).span_start == 4);
  CHECK(l.annotations.at(0).span_end == 10);
  LsRun cp;  // code point offsets that match are kept
  REQUIRE(cp.Import(task(4, 10, "Zürich")).ok());
  CHECK(cp.Versions(cp.Labels().at(0)).back().annotations.at(0).span_start == 4);
  LsRun bad;
  Status s = bad.Import(task(0, 1, "Zürich"));
  CHECK(s.message() == "task 1: annotations[0]: result[0] (e, labels): value.text \"Zürich\" is not the task's text at "
                       "[0, 1) (which holds \"I\")");
}
