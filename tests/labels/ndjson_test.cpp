// NDJSON export: restoring an export into an empty store and exporting again
// gives the same bytes; exporting a snapshot twice, with writes in between,
// gives the same bytes.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "annodb/comments.h"
#include "annodb/label_json.h"
#include "annodb/ndjson.h"
#include "annodb/verify.h"
#include "fixture.h"

using namespace annodb;

namespace {
const char* kLabels =
    R"({"project": "street", "dataset": "cams", "asset": "img-0001", "author": "alice", "source": "human", "annotations": [{"feature": "weather", "value": "rain"}, {"feature": "tags", "values": ["wet", "night"]}, {"feature": "vehicle", "class": "car", "bbox": [10.5, 20, 100, 50], "score": 0.91}, {"feature": "road", "polygon": [[0, 0], [10, 0], [10, 10]]}, {"feature": "lane", "polyline": [[0, 0], [5, 5]]}, {"feature": "head", "point": [3, 4]}, {"feature": "sky", "mask": {"size": [480, 640], "counts": [1000, 500, 305700]}}, {"feature": "caption", "text": "a red car"}]}
{"project": "street", "dataset": "cams", "asset": "img-0001", "source": "model", "model": {"name": "yolo", "version": "8.1"}, "annotations": [{"feature": "vehicle", "class": "truck", "bbox": [1, 2, 3, 4], "score": 0.5}]}
{"project": "street", "dataset": "cams", "asset": "doc-1", "author": "bob", "source": "gold", "status": "accepted", "time_spent_ms": 1234, "annotations": [{"feature": "entity", "class": "PER", "span": [0, 4]}]}
)";

std::string Export(Store& store, ExportOptions o = {}) {
  std::ostringstream out;
  ExportReport r;
  Status s = ExportNdjson(store, o, out, &r);
  if (!s.ok()) throw std::runtime_error(s.ToString());
  return out.str();
}

void Populate(test::LabelFixture& fx) {
  std::string path = fx.dir.sub("labels.jsonl");
  std::ofstream(path) << kLabels;
  LabelImportReport lr;
  REQUIRE(ImportLabelsJsonl(*fx.store, path, Actor::Person("alice"), 100, &lr).ok());
  REQUIRE(fx.store->Write(Actor::Person("bob"), [&](WriteTxn& t) {
    std::vector<uint64_t> labels;
    ANNODB_RETURN_IF_ERROR(ListLabels(t, {fx.project, fx.img, 0, {}}, 0, 0, &labels));
    CommentInput issue;
    issue.label_id = labels.at(0);
    issue.annotation_index = 2;
    issue.author_member_id = fx.bob;
    issue.body = "Is this a *truck*? @alice";
    issue.issue = true;
    issue.region_box = Box{10, 20, 30, 40};
    uint64_t root = 0;
    ANNODB_RETURN_IF_ERROR(AddComment(t, issue, &root));
    CommentInput reply;
    reply.thread_id = root;
    reply.author_member_id = fx.alice;
    reply.body = "No, a car.";
    ANNODB_RETURN_IF_ERROR(AddComment(t, reply, nullptr));
    ANNODB_RETURN_IF_ERROR(ResolveIssue(t, root));
    CommentInput note;
    note.asset_id = fx.doc;
    note.project_id = fx.project;
    note.issue = true;
    note.author_member_id = fx.alice;
    note.region_point = Point{1, 1};
    note.body = "odd text";
    ANNODB_RETURN_IF_ERROR(AddComment(t, note, nullptr));
    return UpdateMember(t, fx.bob, Role::Reviewer, false, nullptr);
  }).ok());
  // Asset metadata of every type, including time.
  REQUIRE(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) {
    return UpdateAssetMetadata(t, fx.img,
                               {{"camera", MetaKind::kString, "A", 0, 0, false},
                                {"lux", MetaKind::kFloat, "", 0, 12.25, false},
                                {"n", MetaKind::kInt, "", -3, 0, false},
                                {"night", MetaKind::kBool, "", 0, 0, true},
                                {"remark", MetaKind::kString, "tab\there \"quoted\" back\\slash \x01 Z\xC3\xBCrich", 0, 0, false},
                                {"taken", MetaKind::kTime, "", 1714564800123456, 0, false}},
                               {}, nullptr);
  }).ok());
}
}  // namespace

