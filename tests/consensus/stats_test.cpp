// Project statistics and aggregation read from the store (consensus.h),
// checked against published worked examples loaded as labels.
#include <catch2/catch.hpp>

#include "fixture.h"
#include "text_checks.h"

using namespace annodb;
using namespace annodb::test;

namespace {

using Cell = std::optional<int>;
constexpr std::nullopt_t NA = std::nullopt;

// Loads a coders x units table of option indices (NA = not labelled) as
// labels of feature "f", one member per coder row.
void LoadTable(ConsensusFixture& f, const std::vector<std::vector<Cell>>& coders, const std::vector<std::string>& options) {
  Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) {
    for (size_t c = 0; c < coders.size(); ++c)
      for (size_t u = 0; u < coders[c].size(); ++u) {
        if (!coders[c][u]) continue;
        LabelInput l = f.Label(u, f.M(c), {ConsensusFixture::Class("f", options.at(static_cast<size_t>(*coders[c][u])))});
        ANNODB_RETURN_IF_ERROR(PutLabel(t, l, nullptr, nullptr));
      }
    return Status::OK();
  }));
}

std::string Ontology(const std::vector<std::string>& options) {
  std::string o = R"({"features": [{"name": "f", "kind": "classification", "options": [)";
  for (size_t i = 0; i < options.size(); ++i) o += (i ? ",\"" : "\"") + options[i] + "\"";
  return o + R"(]}, {"name": "cars", "kind": "bbox", "classes": ["car", "truck"]}]})";
}

AgreementReport Run(ConsensusFixture& f, AgreementRequest req) {
  req.project_id = f.project;
  if (req.feature.empty()) req.feature = "f";
  std::vector<AgreementReport> out;
  Status s = f.store->Read([&](ReadTxn& t) { return ComputeAgreement(t, req, &out); });
  INFO(s.ToString());
  REQUIRE(s.ok());
  REQUIRE(out.size() == 1);
  return out[0];
}

// Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability,
// https://repository.upenn.edu/asc_papers/43: 4 observers x 12 units with
// missing data, values 1..5 (stored here as options "1".."5", index = value - 1).
std::vector<std::vector<Cell>> Krippendorff2011() {
  return {{0, 1, 2, 2, 1, 0, 3, 0, 1, NA, NA, NA},
          {0, 1, 2, 2, 1, 1, 3, 0, 1, 4, NA, 2},
          {NA, 2, 2, 2, 1, 2, 3, 1, 1, 4, 0, NA},
          {0, 1, 2, 2, 1, 3, 3, 0, 1, 4, 0, NA}};
}

}  // namespace

TEST_CASE("alpha from the store: Krippendorff 2011 at every level", "[consensus][stats]") {
  std::vector<std::string> opts{"1", "2", "3", "4", "5"};
  ConsensusFixture f(Ontology(opts), 12, 4);
  LoadTable(f, Krippendorff2011(), opts);
  AgreementRequest req;
  req.metric = AgreementMetric::kKrippendorffAlpha;
  // Published: nominal .743, ordinal .815, interval .849, ratio .797 (n = 40).
  req.level = stats::Level::kNominal;
  AgreementReport r = Run(f, req);
  REQUIRE(r.value);
  CHECK(*r.value == Approx(0.743421052631579).margin(1e-9));
  CHECK(r.units == 11);  // unit 12 has one value
  CHECK(r.labels == 40);
  req.level = stats::Level::kOrdinal;
  CHECK(*Run(f, req).value == Approx(0.8153875037548813).margin(1e-9));
  req.level = stats::Level::kInterval;
  CHECK(*Run(f, req).value == Approx(0.8491071428571428).margin(1e-9));
  req.level = stats::Level::kRatio;
  CHECK(*Run(f, req).value == Approx(0.797402774711612).margin(1e-9));
  // Percent agreement over the same data (pairable units only).
  req.metric = AgreementMetric::kPercentAgreement;
  r = Run(f, req);
  CHECK(r.units == 11);
}

TEST_CASE("ordinal alpha uses the ontology's option order, interval needs numbers", "[consensus][stats]") {
  // The same data with the options renamed low < mid < ... in that order:
  // ordinal alpha is unchanged, interval alpha is refused.
  std::vector<std::string> opts{"very-low", "low", "mid", "high", "very-high"};
  ConsensusFixture f(Ontology(opts), 12, 4);
  LoadTable(f, Krippendorff2011(), opts);
  AgreementRequest req;
  req.level = stats::Level::kOrdinal;
  CHECK(*Run(f, req).value == Approx(0.8153875037548813).margin(1e-9));
  req.level = stats::Level::kInterval;
  req.project_id = f.project;
  req.feature = "f";
  std::vector<AgreementReport> out;
  Status s = f.store->Read([&](ReadTxn& t) { return ComputeAgreement(t, req, &out); });
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("'very-low'") != std::string::npos);
  CHECK(s.message().find("not a number") != std::string::npos);
}

