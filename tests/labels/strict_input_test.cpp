// Inputs that used to be accepted while changing or dropping data (issue 11,
// items 7 and 8): duplicate JSON keys (the last one won), an unknown
// top-level ontology key, data of another kind on an annotation, a span on
// an asset without text, restores and label imports of empty or wrong files,
// and a re-import that changes nothing but still took a job id.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "annodb/json_input.h"
#include "annodb/label_json.h"
#include "annodb/ndjson.h"
#include "fixture.h"
#include "text_checks.h"

using namespace annodb;

namespace {

bool Has(const Status& s, const std::string& text) { return s.message().find(text) != std::string::npos; }

// Parses one label line against the fixture's store.
Status ParseLine(test::LabelFixture& fx, const std::string& line, LabelInput* out) {
  return fx.store->Read([&](ReadTxn& t) { return ParseLabelJson(t, line, out); });
}

// Parses and validates one label line, as the importer does.
Status Check(test::LabelFixture& fx, const std::string& line) {
  return fx.store->Read([&](ReadTxn& t) {
    LabelInput l;
    ANNODB_RETURN_IF_ERROR(ParseLabelJson(t, line, &l));
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(GetProject(t, l.project_id, kCurrent, &p));
    RecordView av;
    ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Asset, l.asset_id, &av));
    AssetInput asset;
    asset.width = av.As<fb::Asset>()->width();
    asset.height = av.As<fb::Asset>()->height();
    asset.text = FbStr(av.As<fb::Asset>()->text());
    return ValidateLabel(p, asset, &l);
  });
}

std::string LabelOn(const std::string& asset, const std::string& annotations) {
  return R"({"project": "street", "dataset": "cams", "asset": ")" + asset +
         R"(", "author": "alice", "annotations": )" + annotations + "}";
}

Status Restore(test::LabelFixture& fx, const std::string& content, RestoreReport* r) {
  std::string path = fx.dir.sub("restore.ndjson");
  std::ofstream(path, std::ios::trunc) << content;
  return RestoreNdjson(*fx.store, path, r);
}

const char* kHeader = R"({"type":"header","format":"annodb-ndjson","version":1})";
const char* kProv = R"("provenance":{"actor_kind":"person","actor":"admin","time_us":1})";

}  // namespace

TEST_CASE("strict input: CheckJsonInput refuses duplicate keys at any depth") {
  CHECK(CheckJsonInput(R"({"a": 1, "b": {"c": [1, {"d": 2}]}})").ok());
  CHECK(CheckJsonInput(R"([{"a": 1}, {"a": 2}])").ok());  // equal keys in different objects
  Status s = CheckJsonInput(R"({"author": "carol", "author": "bob"})");
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == "key 'author' is given twice");
  s = CheckJsonInput(R"({"annotations": [{"feature": "a"}, {"feature": "b", "value": "x", "value": "y"}]})");
  CHECK(s.message() == "annotations[1]: key 'value' is given twice");
  s = CheckJsonInput(R"({"m": {"n": {"k": 1, "k": 1}}})");
  CHECK(s.message() == "m.n: key 'k' is given twice");
  CHECK(Has(CheckJsonInput("{\"a\": \"\xff\"}"), "not valid UTF-8"));
  CHECK(Has(CheckJsonInput("{\"a\": "), "not valid JSON"));
  CHECK(Has(CheckJsonInput(""), "not valid JSON"));
  CHECK(Has(CheckJsonInput(std::string(5000, '[') + std::string(5000, ']')), "nested too deeply"));
}

TEST_CASE("strict input: a label with a key given twice is refused, not read as the last one") {
  test::LabelFixture fx;
  LabelInput l;
  // The case from the issue: this was a label by bob.
  Status s = ParseLine(fx, R"({"project": "street", "dataset": "cams", "asset": "img-0001", "author": "carol", "author": "bob", "annotations": []})", &l);
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "key 'author' is given twice"));
  s = ParseLine(fx, LabelOn("img-0001", R"([{"feature": "weather", "value": "rain", "value": "snow"}])"), &l);
  CHECK(Has(s, "annotations[0]: key 'value' is given twice"));
  std::vector<AnnotationInput> anns;
  s = ParseAnnotationsJson(R"({"annotations": [], "time_spent_ms": 5, "time_spent_ms": 6})", &anns);
  CHECK(Has(s, "key 'time_spent_ms' is given twice"));
  // Without duplicates the same lines parse.
  CHECK(ParseLine(fx, R"({"project": "street", "dataset": "cams", "asset": "img-0001", "author": "bob", "annotations": []})", &l).ok());
}

