// Labels: every annotation kind round-trips; every validation error refuses
// the label and writes nothing; versions, deletes and listing.
#include <catch2/catch.hpp>

#include "annodb/label_json.h"
#include "annodb/verify.h"
#include "annodb/keys.h"
#include "fixture.h"

using namespace annodb;

namespace {
AnnotationInput Ann(const std::string& feature) {
  AnnotationInput a;
  a.feature = feature;
  return a;
}

LabelInput FullImageLabel(const test::LabelFixture& fx) {
  LabelInput l = fx.Label(fx.img, fx.alice);
  AnnotationInput w = Ann("weather");
  w.value = "rain";
  AnnotationInput t = Ann("tags");
  t.values = {"wet", "night"};
  AnnotationInput b = Ann("vehicle");
  b.class_name = "car";
  b.x = 10, b.y = 20, b.w = 100, b.h = 50;
  b.score = 0.91f;
  AnnotationInput p = Ann("road");
  p.points = {{0, 0}, {10, 0}, {10, 10}};
  AnnotationInput pl = Ann("lane");
  pl.points = {{0, 0}, {5, 5}, {9, 1}};
  AnnotationInput pt = Ann("head");
  pt.points = {{3, 4}};
  AnnotationInput m = Ann("sky");
  m.mask_height = 480;
  m.mask_width = 640;
  m.mask_counts = EncodeRle({1000, 500, 480 * 640 - 1500});
  AnnotationInput c = Ann("caption");
  c.text = "a red car";
  l.annotations = {w, t, b, p, pl, pt, m, c};
  l.time_spent_ms = 5300;
  return l;
}
}  // namespace

TEST_CASE("a label with every annotation kind round-trips through the store and JSON") {
  test::LabelFixture fx;
  LabelInput in = FullImageLabel(fx);
  LabelInput span = fx.Label(fx.doc, fx.alice);
  AnnotationInput e = Ann("entity");
  e.class_name = "LOC";
  e.span_start = 14;
  e.span_end = 20;  // "Zürich": code points, not bytes
  span.annotations = {e};
  uint64_t id = 0, span_id = 0;
  PutOutcome o;
  REQUIRE(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(PutLabel(t, in, &id, &o));
    return PutLabel(t, span, &span_id, nullptr);
  }).ok());
  CHECK(o == PutOutcome::kCreated);
  REQUIRE(fx.store->Read([&](ReadTxn& t) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetLabel(t, id, kCurrent, &v));
    LabelInput back = DecodeLabel(v.As<fb::Label>());
    REQUIRE(back.annotations.size() == in.annotations.size());
    const FeatureKind kinds[] = {FeatureKind::Classification, FeatureKind::MultiClassification, FeatureKind::BBox,
                                 FeatureKind::Polygon, FeatureKind::Polyline, FeatureKind::Point,
                                 FeatureKind::Mask, FeatureKind::Text};
    for (size_t i = 0; i < in.annotations.size(); ++i) {
      AnnotationInput expect = in.annotations[i];
      CHECK(back.annotations[i].kind == kinds[i]);
      expect.kind = back.annotations[i].kind;
      CHECK(back.annotations[i] == expect);
    }
    CHECK(back.time_spent_ms == 5300);
    // JSON: render, parse back (names resolved), compare.
    std::string json;
    ANNODB_RETURN_IF_ERROR(LabelToJson(t, v, &json));
    CHECK(json.find("\"author\":\"alice\"") != std::string::npos);
    LabelInput parsed;
    ANNODB_RETURN_IF_ERROR(ParseLabelJson(t, json, &parsed));
    CHECK(parsed.asset_id == fx.img);
    CHECK(parsed.author_member_id == fx.alice);
    REQUIRE(parsed.annotations.size() == back.annotations.size());
    for (size_t i = 0; i < parsed.annotations.size(); ++i) {
      parsed.annotations[i].kind = back.annotations[i].kind;  // the ontology decides kinds
      CHECK(parsed.annotations[i] == back.annotations[i]);
    }
    RecordView sv;
    ANNODB_RETURN_IF_ERROR(GetLabel(t, span_id, kCurrent, &sv));
    CHECK(DecodeLabel(sv.As<fb::Label>()).annotations.at(0).span_end == 20);
    return Status::OK();
  }).ok());
  // Writing the same label again is an unchanged upsert.
  REQUIRE(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) { return PutLabel(t, in, nullptr, &o); }).ok());
  CHECK(o == PutOutcome::kUnchanged);
}