TEST_CASE("Fleiss from the store: Wikipedia worked example, with left-out assets", "[consensus][stats]") {
  // Wikipedia, "Fleiss' kappa", worked example: 10 subjects x 14 raters, 5
  // categories; kappa = 0.210. Counts per subject and category:
  const std::vector<std::vector<int>> counts = {{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0},
                                                {2, 2, 8, 1, 1},  {7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2},
                                                {6, 5, 2, 1, 0},  {0, 2, 2, 3, 7}};
  std::vector<std::string> opts{"c1", "c2", "c3", "c4", "c5"};
  ConsensusFixture f(Ontology(opts), 12, 14);
  std::vector<std::vector<Cell>> coders(14, std::vector<Cell>(12, NA));
  for (size_t u = 0; u < counts.size(); ++u) {
    size_t rater = 0;
    for (int c = 0; c < 5; ++c)
      for (int k = 0; k < counts[u][static_cast<size_t>(c)]; ++k) coders[rater++][u] = c;
  }
  // Asset 10 gets 3 labels, asset 11 one: both are left out.
  coders[0][10] = 0, coders[1][10] = 1, coders[2][10] = 0, coders[0][11] = 2;
  LoadTable(f, coders, opts);
  AgreementRequest req;
  req.metric = AgreementMetric::kFleissKappa;
  AgreementReport r = Run(f, req);
  REQUIRE(r.value);
  CHECK(*r.value == Approx(0.20993070442195524).margin(1e-9));
  CHECK(r.units == 10);
  CHECK(r.labels == 140);
  CHECK(r.units_left_out == 2);
  CHECK(r.note.find("left out 2 assets") != std::string::npos);
}

TEST_CASE("Cohen from the store: Wikipedia and scikit-learn examples", "[consensus][stats]") {
  SECTION("Wikipedia 'Cohen's kappa', 50 proposals: kappa 0.4") {
    // A yes & B yes 20, A yes & B no 5, A no & B yes 10, A no & B no 15.
    ConsensusFixture f(Ontology({"yes", "no"}), 52, 3);
    std::vector<std::vector<Cell>> c(3, std::vector<Cell>(52, NA));
    for (size_t u = 0; u < 50; ++u) {
      c[0][u] = u < 25 ? 0 : 1;
      c[1][u] = (u < 20 || (u >= 25 && u < 35)) ? 0 : 1;
    }
    c[0][50] = 0;  // only A: left out
    c[1][51] = 1;  // only B: left out
    c[2][0] = 0;   // a third member is ignored
    LoadTable(f, c, {"yes", "no"});
    AgreementRequest req;
    req.metric = AgreementMetric::kCohenKappa;
    req.member_a = f.M(0);
    req.member_b = f.M(1);
    AgreementReport r = Run(f, req);
    CHECK(*r.value == Approx(0.4).margin(1e-12));
    CHECK(r.units == 50);
    CHECK(r.units_left_out == 2);
  }
  SECTION("scikit-learn test_cohen_kappa weighting example: 0.9315 / 0.9412 / 0.9541") {
    ConsensusFixture f(Ontology({"a", "b", "c"}), 100, 2);
    std::vector<std::vector<Cell>> c(2, std::vector<Cell>(100));
    for (size_t u = 0; u < 100; ++u) {
      c[0][u] = u < 46 ? 0 : u < 90 ? 1 : 2;
      c[1][u] = u < 50 ? 0 : u < 90 ? 1 : 2;
    }
    LoadTable(f, c, {"a", "b", "c"});
    AgreementRequest req;
    req.metric = AgreementMetric::kCohenKappa;
    req.member_a = f.M(0);
    req.member_b = f.M(1);
    CHECK(*Run(f, req).value == Approx(0.9315).margin(0.00005));
    req.weights = stats::KappaWeights::kLinear;
    CHECK(*Run(f, req).value == Approx(0.9412).margin(0.00005));
    req.weights = stats::KappaWeights::kQuadratic;
    CHECK(*Run(f, req).value == Approx(0.9541).margin(0.00005));
  }
}

TEST_CASE("agreement requests that cannot be answered", "[consensus][stats]") {
  ConsensusFixture f(Ontology({"x", "y"}), 3, 3);
  auto status = [&](AgreementRequest req) {
    std::vector<AgreementReport> out;
    return f.store->Read([&](ReadTxn& t) { return ComputeAgreement(t, req, &out); });
  };
  AgreementRequest req;
  req.project_id = 999;
  CHECK(status(req).IsNotFound());
  req.project_id = f.project;
  req.feature = "nope";
  CHECK(status(req).IsNotFound());
  req.feature = "cars";
  CHECK(status(req).IsInvalidArgument());  // not a classification feature
  req.feature = "f";
  req.metric = AgreementMetric::kCohenKappa;
  CHECK(status(req).IsInvalidArgument());  // no members
  req.member_a = req.member_b = f.M(0);
  CHECK(status(req).IsInvalidArgument());  // the same member twice
  req.member_b = 999;
  CHECK(status(req).IsNotFound());
  // Undefined statistics are reported, not errors: everyone agrees on one value.
  LoadTable(f, {{0, 0, 0}, {0, 0, 0}}, {"x", "y"});
  req = AgreementRequest();
  req.project_id = f.project;
  std::vector<AgreementReport> out;
  Ok(f.store->Read([&](ReadTxn& t) { return ComputeAgreement(t, req, &out); }));
  REQUIRE(out.size() == 1);  // every classification feature: just "f"
  CHECK(!out[0].value);
  CHECK(out[0].note.find("undefined") != std::string::npos);
  CHECK(out[0].units == 3);
}