TEST_CASE("restoring an export into an empty store and exporting again gives the same bytes") {
  test::LabelFixture fx;
  Populate(fx);
  std::string first = Export(*fx.store);
  CHECK(first.find("\"type\":\"member\"") != std::string::npos);
  CHECK(first.find("\"issue\":\"resolved\"") != std::string::npos);
  CHECK(first.find("\"replies\"") != std::string::npos);
  CHECK(first.find("\"$time\"") != std::string::npos);
  std::string path = fx.dir.sub("export.ndjson");
  std::ofstream(path) << first;

  test::TempDir other("restore");
  auto copy = test::OpenNew(other.path());
  RestoreReport rr;
  Status s = RestoreNdjson(*copy, path, &rr);
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(rr.assets == 2);
  CHECK(rr.labels == 3);
  CHECK(rr.comments == 3);
  std::string second = Export(*copy);
  CHECK(second == first);
  // Restoring the same export again finds every comment (and upserts the
  // rest): nothing is added, the export is unchanged.
  RestoreReport again;
  REQUIRE(RestoreNdjson(*copy, path, &again).ok());
  CHECK(again.comments == 0);
  CHECK(again.comments_existing == 3);
  CHECK(Export(*copy) == first);
  // A comment that differs (another body) is added next to the found ones.
  std::string edited = first;
  const std::string body = "\"body\":\"No, a car.\"";
  REQUIRE(edited.find(body) != std::string::npos);
  edited.replace(edited.find(body), body.size(), "\"body\":\"No, a van.\"");
  std::string edited_path = fx.dir.sub("edited.ndjson");
  std::ofstream(edited_path) << edited;
  RestoreReport third;
  REQUIRE(RestoreNdjson(*copy, edited_path, &third).ok());
  CHECK(third.comments == 1);
  CHECK(third.comments_existing == 2);
  std::string after = Export(*copy);
  CHECK(after.find("No, a car.") != std::string::npos);
  CHECK(after.find("No, a van.") != std::string::npos);
  VerifyReport vr;
  REQUIRE(VerifyStore(*copy, &vr).ok());
  CHECK(vr.ok());
}

TEST_CASE("every exported line is the bytes nlohmann renders for its parse") {
  test::LabelFixture fx;
  Populate(fx);
  std::string text = Export(*fx.store);
  CHECK(text.find(R"(tab\there \"quoted\" back\\slash \u0001 Z)") != std::string::npos);
  size_t lines = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    REQUIRE(end != std::string::npos);  // every line ends with a newline
    std::string line = text.substr(pos, end - pos);
    INFO(line);
    CHECK(nlohmann::ordered_json::parse(line).dump() == line);
    pos = end + 1;
    ++lines;
  }
  CHECK(lines == 7);  // header, 2 members, 1 dataset, 1 project, 2 assets
  // Assets in id order (img-0001 was written first), not external-id order.
  CHECK(text.find("\"img-0001\"") < text.find("\"doc-1\""));
}

TEST_CASE("assets of several datasets come in id order and restore to the same bytes") {
  test::LabelFixture fx;
  Populate(fx);
  REQUIRE(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) {
    uint64_t second = 0;
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "cams2", "", &second));
    for (const char* ext : {"z-1", "a-2"}) {
      AssetInput a;
      a.external_id = ext;
      a.uri = std::string("file:///") + ext;
      ANNODB_RETURN_IF_ERROR(PutAsset(t, second, a, nullptr, nullptr));
    }
    AssetInput later;
    later.external_id = "aaa-first-by-name";
    later.uri = "file:///aaa";
    return PutAsset(t, fx.dataset, later, nullptr, nullptr);
  }).ok());
  std::string first = Export(*fx.store);
  const size_t img = first.find("\"img-0001\""), doc = first.find("\"doc-1\""), z = first.find("\"z-1\""),
               a = first.find("\"a-2\""), aaa = first.find("\"aaa-first-by-name\"");
  REQUIRE(aaa != std::string::npos);
  CHECK(img < doc);
  CHECK(doc < z);
  CHECK(z < a);
  CHECK(a < aaa);
  std::string path = fx.dir.sub("two-datasets.ndjson");
  std::ofstream(path) << first;
  test::TempDir other("restore2");
  auto copy = test::OpenNew(other.path());
  RestoreReport rr;
  REQUIRE(RestoreNdjson(*copy, path, &rr).ok());
  CHECK(rr.assets == 5);
  CHECK(Export(*copy) == first);
  // Only one dataset: its assets alone, still in id order.
  ExportOptions only;
  only.dataset = "cams2";
  std::string part = Export(*fx.store, only);
  CHECK(part.find("\"img-0001\"") == std::string::npos);
  CHECK(part.find("\"z-1\"") < part.find("\"a-2\""));
}