TEST_CASE("every invalid annotation is refused with its name and nothing is written") {
  test::LabelFixture fx;
  uint64_t before = fx.Sequence();
  auto refuse = [&](LabelInput l, const std::string& expect) {
    Status s = fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) { return PutLabel(t, l, nullptr, nullptr); });
    INFO(s.ToString());
    CHECK_FALSE(s.ok());
    CHECK(s.message().find(expect) != std::string::npos);
  };
  auto with = [&](AnnotationInput a, uint64_t asset = 0) {
    LabelInput l = fx.Label(asset ? asset : fx.img, fx.alice);
    AnnotationInput ok = Ann("caption");
    ok.text = "fine";
    l.annotations = {ok, a};
    return l;
  };
  refuse(with(Ann("colour")), "annotations[1] (colour): project 'street' has no feature 'colour'");
  AnnotationInput a = Ann("weather");
  a.value = "hail";
  refuse(with(a), "value 'hail' is not one of sunny, rain, snow");
  a = Ann("tags");
  a.values = {"wet", "cold"};
  refuse(with(a), "value 'cold' is not one of");
  a = Ann("vehicle");
  a.class_name = "car";
  a.x = 10, a.y = 10, a.w = -5, a.h = 10;
  refuse(with(a), "annotations[1] (vehicle): box width and height must be positive");
  a.w = 700;
  refuse(with(a), "outside the asset (640x480)");
  a.w = 10;
  a.class_name = "bus";
  refuse(with(a), "class 'bus' is not one of car, truck");
  a = Ann("road");
  a.points = {{0, 0}, {10, 0}};
  refuse(with(a), "at least 3 points");
  a.points = {{0, 0}, {10, 10}, {10, 0}, {0, 10}};  // a bow tie
  refuse(with(a), "intersects itself");
  a.points = {{0, 0}, {10, 0}, {700, 10}};
  refuse(with(a), "outside the asset");
  a = Ann("lane");
  a.points = {{1, 1}};
  refuse(with(a), "at least 2 points");
  a = Ann("head");
  a.points = {{1, 1}, {2, 2}};
  refuse(with(a), "exactly one point");
  a = Ann("sky");
  a.mask_height = 480;
  a.mask_width = 640;
  a.mask_counts = "not rle!";
  refuse(with(a), "malformed RLE");
  a.mask_counts = EncodeRle({10, 20});
  refuse(with(a), "RLE runs cover 30 pixels");
  a.mask_height = 10;
  refuse(with(a), "differs from the asset");
  a = Ann("entity");
  a.class_name = "PER";
  a.span_start = 5;
  a.span_end = 50;
  refuse(with(a, fx.doc), "outside the asset's text of 21 characters");
  a.span_end = 5;
  refuse(with(a, fx.doc), "must end after it starts");
  a = Ann("caption");
  a.text = "twice";
  refuse(with(a), "at most one text annotation");
  a = Ann("head");
  a.points = {{1, 1}};
  a.score = std::numeric_limits<float>::quiet_NaN();
  refuse(with(a), "score is not a finite number");
  LabelInput no_author = fx.Label(fx.img, 0);
  refuse(no_author, "needs a member author");
  LabelInput model = fx.Label(fx.img, 0);
  model.source = LabelSource::Model;
  refuse(model, "needs a model name");
  refuse(fx.Label(999, fx.alice), "asset 999 does not exist");
  refuse(fx.Label(fx.img, 999), "member 999 does not exist");
  CHECK(fx.Sequence() == before);
}