TEST_CASE("strict input: the ontology refuses duplicate and unknown keys") {
  std::vector<FeatureDef> f;
  CHECK(ParseOntologyJson(R"({"features": [{"name": "a", "kind": "text"}]})", &f).ok());
  Status s = ParseOntologyJson(R"({"features": [{"name": "a", "kind": "text"}], "colour": "red"})", &f);
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "unknown key 'colour'"));
  s = ParseOntologyJson(R"({"features": [{"name": "a", "kind": "text", "kind": "bbox"}]})", &f);
  CHECK(Has(s, "features[0]: key 'kind' is given twice"));
  s = ParseOntologyJson(R"({"features": [], "features": [{"name": "a", "kind": "text"}]})", &f);
  CHECK(Has(s, "key 'features' is given twice"));
}

TEST_CASE("strict input: data of another kind on an annotation is refused, not dropped") {
  test::LabelFixture fx;
  // A classification with a box or a point: the box was silently dropped.
  Status s = Check(fx, LabelOn("img-0001", R"([{"feature": "weather", "value": "rain", "bbox": [1, 2, 3, 4]}])"));
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "cannot both be given"));  // "value" and "bbox", in the parser's key order
  CHECK(Has(s, "\"bbox\""));
  s = Check(fx, LabelOn("img-0001", R"([{"feature": "weather", "bbox": [1, 2, 3, 4]}])"));
  CHECK(Has(s, "a box cannot go on a classification annotation"));
  s = Check(fx, LabelOn("img-0001", R"([{"feature": "weather", "point": [1, 2]}])"));
  CHECK(Has(s, "points cannot go on a classification annotation"));
  s = Check(fx, LabelOn("img-0001", R"([{"feature": "weather", "value": "rain", "class": "car"}])"));
  CHECK(Has(s, "\"class\" cannot go on a classification annotation"));
  s = Check(fx, LabelOn("img-0001", R"([{"feature": "vehicle", "class": "car", "span": [0, 4]}])"));
  CHECK(Has(s, "a span cannot go on a bbox annotation"));
  s = Check(fx, LabelOn("img-0001", R"([{"feature": "caption", "text": "x", "values": ["wet"]}])"));
  CHECK(Has(s, "cannot both be given"));
  // The same annotations with only their own data are fine.
  CHECK(Check(fx, LabelOn("img-0001", R"([{"feature": "weather", "value": "rain"}, {"feature": "vehicle", "class": "car", "bbox": [1, 2, 3, 4]}])")).ok());

  // Engine callers (C ABI, queue submit) build annotations directly.
  ProjectInfo p;
  REQUIRE(fx.store->Read([&](ReadTxn& t) { return GetProject(t, fx.project, kCurrent, &p); }).ok());
  LabelInput l = fx.Label(fx.img, fx.alice);
  AnnotationInput a;
  a.feature = "weather";
  a.value = "rain";
  a.x = 5;
  l.annotations.push_back(a);
  AssetInput asset;
  asset.width = 640;
  asset.height = 480;
  CHECK(Has(ValidateLabel(p, asset, &l), "a box cannot go on a classification annotation"));
}

TEST_CASE("strict input: a span needs an asset with text") {
  test::LabelFixture fx;
  // img-0001 has no text: the span [0, 4000000000] pointed at nothing.
  Status s = Check(fx, LabelOn("img-0001", R"([{"feature": "entity", "class": "PER", "span": [0, 4000000000]}])"));
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "on an asset without text"));
  CHECK(Has(Check(fx, LabelOn("doc-1", R"([{"feature": "entity", "class": "PER", "span": [0, 4000000000]}])")),
            "lies outside the asset's text"));
  CHECK(Check(fx, LabelOn("doc-1", R"([{"feature": "entity", "class": "PER", "span": [0, 4]}])")).ok());
}