TEST_CASE("exporting a snapshot twice with writes in between gives the same bytes") {
  test::LabelFixture fx;
  Populate(fx);
  REQUIRE(fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) { return t.CreateSnapshot("release-1", nullptr); }).ok());
  ExportOptions o;
  o.snapshot = "release-1";
  std::string before = Export(*fx.store, o);
  CHECK(before == Export(*fx.store));  // nothing changed yet: same as now
  // Writes of every kind after the snapshot.
  REQUIRE(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) {
    std::vector<uint64_t> labels;
    ANNODB_RETURN_IF_ERROR(ListLabels(t, {fx.project, fx.img, 0, {}}, 0, 0, &labels));
    ANNODB_RETURN_IF_ERROR(DeleteLabel(t, labels.at(1)));
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetLabel(t, labels.at(0), kCurrent, &v));
    LabelInput l = DecodeLabel(v.As<fb::Label>());
    l.annotations[0].value = "snow";
    ANNODB_RETURN_IF_ERROR(UpdateLabel(t, labels.at(0), l, nullptr));
    CommentInput c;
    c.asset_id = fx.img;
    c.author_member_id = fx.alice;
    c.body = "later comment";
    ANNODB_RETURN_IF_ERROR(AddComment(t, c, nullptr));
    AssetInput a;
    a.external_id = "img-0002";
    a.uri = "file:///img-0002.jpg";
    ANNODB_RETURN_IF_ERROR(PutAsset(t, fx.dataset, a, nullptr, nullptr));
    ANNODB_RETURN_IF_ERROR(DeleteAsset(t, fx.doc));
    return AddMember(t, "carol", Role::Labeler, "", nullptr);
  }).ok());
  std::string after = Export(*fx.store, o);
  CHECK(after == before);
  std::string now = Export(*fx.store);
  CHECK(now != before);
  CHECK(now.find("img-0002") != std::string::npos);
  CHECK(now.find("doc-1") == std::string::npos);
  CHECK(now.find("snow") != std::string::npos);
  // Project and dataset filters; unknown names are errors.
  ExportOptions p;
  p.project = "street";
  CHECK(Export(*fx.store, p).find("\"type\":\"project\"") != std::string::npos);
  std::ostringstream sink;
  ExportReport r;
  ExportOptions bad;
  bad.snapshot = "nope";
  CHECK(ExportNdjson(*fx.store, bad, sink, &r).IsNotFound());
  bad = {};
  bad.project = "nope";
  CHECK(ExportNdjson(*fx.store, bad, sink, &r).IsNotFound());
}

TEST_CASE("a bad export line refuses the whole restore") {
  test::LabelFixture fx;
  Populate(fx);
  std::string text = Export(*fx.store);
  text += "{\"type\":\"asset\",\"dataset\":\"nope\",\"asset\":{},\"provenance\":{\"actor_kind\":\"person\"},\"labels\":[],\"comments\":[]}\n";
  std::string path = fx.dir.sub("bad.ndjson");
  std::ofstream(path) << text;
  test::TempDir other("restore-bad");
  auto copy = test::OpenNew(other.path());
  RestoreReport rr;
  Status s = RestoreNdjson(*copy, path, &rr);
  CHECK(s.IsNotFound());
  CHECK(s.message().find("no dataset named 'nope'") != std::string::npos);
  uint64_t seq = 99;
  REQUIRE(copy->Sequence(&seq).ok());
  CHECK(seq == 0);
}

TEST_CASE("an asset line without its dataset is refused by name and not with library text") {
  // The fuzz_ndjson_restore finding (kept in its corpus): line 6 says
  // "atadset" instead of "dataset".
  std::string path = std::string(ANNODB_SOURCE_DIR) + "/tests/fuzz/corpus/ndjson_restore/finding-json-exception.ndjson";
  test::TempDir other("restore-no-dataset");
  auto copy = test::OpenNew(other.path());
  RestoreReport rr;
  Status s = RestoreNdjson(*copy, path, &rr);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == "line 6: \"dataset\" is missing");
  uint64_t seq = 99;
  REQUIRE(copy->Sequence(&seq).ok());
  CHECK(seq == 0);
}