TEST_CASE("aggregation from the store", "[consensus][aggregate]") {
  ConsensusFixture f(Ontology({"x", "y", "z"}), 3, 3);
  // Asset 0: x x y -> x (2/3). Asset 1: y z -> tie -> y (listed first). Asset 2: z.
  LoadTable(f, {{0, 1, 2}, {0, 2, NA}, {1, NA, NA}}, {"x", "y", "z"});
  AggregateRequest req;
  req.project_id = f.project;
  AggregateReport r;
  Ok(f.store->Read([&](ReadTxn& t) { return Aggregate(t, req, &r); }));
  REQUIRE(r.items.size() == 3);
  CHECK(r.items[0].value == "x");
  CHECK(r.items[0].confidence == Approx(2.0 / 3));
  CHECK(r.items[0].answers == 3);
  CHECK(r.items[1].value == "y");
  CHECK(r.items[2].value == "z");
  REQUIRE(r.members.size() == 3);
  // m0 matches the majority on all 3 assets; m1 on asset 0 only (asset 1's
  // majority is y); m2 on none.
  CHECK(*r.members[0].skill == Approx(1.0));
  CHECK(*r.members[1].skill == Approx(0.5));
  CHECK(*r.members[2].skill == Approx(0.0));

  // Dawid-Skene returns posteriors and a confusion matrix per member.
  req.method = AggregateMethod::kDawidSkene;
  Ok(f.store->Read([&](ReadTxn& t) { return Aggregate(t, req, &r); }));
  REQUIRE(r.items.size() == 3);
  CHECK(r.items[0].value == "x");
  CHECK(r.items[0].confidence > 0.5);
  REQUIRE(r.members[0].confusion.size() == 3);
  CHECK(r.parameters.find("dawid_skene max_iterations=100") == 0);

  // Stored as aggregate labels, with provenance naming the method.
  uint64_t written = 0;
  Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) { return StoreAggregate(t, req, r, &written); }));
  CHECK(written == 3);
  Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) { return StoreAggregate(t, req, r, &written); }));
  CHECK(written == 0);  // unchanged
  Ok(f.store->Read([&](ReadTxn& t) {
    LabelFilter lf;
    lf.project_id = f.project;
    lf.asset_id = f.assets[0];
    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(ListLabels(t, lf, 0, 0, &ids));
    bool found = false;
    for (uint64_t id : ids) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Label, id, &v));
      if (v.As<fb::Label>()->source() != LabelSource::Aggregate) continue;
      found = true;
      CHECK(FbStr(v.As<fb::Label>()->model_name()) == "annodb.dawid_skene");
      ProvenanceInfo p = v.DecodeProvenance();
      CHECK(p.note.find("aggregate: dawid_skene") == 0);
    }
    CHECK(found);
    return Status::OK();
  }));
  // Aggregate labels do not enter the views.
  CHECK(f.View(0).label_count == 3);
  CHECK(f.Check().ok());

  // Unhappy paths.
  req.feature = "cars";
  CHECK(f.store->Read([&](ReadTxn& t) { return Aggregate(t, req, &r); }).IsInvalidArgument());
  req.feature = "nope";
  CHECK(f.store->Read([&](ReadTxn& t) { return Aggregate(t, req, &r); }).IsNotFound());
  req.project_id = 999;
  CHECK(f.store->Read([&](ReadTxn& t) { return Aggregate(t, req, &r); }).IsNotFound());
}

TEST_CASE("box clusters from the store", "[consensus][aggregate]") {
  ConsensusFixture f(Ontology({"x"}), 1, 3);
  f.Put(f.Label(0, f.M(0), {f.Box("cars", "car", 10, 10, 20, 20), f.Box("cars", "truck", 60, 60, 20, 20)}));
  f.Put(f.Label(0, f.M(1), {f.Box("cars", "car", 12, 10, 20, 20)}));
  f.Put(f.Label(0, f.M(2), {f.Box("cars", "car", 10, 12, 20, 20)}));
  AggregateRequest req;
  req.project_id = f.project;
  req.method = AggregateMethod::kBoxClusters;
  AggregateReport r;
  Ok(f.store->Read([&](ReadTxn& t) { return Aggregate(t, req, &r); }));
  REQUIRE(r.items.size() == 1);  // the truck has no quorum
  CHECK(r.items[0].value == "car");
  CHECK(r.items[0].answers == 3);
  CHECK(r.items[0].x == Approx(32.0 / 3));
  CHECK(r.items[0].y == Approx(32.0 / 3));
  uint64_t written = 0;
  Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) { return StoreAggregate(t, req, r, &written); }));
  CHECK(written == 1);
}