TEST_CASE("label versions, deletion and listing by asset, author and status") {
  test::LabelFixture fx;
  LabelInput a = fx.Label(fx.img, fx.alice);
  AnnotationInput w = Ann("weather");
  w.value = "rain";
  a.annotations = {w};
  LabelInput b = fx.Label(fx.img, fx.bob);
  b.annotations = {w};
  b.status = LabelStatus::Draft;
  LabelInput pred = fx.Label(fx.img, 0);
  pred.source = LabelSource::Model;
  pred.model_name = "yolo";
  pred.model_version = "8";
  pred.annotations = {w};
  pred.annotations[0].score = 0.4f;
  uint64_t la = 0, lb = 0, lp = 0;
  REQUIRE(fx.store->Write(Actor::Person("x"), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(PutLabel(t, a, &la, nullptr));
    ANNODB_RETURN_IF_ERROR(PutLabel(t, b, &lb, nullptr));
    return PutLabel(t, pred, &lp, nullptr);
  }).ok());
  uint64_t seq1 = fx.Sequence();
  // Update: bob submits with a different value.
  b.status = LabelStatus::Submitted;
  b.annotations[0].value = "snow";
  PutOutcome o;
  REQUIRE(fx.store->Write(Actor::Person("bob"), [&](WriteTxn& t) { return UpdateLabel(t, lb, b, &o); }).ok());
  CHECK(o == PutOutcome::kUpdated);
  auto list = [&](LabelFilter f) {
    std::vector<uint64_t> ids;
    REQUIRE(fx.store->Read([&](ReadTxn& t) { return ListLabels(t, f, 0, 0, &ids); }).ok());
    return ids;
  };
  CHECK(list({fx.project, fx.img, 0, {}}) == std::vector<uint64_t>{la, lb, lp});
  CHECK(list({fx.project, 0, fx.bob, {}}) == std::vector<uint64_t>{lb});
  CHECK(list({fx.project, 0, 0, LabelStatus::Submitted}) == std::vector<uint64_t>{la, lb, lp});
  CHECK(list({fx.project, 0, 0, LabelStatus::Draft}).empty());
  std::vector<uint64_t> page;
  REQUIRE(fx.store->Read([&](ReadTxn& t) { return ListLabels(t, {fx.project, 0, 0, {}}, la, 1, &page); }).ok());
  CHECK(page == std::vector<uint64_t>{lb});
  REQUIRE(fx.store->Read([&](ReadTxn& t) {
    std::vector<RecordView> hist;
    ANNODB_RETURN_IF_ERROR(t.History(RecordKind::Label, lb, &hist));
    CHECK(hist.size() == 2);
    CHECK(hist[1].DecodeProvenance().actor_name == "bob");
    RecordView old;
    ANNODB_RETURN_IF_ERROR(GetLabel(t, lb, seq1, &old));
    CHECK(DecodeLabel(old.As<fb::Label>()).annotations[0].value == "rain");
    return Status::OK();
  }).ok());
  REQUIRE(fx.store->Write(Actor::Person("bob"), [&](WriteTxn& t) { return DeleteLabel(t, lb); }).ok());
  CHECK(list({fx.project, fx.img, 0, {}}) == std::vector<uint64_t>{la, lp});
  CHECK(list({fx.project, 0, fx.bob, {}}).empty());
  // After deletion bob may label the asset again: a new label.
  uint64_t lb2 = 0;
  REQUIRE(fx.store->Write(Actor::Person("bob"), [&](WriteTxn& t) { return PutLabel(t, b, &lb2, nullptr); }).ok());
  CHECK(lb2 != lb);
  VerifyReport r;
  REQUIRE(VerifyStore(*fx.store, &r).ok());
  INFO((r.problems.empty() ? "" : r.problems[0]));
  CHECK(r.ok());
  CHECK(r.index_entries_checked > 10);
  // A lost label index entry is found.
  REQUIRE(fx.store->Write(Actor::System(), [&](WriteTxn& t) {
    return t.IndexDelete(Index::kLabelByStatus, KeyBuilder().U64(fx.project).U8(1).U64(la).str());
  }).ok());
  REQUIRE(VerifyStore(*fx.store, &r).ok());
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].find("idx.label_by_status") != std::string::npos);
}

TEST_CASE("COCO RLE strings decode and encode") {
  // Hand-worked: runs [0, 5] are written "0" then "5"; from the fourth run
  // on, the difference from the run two before is written ([1,1,1,1] ->
  // "1", "1", "1", then 1-1 = 0 -> "0").
  CHECK(EncodeRle({0, 5}) == "05");
  CHECK(EncodeRle({1, 1, 1, 1}) == "1110");
  std::vector<uint32_t> runs;
  REQUIRE(DecodeRle("1110", 2, 2, &runs).ok());
  CHECK(runs == std::vector<uint32_t>{1, 1, 1, 1});
  // Large and decreasing runs use several 5-bit groups and negative deltas.
  std::vector<uint32_t> big = {100000, 3, 70000, 1, 29999 + 5};
  uint64_t total = 0;
  for (uint32_t r : big) total += r;
  REQUIRE(DecodeRle(EncodeRle(big), 1, static_cast<uint32_t>(total), &runs).ok());
  CHECK(runs == big);
  CHECK(DecodeRle("1", 2, 2, &runs).IsInvalidArgument());       // covers 1 of 4 pixels
  CHECK(DecodeRle("\x7f", 1, 1, &runs).IsInvalidArgument());    // outside the alphabet
  CHECK(DecodeRle("o", 1, 1, &runs).IsInvalidArgument());       // 'o' = 63: continues past the end
}