TEST_CASE("strict input: restore names the problem and refuses what is not an export") {
  test::LabelFixture fx;
  uint64_t seq = fx.Sequence();
  RestoreReport r;
  // An unknown record type says so (it used to say "provenance" is missing).
  Status s = Restore(fx, std::string(kHeader) + "\n{\"type\":\"spaceship\"}\n", &r);
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "line 2: unknown record type 'spaceship'"));
  CHECK(!Has(s, "provenance"));
  // Wrong field types name the field, with no JSON library text.
  s = Restore(fx, std::string(kHeader) + "\n{\"type\":\"member\",\"name\":\"zed\",\"role\":5," + kProv + "}\n", &r);
  CHECK(Has(s, "line 2: role: expected a string"));
  CHECK(!Has(s, "json.exception"));
  s = Restore(fx, std::string(kHeader) + "\n{\"type\":\"dataset\"," + kProv + "}\n", &r);
  CHECK(Has(s, "line 2: \"name\" is missing"));
  s = Restore(fx, std::string(kHeader) + "\n{\"type\":\"dataset\",\"name\":\"d\",\"provenance\":{\"actor_kind\":\"person\",\"job_id\":-1}}\n", &r);
  CHECK(Has(s, "provenance: job_id: expected a whole number"));
  s = Restore(fx, std::string(kHeader) + "\n{\"type\":\"project\",\"name\":\"p\",\"datasets\":[\"cams\"],\"ontology\":{\"features\":[{\"name\":\"c\",\"kind\":\"text\"}]},\"settings\":{\"overlap\":-1}," + kProv + "}\n", &r);
  CHECK(Has(s, "settings: overlap: expected a whole number"));
  // Duplicate keys.
  s = Restore(fx, std::string(kHeader) + "\n{\"type\":\"dataset\",\"name\":\"a\",\"name\":\"b\"," + kProv + "}\n", &r);
  CHECK(Has(s, "line 2: key 'name' is given twice"));
  // Empty input, no header, a directory.
  s = Restore(fx, "", &r);
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "is not an annodb export (no header line)"));
  s = Restore(fx, "\n\n", &r);
  CHECK(Has(s, "no header line"));
  s = RestoreNdjson(*fx.store, fx.dir.path(), &r);
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "is a directory"));
  CHECK(fx.Sequence() == seq);
  // A header alone is a valid (empty) export.
  REQUIRE(Restore(fx, std::string(kHeader) + "\n", &r).ok());
  CHECK(r.lines == 1);
}

TEST_CASE("strict input: label import of a directory, an empty file or unchanged labels writes nothing") {
  test::LabelFixture fx;
  uint64_t seq = fx.Sequence();
  LabelImportReport r;
  Status s = ImportLabelsJsonl(*fx.store, fx.dir.path(), Actor::Person("alice"), 100, &r);
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "is a directory"));
  s = ImportLabelsJsonl(*fx.store, "/dev/null", Actor::Person("alice"), 100, &r);
  CHECK(s.IsInvalidArgument());
  CHECK(Has(s, "'/dev/null' holds no labels; nothing was written"));
  std::string blank = fx.dir.sub("blank.jsonl");
  std::ofstream(blank) << "\n  \n";
  CHECK(Has(ImportLabelsJsonl(*fx.store, blank, Actor::Person("alice"), 100, &r), "holds no labels"));
  CHECK(ImportLabelsJsonl(*fx.store, fx.dir.sub("missing.jsonl"), Actor::Person("alice"), 100, &r).IsNotFound());
  CHECK(fx.Sequence() == seq);

  std::string path = fx.dir.sub("labels.jsonl");
  {
    std::ofstream f(path);
    for (const char* asset : {"img-0001", "doc-1"})
      for (const char* author : {"alice", "bob"})
        f << R"({"project": "street", "dataset": "cams", "asset": ")" << asset << R"(", "author": ")" << author
          << R"(", "annotations": [{"feature": "weather", "value": "rain"}]})" << "\n";
  }
  REQUIRE(ImportLabelsJsonl(*fx.store, path, Actor::Person("alice"), 1, &r).ok());
  CHECK(r.job_id != 0);
  CHECK(r.created == 4);
  uint64_t after_first = fx.Sequence();
  CHECK(after_first > seq);
  // Unchanged: no job id, no commit, in every batch size.
  for (size_t batch : {1, 2, 100}) {
    REQUIRE(ImportLabelsJsonl(*fx.store, path, Actor::Person("alice"), batch, &r).ok());
    CHECK(r.job_id == 0);
    CHECK(r.lines == 4);
    CHECK(r.unchanged == 4);
    CHECK(r.created + r.updated == 0);
    CHECK(fx.Sequence() == after_first);
  }
}
