// Consensus through the C ABI: per-asset and per-member views, agreement
// statistics, aggregation (with saving), rebuild and check, on labels put
// through the C ABI, and every argument check.
//
// Expected values are published ones or hand-computed with exact fractions
// from the definitions in docs/consensus.md (the derivations are in the
// comments).
#include <cmath>
#include <limits>
#include <vector>

#include "capi_test_util.h"

using namespace capi_test;

namespace {

constexpr int NA = 0;

// Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability,
// https://repository.upenn.edu/asc_papers/43, section C: 4 observers x 12
// units with missing data (0 = missing), values 1..5. Published: nominal
// .743, ordinal .815, interval .849, ratio .797.
const int kK2011[4][12] = {{1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA},
                           {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3},
                           {NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA},
                           {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA}};
const char* kObservers[4] = {"obs-a", "obs-b", "obs-c", "obs-d"};

// Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5
// categories; published kappa 0.210 (P-bar 0.378, P-bar-e 0.213). Exact:
// 4211/20059 = 0.20993070442195524.
const int kFleissWiki[10][5] = {{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
                                {7, 7, 0, 0, 0},  {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7}};

// Dataset "d" with assets u1..u12 (100x100); project "k" (feature "score",
// options "1".."5", and a bbox feature "vehicle"), project "fw" (feature
// "cat", options c1..c5); members obs-a..obs-d and r0..r13.
struct ConsensusStore : TestStore {
  std::vector<uint64_t> assets;  // u1..u12
  ConsensusStore() : TestStore("capi-consensus") {
    Dataset("d");
    for (int i = 1; i <= 12; ++i) assets.push_back(Put(Line("u" + std::to_string(i), R"("width":100,"height":100)")));
    const char* ds[] = {"d"};
    REQUIRE(annodb_project_create(get(), "k", ds, 1,
                                  R"({"features":[{"name":"score","kind":"classification","options":["1","2","3","4","5"]},)"
                                  R"({"name":"vehicle","kind":"bbox","classes":["car","truck"]}]})",
                                  nullptr, nullptr, nullptr) == ANNODB_OK);
    REQUIRE(annodb_project_create(get(), "fw", ds, 1,
                                  R"({"features":[{"name":"cat","kind":"classification","options":["c1","c2","c3","c4","c5"]}]})",
                                  nullptr, nullptr, nullptr) == ANNODB_OK);
    for (const char* m : kObservers) REQUIRE(annodb_member_add(get(), m, "labeler", nullptr, nullptr, nullptr) == ANNODB_OK);
    for (int r = 0; r < 14; ++r)
      REQUIRE(annodb_member_add(get(), ("r" + std::to_string(r)).c_str(), "labeler", nullptr, nullptr, nullptr) ==
              ANNODB_OK);
  }
  uint64_t Label(const std::string& project, int unit, const std::string& author, const std::string& annotations,
                 const std::string& source = "human") {
    std::string line = R"({"project":")" + project + R"(","dataset":"d","asset":"u)" + std::to_string(unit) +
                       R"(","author":")" + author + R"(","source":")" + source + R"(","annotations":)" + annotations +
                       "}";
    uint64_t id = 0;
    int rc = annodb_label_put_json(get(), line.c_str(), nullptr, &id, nullptr);
    INFO(line << ": " << error());
    REQUIRE(rc == ANNODB_OK);
    return id;
  }
  static std::string Score(int v) { return R"([{"feature":"score","value":")" + std::to_string(v) + R"("}])"; }
  // Label ids of project k: ids[observer][unit - 1] (0 = none).
  uint64_t ids[4][12] = {};
  void LoadK2011() {
    for (int o = 0; o < 4; ++o)
      for (int u = 0; u < 12; ++u)
        if (kK2011[o][u] != NA) ids[o][u] = Label("k", u + 1, kObservers[o], Score(kK2011[o][u]));
  }
  void LoadFleissWiki() {
    for (int u = 0; u < 10; ++u) {
      int rater = 0;
      for (int c = 0; c < 5; ++c)
        for (int n = 0; n < kFleissWiki[u][c]; ++n, ++rater)
          Label("fw", u + 1, "r" + std::to_string(rater), R"([{"feature":"cat","value":"c)" + std::to_string(c + 1) + R"("}])");
      REQUIRE(rater == 14);
    }
  }
  json Agreement(const annodb_agreement_options* o, const char* project = "k") {
    Out out;
    int rc = annodb_agreement_json(get(), project, o, out.ptr(), out.len());
    INFO(error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
  json Aggregate(const annodb_aggregate_options* o, const char* project = "k") {
    Out out;
    int rc = annodb_aggregate_json(get(), project, o, nullptr, out.ptr(), out.len());
    INFO(error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
  json View(uint64_t asset) {
    Out out;
    int rc = annodb_consensus_asset_json(get(), "k", asset, out.ptr(), out.len());
    INFO(error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
};

annodb_agreement_options AgreementOpts(int metric) {
  annodb_agreement_options o;
  REQUIRE(annodb_agreement_options_init(&o, sizeof o) == ANNODB_OK);
  o.metric = metric;
  return o;
}
annodb_aggregate_options AggregateOpts(int method) {
  annodb_aggregate_options o;
  REQUIRE(annodb_aggregate_options_init(&o, sizeof o) == ANNODB_OK);
  o.method = method;
  return o;
}

}  // namespace

TEST_CASE("capi consensus: per-asset views, below, members (Krippendorff 2011 data)") {
  ConsensusStore s;
  s.LoadK2011();
  // Unit 1: obs-a, b, d all said 1: three pairs, all agree.
  json v = s.View(s.assets[0]);
  CHECK(v["asset_id"] == s.assets[0]);
  CHECK(v["external_id"] == "u1");
  CHECK(v["score"].get<double>() == Approx(1.0));
  CHECK(v["labels"] == 3);
  CHECK(v["pairs"] == 3);
  CHECK(v["gold_labels"] == 0);
  CHECK(v["label_ids"].size() == 3);
  CHECK(v["features"]["score"]["pairs"] == 3);
  // Unit 2: 2, 2, 3, 2: 3 of 6 pairs agree = 0.5; best label: a, b and d
  // each agree with 2 of 3 others (ties to the lowest id = obs-a's).
  v = s.View(s.assets[1]);
  CHECK(v["score"].get<double>() == Approx(0.5).margin(1e-9));
  CHECK(v["pairs"] == 6);
  CHECK(v["best_label_id"] == s.ids[0][1]);
  // Unit 6: 1, 2, 3, 4: no pair agrees.
  CHECK(s.View(s.assets[5])["score"].get<double>() == Approx(0.0).margin(1e-9));
  // Unit 12: one label, no score yet (null), no pair.
  v = s.View(s.assets[11]);
  CHECK(v["score"].is_null());
  CHECK(v["pairs"] == 0);
  CHECK(v["labels"] == 1);

  // Below 1, lowest first: u6 (0), then u2 and u8 (0.5 each, by asset id).
  Out out;
  REQUIRE(annodb_consensus_below_json(s, "k", 1.0, 0, 0, out.ptr(), out.len()) == ANNODB_OK);
  json below = out.parse();
  CHECK(below["next"].is_null());
  below = below["items"];
  REQUIRE(below.size() == 3);
  CHECK(below[0]["external_id"] == "u6");
  CHECK(below[1]["external_id"] == "u2");
  CHECK(below[2]["external_id"] == "u8");
  // Strictly below: 0.5 is not below 0.5.
  REQUIRE(annodb_consensus_below_json(s, "k", 0.5, 0, 0, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["items"].size() == 1);
  // Pages of 2 then the rest: cut with "next", continued exactly after it.
  REQUIRE(annodb_consensus_below_json(s, "k", 1.0, 0, 2, out.ptr(), out.len()) == ANNODB_OK);
  json first = out.parse();
  REQUIRE(first["items"].size() == 2);
  CHECK(first["items"][1]["external_id"] == "u2");
  REQUIRE(first["next"] == first["items"][1]["asset_id"]);
  REQUIRE(annodb_consensus_below_json(s, "k", 1.0, first["next"].get<uint64_t>(), 2, out.ptr(), out.len()) ==
          ANNODB_OK);
  json second = out.parse();
  REQUIRE(second["items"].size() == 1);
  CHECK(second["items"][0]["external_id"] == "u8");
  CHECK(second["next"].is_null());
  // Exactly full: no "next".
  REQUIRE(annodb_consensus_below_json(s, "k", 1.0, 0, 3, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["next"].is_null());
  // A cursor that names no view, or an asset without a score.
  CHECK(annodb_consensus_below_json(s, "k", 1.0, 999999, 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_consensus_below_json(s, "k", 1.0, s.assets[11], 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);

  // List: every asset with a counted label, in pages.
  REQUIRE(annodb_consensus_list_json(s, "k", 0, 5, out.ptr(), out.len()) == ANNODB_OK);
  json page = out.parse();
  REQUIRE(page["items"].size() == 5);
  CHECK(page["items"][0]["external_id"] == "u1");
  REQUIRE(page["next"] == page["items"][4]["asset_id"]);
  REQUIRE(annodb_consensus_list_json(s, "k", page["next"].get<uint64_t>(), 0, out.ptr(), out.len()) == ANNODB_OK);
  page = out.parse();
  REQUIRE(page["items"].size() == 7);
  CHECK(page["items"][0]["external_id"] == "u6");
  CHECK(page["items"][6]["external_id"] == "u12");
  CHECK(page["next"].is_null());
  REQUIRE(annodb_consensus_list_json(s, "fw", 0, 0, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["items"].empty());

  // Members: obs-a agrees with another member in 21 of its 26 pairs on
  // shared assets; obs-c in 18 of 27 (= 2/3).
  REQUIRE(annodb_member_agreement_json(s, "k", nullptr, out.ptr(), out.len()) == ANNODB_OK);
  json members = out.parse();
  REQUIRE(members.size() == 4);
  CHECK(members[0]["member"] == "obs-a");
  CHECK(members[0]["labels"] == 9);
  CHECK(members[0]["pairs"] == 26);
  CHECK(members[0]["agreement"].get<double>() == Approx(21.0 / 26).margin(1e-8));
  CHECK(members[0]["gold_agreement"].is_null());
  CHECK(members[2]["member"] == "obs-c");
  CHECK(members[2]["pairs"] == 27);
  CHECK(members[2]["agreement"].get<double>() == Approx(2.0 / 3).margin(1e-8));
  REQUIRE(annodb_member_agreement_json(s, "k", "obs-d", out.ptr(), out.len()) == ANNODB_OK);
  members = out.parse();
  REQUIRE(members.size() == 1);
  CHECK(members[0]["pairs"] == 29);
  CHECK(members[0]["agreement"].get<double>() == Approx(24.0 / 29).margin(1e-8));
  // A member without labels in the project: zeros and nulls, not an error.
  REQUIRE(annodb_member_agreement_json(s, "k", "r0", out.ptr(), out.len()) == ANNODB_OK);
  members = out.parse();
  CHECK(members[0]["labels"] == 0);
  CHECK(members[0]["agreement"].is_null());

  // A gold label on unit 6 by r0 (value 3): obs-c's label matches it, the
  // others do not; the asset's score and label count are unchanged.
  uint64_t gold = s.Label("k", 6, "r0", ConsensusStore::Score(3), "gold");
  v = s.View(s.assets[5]);
  CHECK(v["gold_labels"] == 1);
  CHECK(v["labels"] == 4);
  CHECK(v["label_ids"].size() == 5);
  REQUIRE(annodb_member_agreement_json(s, "k", "obs-c", out.ptr(), out.len()) == ANNODB_OK);
  members = out.parse();
  CHECK(members[0]["gold_pairs"] == 1);
  CHECK(members[0]["gold_agreement"].get<double>() == Approx(1.0));
  // Updating and deleting labels keeps the views current.
  REQUIRE(annodb_label_update_json(s, s.ids[3][5], R"({"annotations":[{"feature":"score","value":"1"}]})", nullptr,
                                   nullptr) == ANNODB_OK);
  // Unit 6 is now 1, 2, 3, 1: one pair of six agrees.
  CHECK(s.View(s.assets[5])["score"].get<double>() == Approx(1.0 / 6).margin(1e-9));
  REQUIRE(annodb_label_delete(s, gold, nullptr) == ANNODB_OK);
  CHECK(s.View(s.assets[5])["gold_labels"] == 0);
  CHECK(annodb_consensus_check(s, "k") == ANNODB_OK);
}

TEST_CASE("capi consensus: agreement statistics against published and hand-computed values") {
  ConsensusStore s;
  s.LoadK2011();
  s.LoadFleissWiki();

  // Krippendorff (2011): published nominal .743, ordinal .815, interval
  // .849, ratio .797; exact values as in tests/stats.
  annodb_agreement_options o = AgreementOpts(ANNODB_METRIC_KRIPPENDORFF_ALPHA);
  json r = s.Agreement(&o);
  REQUIRE(r.size() == 1);  // the bbox feature is not a classification
  CHECK(r[0]["metric"] == "krippendorff_alpha");
  CHECK(r[0]["feature"] == "score");
  CHECK(r[0]["level"] == "nominal");
  CHECK(r[0]["value"].get<double>() == Approx(0.743421052631579).margin(1e-9));
  CHECK(r[0]["units"] == 11);  // unit 12 has one value: not pairable
  CHECK(r[0]["labels"] == 40);
  CHECK(s.Agreement(nullptr) == r);  // NULL options = the defaults
  o.level = ANNODB_LEVEL_ORDINAL;
  CHECK(s.Agreement(&o)[0]["value"].get<double>() == Approx(0.8153875037548813).margin(1e-9));
  o.level = ANNODB_LEVEL_INTERVAL;
  CHECK(s.Agreement(&o)[0]["value"].get<double>() == Approx(0.8491071428571428).margin(1e-9));
  o.level = ANNODB_LEVEL_RATIO;
  CHECK(s.Agreement(&o)[0]["value"].get<double>() == Approx(0.797402774711612).margin(1e-9));

  // Percent agreement: mean over the 11 pairable units of the share of
  // agreeing pairs: u2 and u8 1/2, u6 0, the other eight 1:
  // (8 + 1/2 + 1/2 + 0) / 11 = 9/11.
  o = AgreementOpts(ANNODB_METRIC_PERCENT_AGREEMENT);
  r = s.Agreement(&o);
  CHECK(r[0]["value"].get<double>() == Approx(9.0 / 11).margin(1e-12));
  CHECK(r[0]["units"] == 11);

  // Fleiss on the same data: the 8 units with 4 labels (u2..u9) are used,
  // u1, u10 (3), u11 (2) and u12 (1) left out. Hand-computed: P-bar =
  // (1/2 + 1 + 1 + 1 + 0 + 1 + 1/2 + 1)/8 = 3/4, category shares
  // (3, 9, 10, 10, 0)/32, P-bar-e = 290/1024; kappa = (3/4 - 290/1024) /
  // (1 - 290/1024) = 229/357.
  o = AgreementOpts(ANNODB_METRIC_FLEISS_KAPPA);
  r = s.Agreement(&o);
  CHECK(r[0]["metric"] == "fleiss_kappa");
  CHECK(r[0]["value"].get<double>() == Approx(229.0 / 357).margin(1e-12));
  CHECK(r[0]["units"] == 8);
  CHECK(r[0]["labels"] == 32);
  CHECK(r[0]["units_left_out"] == 4);
  CHECK(Has(r[0]["note"].get<std::string>(), "left out 4"));
  CHECK_FALSE(r[0].contains("level"));
  // Wikipedia's Fleiss example: published 0.210; exact 4211/20059.
  r = s.Agreement(&o, "fw");
  CHECK(r[0]["value"].get<double>() == Approx(4211.0 / 20059).margin(1e-12));
  CHECK(r[0]["value"].get<double>() == Approx(0.210).margin(5e-4));
  CHECK(r[0]["units"] == 10);
  CHECK(r[0]["labels"] == 140);
  CHECK(r[0]["units_left_out"] == 0);

  // Cohen, obs-a vs obs-b: both labelled u1..u9, which agree except u6
  // (a 1, b 2); u10 and u12 only b labelled (left out). p_o = 8/9; marginals
  // a (3, 3, 2, 1, 0)/9, b (2, 4, 2, 1, 0)/9, p_e = 23/81: kappa =
  // (8/9 - 23/81) / (1 - 23/81) = 49/58. Linear weights: observed 1/9,
  // expected 85/81 -> 1 - 9/85 = 76/85; quadratic: expected 149/81 -> 140/149.
  o = AgreementOpts(ANNODB_METRIC_COHEN_KAPPA);
  o.member_a = "obs-a";
  o.member_b = "obs-b";
  r = s.Agreement(&o);
  CHECK(r[0]["metric"] == "cohen_kappa");
  CHECK(r[0]["value"].get<double>() == Approx(49.0 / 58).margin(1e-12));
  CHECK(r[0]["units"] == 9);
  CHECK(r[0]["units_left_out"] == 2);
  CHECK(r[0]["members"] == json::array({"obs-a", "obs-b"}));
  CHECK(r[0]["weights"] == "none");
  o.weights = ANNODB_WEIGHTS_LINEAR;
  r = s.Agreement(&o);
  CHECK(r[0]["value"].get<double>() == Approx(76.0 / 85).margin(1e-12));
  CHECK(r[0]["weights"] == "linear");
  o.weights = ANNODB_WEIGHTS_QUADRATIC;
  CHECK(s.Agreement(&o)[0]["value"].get<double>() == Approx(140.0 / 149).margin(1e-12));

  // Undefined for the data: one feature where everyone agrees -> null + note.
  o = AgreementOpts(ANNODB_METRIC_KRIPPENDORFF_ALPHA);
  o.feature = "score";
  ConsensusStore one;
  one.Label("k", 1, "obs-a", ConsensusStore::Score(2));
  one.Label("k", 1, "obs-b", ConsensusStore::Score(2));
  r = one.Agreement(&o);
  CHECK(r[0]["value"].is_null());
  CHECK(Has(r[0]["note"].get<std::string>(), "undefined"));
}

TEST_CASE("capi consensus: agreement refuses bad arguments and changes nothing") {
  ConsensusStore s;
  s.LoadK2011();
  uint64_t seq = s.Sequence();
  Out out;
  auto fails = [&](const char* project, const annodb_agreement_options* o, int code, const char* words) {
    int rc = annodb_agreement_json(s, project, o, out.ptr(), out.len());
    INFO(s.error());
    CHECK(rc == code);
    CHECK(out.get() == nullptr);
    CHECK(out.size() == 0);
    CHECK(Has(s.error(), words));
  };
  annodb_agreement_options o = AgreementOpts(ANNODB_METRIC_KRIPPENDORFF_ALPHA);
  fails(nullptr, &o, ANNODB_INVALID_ARGUMENT, "project");
  fails("nope", &o, ANNODB_NOT_FOUND, "nope");
  CHECK(annodb_agreement_json(s, "k", &o, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_agreement_json(nullptr, "k", &o, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  o.metric = 4;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "metric");
  o.metric = -1;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "metric");
  o = AgreementOpts(ANNODB_METRIC_KRIPPENDORFF_ALPHA);
  o.level = 4;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "level");
  o = AgreementOpts(ANNODB_METRIC_FLEISS_KAPPA);
  o.level = ANNODB_LEVEL_ORDINAL;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "only for ANNODB_METRIC_KRIPPENDORFF_ALPHA");
  o = AgreementOpts(ANNODB_METRIC_KRIPPENDORFF_ALPHA);
  o.weights = ANNODB_WEIGHTS_LINEAR;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "only for ANNODB_METRIC_COHEN_KAPPA");
  o.weights = 3;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "weights");
  o = AgreementOpts(ANNODB_METRIC_PERCENT_AGREEMENT);
  o.member_a = "obs-a";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "member_a");
  o = AgreementOpts(ANNODB_METRIC_COHEN_KAPPA);
  o.member_a = "obs-a";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "member_b");
  o.member_b = "obs-a";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "two different members");
  o.member_b = "nobody";
  fails("k", &o, ANNODB_NOT_FOUND, "nobody");
  o.member_b = "";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "member");
  o = AgreementOpts(ANNODB_METRIC_KRIPPENDORFF_ALPHA);
  o.feature = "weather";
  fails("k", &o, ANNODB_NOT_FOUND, "weather");
  o.feature = "vehicle";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "vehicle");
  o.feature = "";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "feature");
  o.feature = "\xff";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "UTF-8");
  // Interval needs numeric options: project fw's are c1..c5.
  o = AgreementOpts(ANNODB_METRIC_KRIPPENDORFF_ALPHA);
  o.level = ANNODB_LEVEL_INTERVAL;
  fails("fw", &o, ANNODB_INVALID_ARGUMENT, "'c1'");
  // Growable struct: a wrong struct_size, or unknown trailing bytes.
  o = AgreementOpts(ANNODB_METRIC_KRIPPENDORFF_ALPHA);
  o.struct_size = 4;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "struct_size");
  CHECK(annodb_agreement_options_init(nullptr, sizeof o) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_agreement_options_init(&o, 3) == ANNODB_INVALID_ARGUMENT);
  struct Bigger {
    annodb_agreement_options o;
    uint64_t extra;
  } big;
  REQUIRE(annodb_agreement_options_init(&big.o, sizeof big) == ANNODB_OK);
  CHECK(annodb_agreement_json(s, "k", &big.o, out.ptr(), out.len()) == ANNODB_OK);
  big.extra = 1;
  CHECK(annodb_agreement_json(s, "k", &big.o, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(s.Sequence() == seq);

  // The view reads.
  CHECK(annodb_consensus_asset_json(s, "k", 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_consensus_asset_json(s, "k", 999, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_consensus_asset_json(s, "fw", s.assets[0], out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_consensus_asset_json(s, "k", s.assets[0], nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_consensus_asset_json(s, nullptr, s.assets[0], out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_consensus_list_json(s, "k", 0, 100001, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(s.error(), "limit"));
  CHECK(annodb_consensus_list_json(s, "zz", 0, 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_consensus_below_json(s, "k", std::nan(""), 0, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_consensus_below_json(s, "k", std::numeric_limits<double>::infinity(), 0, 0, out.ptr(), out.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_consensus_below_json(s, "k", 0.5, 0, 100001, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_consensus_below_json(s, "k", 0.5, 0, 0, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_agreement_json(s, "k", "nobody", out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_member_agreement_json(s, "k", "", out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_agreement_json(s, "k", nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_agreement_json(s, "zz", nullptr, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(out.get() == nullptr);
  CHECK(annodb_consensus_rebuild(s, "zz", nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_consensus_rebuild(s, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_consensus_check(s, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_consensus_check(s, "zz") == ANNODB_NOT_FOUND);
  annodb_store* closed = nullptr;
  CHECK(annodb_consensus_check(closed, "k") == ANNODB_INVALID_ARGUMENT);
  CHECK(s.Sequence() == seq);
}

TEST_CASE("capi consensus: majority vote, Dawid-Skene, saving, box clusters") {
  ConsensusStore s;
  s.LoadK2011();
  // Majority vote: u2 (2, 2, 3, 2) -> "2" with 3/4 of the votes; u6 (1, 2,
  // 3, 4) is a four-way tie -> the option listed first, "1", with 1/4.
  annodb_aggregate_options o = AggregateOpts(ANNODB_AGGREGATE_MAJORITY_VOTE);
  json r = s.Aggregate(&o);
  CHECK(r["method"] == "majority_vote");
  CHECK(r["parameters"] == "majority_vote");
  CHECK_FALSE(r.contains("stored"));
  json items = r["items"];
  REQUIRE(items.size() == 12);
  CHECK(items[1]["asset_id"] == s.assets[1]);
  CHECK(items[1]["external_id"] == "u2");
  CHECK(items[1]["feature"] == "score");
  CHECK(items[1]["value"] == "2");
  CHECK(items[1]["confidence"].get<double>() == Approx(0.75));
  CHECK(items[1]["answers"] == 4);
  CHECK(items[5]["value"] == "1");
  CHECK(items[5]["confidence"].get<double>() == Approx(0.25));
  CHECK(items[11]["value"] == "3");  // u12: obs-b alone
  // Skill of obs-a = share of its 9 answers equal to the majority: all but
  // u6? u6's majority is "1" (the tie), which obs-a said: 9/9.
  json members = r["members"];
  REQUIRE(members.size() == 4);
  CHECK(members[0]["member"] == "obs-a");
  CHECK(members[0]["answers"] == 9);
  CHECK(members[0]["skill"].get<double>() == Approx(1.0));
  // obs-c: 10 answers, u2 (3 vs 2), u6 (3 vs 1), u8 (2 vs 1) differ: 7/10.
  CHECK(members[2]["skill"].get<double>() == Approx(0.7));
  CHECK(s.Aggregate(nullptr) == r);  // NULL options = majority vote

  // Dawid-Skene: the clear units keep their unanimous answer with a high
  // posterior; every member has a 5 x 5 confusion matrix whose rows sum to 1.
  o = AggregateOpts(ANNODB_AGGREGATE_DAWID_SKENE);
  o.max_iterations = 50;
  r = s.Aggregate(&o);
  CHECK(r["method"] == "dawid_skene");
  CHECK(Has(r["parameters"].get<std::string>(), "max_iterations=50"));
  items = r["items"];
  REQUIRE(items.size() == 12);
  CHECK(items[2]["value"] == "3");  // u3: 3, 3, 3, 3
  CHECK(items[2]["confidence"].get<double>() > 0.9);
  CHECK(items[6]["value"] == "4");  // u7: 4, 4, 4, 4
  for (const json& it : items) {
    CHECK(it["confidence"].get<double>() > 0);
    CHECK(it["confidence"].get<double>() <= 1.0 + 1e-12);
  }
  REQUIRE(r["members"].size() == 4);
  for (const json& m : r["members"]) {
    REQUIRE(m["confusion"].size() == 5);
    for (const json& row : m["confusion"]) {
      double sum = 0;
      for (const json& x : row) sum += x.get<double>();
      CHECK(sum == Approx(1.0).margin(1e-9));
    }
    CHECK(m["skill"].is_null());
  }
  CHECK_FALSE(r["notes"].empty());

  // Saving writes one aggregate label per asset, named after the method and
  // its parameters; the views do not count it. A second run writes nothing.
  uint64_t seq = s.Sequence();
  o = AggregateOpts(ANNODB_AGGREGATE_MAJORITY_VOTE);
  o.save = 1;
  annodb_actor actor;
  REQUIRE(annodb_actor_init(&actor, sizeof actor) == ANNODB_OK);
  actor.kind = ANNODB_ACTOR_PERSON;
  actor.name = "obs-a";
  Out out;
  REQUIRE(annodb_aggregate_json(s, "k", &o, &actor, out.ptr(), out.len()) == ANNODB_OK);
  r = out.parse();
  CHECK(r["stored"] == 12);
  CHECK(s.Sequence() == seq + 1);  // one transaction
  annodb_label_filter f;
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  f.asset_id = s.assets[5];
  REQUIRE(annodb_label_list(s, "k", &f, 0, 0, out.ptr(), out.len()) == ANNODB_OK);
  json labels = out.parse()["items"];
  json agg;
  for (const json& l : labels)
    if (l["source"] == "aggregate") agg = l;
  REQUIRE(agg.is_object());
  INFO(agg.dump());
  CHECK(agg["model"]["name"] == "annodb.majority_vote");
  CHECK(agg["model"]["version"] == "majority_vote");
  CHECK(agg["annotations"][0]["value"] == "1");
  CHECK(agg["annotations"][0]["score"].get<double>() == Approx(0.25));
  CHECK(s.View(s.assets[5])["labels"] == 4);
  CHECK(s.View(s.assets[5])["label_ids"].size() == 4);
  CHECK(annodb_consensus_check(s, "k") == ANNODB_OK);
  REQUIRE(annodb_aggregate_json(s, "k", &o, nullptr, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["stored"] == 0);
  CHECK(s.Sequence() == seq + 1);

  // Box clusters: obs-a [0,0,10,10] and obs-b [1,1,10,10] on u1 overlap
  // with IoU 81/119 >= 0.5 and form a cluster (mean box [0.5,0.5,10,10]);
  // obs-c's far box [50,50,5,5] has no partner, below the quorum of 2. The
  // confidence is the members' mean IoU with the mean box: both
  // 9.5^2 / (200 - 9.5^2) = 90.25/109.75.
  s.Label("k", 1, "obs-a", R"([{"feature":"vehicle","class":"car","bbox":[0,0,10,10]}])");
  s.Label("k", 1, "obs-b", R"([{"feature":"vehicle","class":"car","bbox":[1,1,10,10]}])");
  s.Label("k", 1, "obs-c", R"([{"feature":"vehicle","class":"car","bbox":[50,50,5,5]}])");
  o = AggregateOpts(ANNODB_AGGREGATE_BOX_CLUSTERS);
  r = s.Aggregate(&o);
  items = r["items"];
  REQUIRE(items.size() == 1);
  CHECK(items[0]["external_id"] == "u1");
  CHECK(items[0]["feature"] == "vehicle");
  CHECK(items[0]["value"] == "car");
  CHECK(items[0]["answers"] == 2);
  CHECK(items[0]["confidence"].get<double>() == Approx(90.25 / 109.75).margin(1e-9));
  CHECK(items[0]["box"]["x"].get<double>() == Approx(0.5));
  CHECK(items[0]["box"]["w"].get<double>() == Approx(10));
  CHECK(Has(r["parameters"].get<std::string>(), "quorum=2"));
  o.quorum = 1;
  CHECK(s.Aggregate(&o)["items"].size() == 2);
  o.quorum = 2;
  o.iou_threshold = 0.7;  // 81/119 = 0.68 < 0.7: no cluster reaches the quorum
  CHECK(s.Aggregate(&o)["items"].empty());
}

TEST_CASE("capi consensus: aggregate refuses bad arguments and writes nothing") {
  ConsensusStore s;
  s.LoadK2011();
  uint64_t seq = s.Sequence();
  Out out;
  auto fails = [&](const char* project, const annodb_aggregate_options* o, int code, const char* words) {
    int rc = annodb_aggregate_json(s, project, o, nullptr, out.ptr(), out.len());
    INFO(s.error());
    CHECK(rc == code);
    CHECK(out.get() == nullptr);
    CHECK(Has(s.error(), words));
    CHECK(s.Sequence() == seq);
  };
  // Every case with save on: a refused call must not write.
  auto opts = [](int method) {
    annodb_aggregate_options o = AggregateOpts(method);
    o.save = 1;
    return o;
  };
  annodb_aggregate_options o = opts(ANNODB_AGGREGATE_MAJORITY_VOTE);
  fails(nullptr, &o, ANNODB_INVALID_ARGUMENT, "project");
  fails("nope", &o, ANNODB_NOT_FOUND, "nope");
  CHECK(annodb_aggregate_json(s, "k", &o, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  o.method = 3;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "method");
  o.method = -1;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "method");
  o = opts(ANNODB_AGGREGATE_DAWID_SKENE);
  o.max_iterations = 0;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "max_iterations");
  o.max_iterations = 100001;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "max_iterations");
  o = opts(ANNODB_AGGREGATE_DAWID_SKENE);
  o.tolerance = std::nan("");
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "tolerance");
  o.tolerance = -1;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "tolerance");
  o = opts(ANNODB_AGGREGATE_DAWID_SKENE);
  o.smoothing = -0.5;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "smoothing");
  o.smoothing = std::numeric_limits<double>::infinity();
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "smoothing");
  o = opts(ANNODB_AGGREGATE_BOX_CLUSTERS);
  o.iou_threshold = 0;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "iou_threshold");
  o.iou_threshold = 1.5;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "iou_threshold");
  o.iou_threshold = std::nan("");
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "iou_threshold");
  o = opts(ANNODB_AGGREGATE_BOX_CLUSTERS);
  o.quorum = 0;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "quorum");
  // Features: unknown, of the wrong kind, empty.
  o = opts(ANNODB_AGGREGATE_BOX_CLUSTERS);
  o.feature = "score";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "score");
  o = opts(ANNODB_AGGREGATE_MAJORITY_VOTE);
  o.feature = "vehicle";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "vehicle");
  o.feature = "weather";
  fails("k", &o, ANNODB_NOT_FOUND, "weather");
  o.feature = "";
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "feature");
  o = opts(ANNODB_AGGREGATE_BOX_CLUSTERS);
  fails("fw", &o, ANNODB_INVALID_ARGUMENT, "no bbox feature");
  // A bad actor, a bad struct_size.
  o = opts(ANNODB_AGGREGATE_MAJORITY_VOTE);
  annodb_actor actor;
  REQUIRE(annodb_actor_init(&actor, sizeof actor) == ANNODB_OK);
  actor.kind = 99;
  CHECK(annodb_aggregate_json(s, "k", &o, &actor, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(out.get() == nullptr);
  o.struct_size = 8;
  fails("k", &o, ANNODB_INVALID_ARGUMENT, "struct_size");
  CHECK(annodb_aggregate_options_init(nullptr, sizeof o) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_aggregate_options_init(&o, 5000) == ANNODB_INVALID_ARGUMENT);
  // The defaults are the documented ones.
  REQUIRE(annodb_aggregate_options_init(&o, sizeof o) == ANNODB_OK);
  CHECK(o.method == ANNODB_AGGREGATE_MAJORITY_VOTE);
  CHECK(o.max_iterations == 100);
  CHECK(o.tolerance == 1e-6);
  CHECK(o.smoothing == 0.0);
  CHECK(o.iou_threshold == 0.5);
  CHECK(o.quorum == 2);
  CHECK(o.class_agnostic == 0);
  CHECK(o.save == 0);
  CHECK(o.feature == nullptr);
  CHECK(s.Sequence() == seq);
}

TEST_CASE("capi consensus: rebuild and check") {
  ConsensusStore s;
  s.LoadK2011();
  Out before;
  REQUIRE(annodb_consensus_list_json(s, "k", 0, 0, before.ptr(), before.len()) == ANNODB_OK);
  CHECK(annodb_consensus_check(s, "k") == ANNODB_OK);
  REQUIRE(annodb_consensus_rebuild(s, "k", nullptr) == ANNODB_OK);
  Out after;
  REQUIRE(annodb_consensus_list_json(s, "k", 0, 0, after.ptr(), after.len()) == ANNODB_OK);
  CHECK(after.str() == before.str());
  CHECK(annodb_consensus_check(s, "k") == ANNODB_OK);
  CHECK(annodb_consensus_check(s, "fw") == ANNODB_OK);
}
