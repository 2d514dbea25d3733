// Fleiss' kappa, Cohen's kappa and percent agreement against published
// worked examples. Every expected value names its source; all of them were
// also recomputed from the definitions with exact rational arithmetic while
// writing these tests ("hand-checked").
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "annodb/agreement_stats.h"

using annodb::Status;
using namespace annodb::stats;

namespace {

using Counts = std::vector<std::vector<uint64_t>>;

// Wikipedia, "Fleiss' kappa", section "Worked example": 10 subjects, 14
// raters each, 5 categories. https://en.wikipedia.org/wiki/Fleiss%27_kappa
// The same table is statsmodels' test_fleiss_kappa
// (statsmodels/stats/tests/test_inter_rater.py, table1, kappa_wp = 0.210).
Counts WikipediaFleiss() {
  return {{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
          {7, 7, 0, 0, 0},  {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7}};
}

// Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
// Psychological Bulletin 76(5), 378-382, Table 1: 30 patients, 6
// psychiatrists each, 5 diagnoses. Raw ratings as in statsmodels'
// test_inter_rater.py (`diagnoses`) and R irr's `diagnoses` data set.
std::vector<std::vector<int>> Fleiss1971Ratings() {
  return {{4, 4, 4, 4, 4, 4}, {2, 2, 2, 5, 5, 5}, {2, 3, 3, 3, 3, 5}, {5, 5, 5, 5, 5, 5}, {2, 2, 2, 4, 4, 4},
          {1, 1, 3, 3, 3, 3}, {3, 3, 3, 3, 5, 5}, {1, 1, 3, 3, 3, 4}, {1, 1, 4, 4, 4, 4}, {5, 5, 5, 5, 5, 5},
          {1, 4, 4, 4, 4, 4}, {1, 2, 4, 4, 4, 4}, {2, 2, 2, 3, 3, 3}, {1, 4, 4, 4, 4, 4}, {2, 2, 4, 4, 4, 5},
          {3, 3, 3, 3, 3, 5}, {1, 1, 1, 4, 5, 5}, {1, 1, 1, 1, 1, 2}, {2, 2, 4, 4, 4, 4}, {1, 3, 3, 5, 5, 5},
          {5, 5, 5, 5, 5, 5}, {2, 4, 4, 4, 4, 4}, {2, 2, 4, 5, 5, 5}, {1, 1, 4, 4, 4, 4}, {1, 4, 4, 4, 4, 5},
          {2, 2, 2, 2, 2, 4}, {1, 1, 1, 1, 5, 5}, {2, 2, 4, 4, 4, 4}, {1, 3, 3, 3, 3, 3}, {5, 5, 5, 5, 5, 5}};
}

Counts ToCountTable(const std::vector<std::vector<int>>& ratings, int categories) {
  Counts t;
  for (const auto& row : ratings) {
    std::vector<uint64_t> c(static_cast<size_t>(categories), 0);
    for (int r : row) ++c[static_cast<size_t>(r - 1)];
    t.push_back(c);
  }
  return t;
}

std::vector<UnitValueCounts> ToUnits(const Counts& table) {
  std::vector<UnitValueCounts> units;
  for (const auto& row : table) {
    UnitValueCounts u;
    for (size_t j = 0; j < row.size(); ++j) {
      if (row[j] > 0) u[static_cast<double>(j)] = row[j];
    }
    units.push_back(u);
  }
  return units;
}

std::vector<size_t> Repeat(std::initializer_list<std::pair<size_t, size_t>> runs) {
  std::vector<size_t> v;
  for (auto [value, times] : runs) v.insert(v.end(), times, value);
  return v;
}

double Cohen(const std::vector<size_t>& a, const std::vector<size_t>& b, size_t k, KappaWeights w) {
  CohenResult r;
  Status s = CohenKappa(a, b, k, w, &r);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return r.kappa;
}

double Cohen(const Counts& confusion, KappaWeights w) {
  CohenResult r;
  Status s = CohenKappa(confusion, w, &r);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return r.kappa;
}

}  // namespace

// ---------------------------------------------------------------------------
// Fleiss' kappa
// ---------------------------------------------------------------------------

TEST_CASE("Fleiss kappa: Wikipedia worked example = 0.210", "[fleiss]") {
  // Wikipedia: P_bar = 0.378, P_e = 0.213, kappa = 0.210;
  // p_j = 0.143, 0.200, 0.279, 0.150, 0.229. Hand-checked: kappa = 0.20993070...
  FleissResult r;
  REQUIRE(FleissKappa(WikipediaFleiss(), &r).ok());
  CHECK(r.kappa == Approx(0.210).margin(0.0005));
  CHECK(r.kappa == Approx(0.20993070442195524).margin(1e-12));
  CHECK(r.observed_agreement == Approx(0.378).margin(0.0005));
  CHECK(r.expected_agreement == Approx(0.213).margin(0.0005));
  CHECK(r.raters_per_unit == 14);
  const std::vector<double> p = {0.143, 0.200, 0.279, 0.150, 0.229};
  REQUIRE(r.category_proportions.size() == 5);
  for (size_t j = 0; j < 5; ++j) CHECK(r.category_proportions[j] == Approx(p[j]).margin(0.0005));
}

TEST_CASE("Fleiss kappa: Fleiss (1971) Table 1 = 0.430", "[fleiss]") {
  // Fleiss (1971): kappa = .430. R irr kappam.fleiss(diagnoses) = 0.4302445,
  // asserted to 7 places by statsmodels' test_fleiss_kappa_irr. DKPro's
  // Fleiss1971Test: observed 0.5556, expected 0.2201.
  Counts t = ToCountTable(Fleiss1971Ratings(), 5);
  // statsmodels test_aggregate_raters: column sums 26, 26, 30, 55, 43.
  std::vector<uint64_t> colsum(5, 0);
  for (const auto& row : t) {
    for (size_t j = 0; j < 5; ++j) colsum[j] += row[j];
  }
  CHECK(colsum == std::vector<uint64_t>{26, 26, 30, 55, 43});
  FleissResult r;
  REQUIRE(FleissKappa(t, &r).ok());
  CHECK(r.kappa == Approx(0.4302445).margin(5e-8));
  // DKPro asserts both to within 0.001; hand-checked: 5/9 and 0.21993827.
  CHECK(r.observed_agreement == Approx(0.5556).margin(0.001));
  CHECK(r.expected_agreement == Approx(0.2201).margin(0.001));
  CHECK(r.observed_agreement == Approx(5.0 / 9.0).margin(1e-12));
  CHECK(r.expected_agreement == Approx(0.21993827160493828).margin(1e-12));
}

TEST_CASE("Fleiss kappa: invalid input", "[fleiss][unhappy]") {
  FleissResult r;
  SECTION("empty") {
    CHECK(FleissKappa({}, &r).IsInvalidArgument());
    CHECK(FleissKappa({{}, {}}, &r).IsInvalidArgument());
  }
  SECTION("unequal raters per unit") {
    Counts t = WikipediaFleiss();
    t[3][0] += 1;  // unit 3 now has 15 ratings
    Status s = FleissKappa(t, &r);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("unit 3 has 15 ratings but unit 0 has 14") != std::string::npos);
    CHECK(s.message().find("same number of raters") != std::string::npos);
  }
  SECTION("rows with different numbers of categories") {
    Status s = FleissKappa({{1, 1}, {2}}, &r);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("unit 1 has 1 categories") != std::string::npos);
  }
  SECTION("fewer than two raters") {
    CHECK(FleissKappa({{1, 0}, {0, 1}}, &r).IsInvalidArgument());
    CHECK(FleissKappa({{0, 0}, {0, 0}}, &r).IsInvalidArgument());
  }
  SECTION("every rating in one category: undefined") {
    Status s = FleissKappa({{3, 0}, {3, 0}}, &r);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("undefined") != std::string::npos);
  }
  SECTION("single unit") {
    // One unit, two raters who disagree: P_bar = 0, P_e = 0.5, kappa = -1.
    REQUIRE(FleissKappa({{1, 1}}, &r).ok());
    CHECK(r.kappa == Approx(-1.0).margin(1e-12));
  }
  SECTION("null output") { CHECK(FleissKappa(WikipediaFleiss(), nullptr).IsInvalidArgument()); }
}

// ---------------------------------------------------------------------------
// Cohen's kappa
// ---------------------------------------------------------------------------

TEST_CASE("Cohen kappa: Wikipedia example = 0.4", "[cohen]") {
  // Wikipedia, "Cohen's kappa", "Simple example": 50 grant proposals, readers
  // A (rows) and B (columns): yes/yes 20, yes/no 5, no/yes 10, no/no 15.
  // p_o = 0.7, p_e = 0.5, kappa = 0.4. https://en.wikipedia.org/wiki/Cohen%27s_kappa
  CohenResult r;
  REQUIRE(CohenKappa({{20, 5}, {10, 15}}, KappaWeights::kNone, &r).ok());
  CHECK(r.kappa == Approx(0.4).margin(1e-12));
  CHECK(r.observed_agreement == Approx(0.7).margin(1e-12));
  CHECK(r.expected_agreement == Approx(0.5).margin(1e-12));
  CHECK(r.items == 50);
}

TEST_CASE("Cohen kappa: scikit-learn test_cohen_kappa", "[cohen]") {
  // scikit-learn sklearn/metrics/tests/test_classification.py, test_cohen_kappa.
  // Artstein & Poesio (2008), Table 1 (contingency [[20, 20], [10, 50]]): 0.348.
  auto y1 = Repeat({{0, 40}, {1, 60}});
  auto y2 = Repeat({{0, 20}, {1, 20}, {0, 10}, {1, 50}});
  const double k = Cohen(y1, y2, 2, KappaWeights::kNone);
  CHECK(k == Approx(0.348).margin(0.0005));
  CHECK(k == Approx(8.0 / 23.0).margin(1e-12));  // hand-checked: (0.7 - 0.54) / 0.46
  CHECK(Cohen(y2, y1, 2, KappaWeights::kNone) == Approx(k).margin(1e-15));  // symmetric
  CHECK(Cohen(y1, y1, 2, KappaWeights::kNone) == Approx(1.0).margin(1e-15));

  // Artstein & Poesio (2008), Table 4 (multiclass): 0.8013.
  y1 = Repeat({{0, 46}, {1, 44}, {2, 10}});
  y2 = Repeat({{0, 52}, {1, 32}, {2, 16}});
  CHECK(Cohen(y1, y2, 3, KappaWeights::kNone) == Approx(0.8013).margin(0.00005));

  // Weighting example: none 0.9315, linear 0.9412, quadratic 0.9541.
  y2 = Repeat({{0, 50}, {1, 40}, {2, 10}});
  CHECK(Cohen(y1, y2, 3, KappaWeights::kNone) == Approx(0.9315).margin(0.00005));
  CHECK(Cohen(y1, y2, 3, KappaWeights::kLinear) == Approx(0.9412).margin(0.00005));
  CHECK(Cohen(y1, y2, 3, KappaWeights::kQuadratic) == Approx(0.9541).margin(0.00005));
}

TEST_CASE("Cohen kappa: statsmodels SAS example (table10)", "[cohen]") {
  // statsmodels/stats/tests/test_inter_rater.py, UnweightedCohens /
  // TestWeightedCohens, compared there with a SAS printout: simple kappa
  // 0.4842, weighted (weights [0, 1, 2], linear) 0.4701.
  const Counts table10 = {{0, 4, 1}, {0, 8, 0}, {0, 1, 5}};
  CHECK(Cohen(table10, KappaWeights::kNone) == Approx(0.4842).margin(0.00005));
  CHECK(Cohen(table10, KappaWeights::kLinear) == Approx(0.4701).margin(0.00005));
}

TEST_CASE("Cohen kappa: R irr kappa2 on the anxiety data", "[cohen]") {
  // statsmodels test_cohens_kappa_irr: R irr's `anxiety` data, raters 2 and 3
  // (20 subjects). irr drops the unused level 5, so the ordered categories
  // are 1, 2, 3, 4, 6 (indices 0..4). kappa2(anxiety[,2:3]) = -0.006289308,
  // "equal" (linear) = 0.1459075, "squared" (quadratic) = 0.2520325.
  const std::vector<int> rater2 = {3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4};
  const std::vector<int> rater3 = {2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2};
  auto index = [](int v) -> size_t { return v == 6 ? 4 : static_cast<size_t>(v - 1); };
  std::vector<size_t> a, b;
  for (int v : rater2) a.push_back(index(v));
  for (int v : rater3) b.push_back(index(v));
  CHECK(Cohen(a, b, 5, KappaWeights::kNone) == Approx(-0.006289308).margin(5e-10));
  CHECK(Cohen(a, b, 5, KappaWeights::kLinear) == Approx(0.1459075).margin(5e-8));
  CHECK(Cohen(a, b, 5, KappaWeights::kQuadratic) == Approx(0.2520325).margin(5e-8));
}

TEST_CASE("Cohen kappa: two categories make all weightings equal", "[cohen]") {
  const Counts t = {{20, 5}, {10, 15}};
  CHECK(Cohen(t, KappaWeights::kLinear) == Approx(0.4).margin(1e-12));
  CHECK(Cohen(t, KappaWeights::kQuadratic) == Approx(0.4).margin(1e-12));
}

TEST_CASE("Cohen kappa: invalid input", "[cohen][unhappy]") {
  CohenResult r;
  SECTION("rater vectors of different sizes") {
    Status s = CohenKappa(std::vector<size_t>{0, 1, 1}, std::vector<size_t>{0, 1}, 2, KappaWeights::kNone, &r);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("rater A has 3 items but rater B has 2") != std::string::npos);
  }
  SECTION("empty") {
    CHECK(CohenKappa(std::vector<size_t>{}, std::vector<size_t>{}, 2, KappaWeights::kNone, &r).IsInvalidArgument());
    CHECK(CohenKappa(Counts{}, KappaWeights::kNone, &r).IsInvalidArgument());
    CHECK(CohenKappa(Counts{{0, 0}, {0, 0}}, KappaWeights::kNone, &r).IsInvalidArgument());
  }
  SECTION("category out of range") {
    Status s = CohenKappa(std::vector<size_t>{0, 1}, std::vector<size_t>{0, 2}, 2, KappaWeights::kNone, &r);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("item 1") != std::string::npos);
    CHECK(CohenKappa(std::vector<size_t>{0}, std::vector<size_t>{0}, 0, KappaWeights::kNone, &r).IsInvalidArgument());
  }
  SECTION("non-square confusion matrix") {
    CHECK(CohenKappa(Counts{{1, 2}, {3}}, KappaWeights::kNone, &r).IsInvalidArgument());
    CHECK(CohenKappa(Counts{{1, 2, 3}, {3, 4, 5}}, KappaWeights::kNone, &r).IsInvalidArgument());
  }
  SECTION("both raters always say the same single category: undefined") {
    for (KappaWeights w : {KappaWeights::kNone, KappaWeights::kLinear, KappaWeights::kQuadratic}) {
      INFO(KappaWeightsName(w));
      Status s = CohenKappa(Counts{{0, 0}, {0, 7}}, w, &r);
      CHECK(s.IsInvalidArgument());
      CHECK(s.message().find("undefined") != std::string::npos);
    }
    CHECK(CohenKappa(Counts{{5}}, KappaWeights::kNone, &r).IsInvalidArgument());
  }
  SECTION("null output") { CHECK(CohenKappa(Counts{{1, 0}, {0, 1}}, KappaWeights::kNone, nullptr).IsInvalidArgument()); }
}

// ---------------------------------------------------------------------------
// Percent agreement
// ---------------------------------------------------------------------------

TEST_CASE("Percent agreement: published examples", "[percent]") {
  PercentAgreementResult r;
  // Fleiss (1971): P_bar = 0.5556 (DKPro Fleiss1971Test observed agreement;
  // its per-item values are e.g. 1.000, 0.400, 0.400, 1.000, 0.400, 0.467).
  REQUIRE(PercentAgreement(ToUnits(ToCountTable(Fleiss1971Ratings(), 5)), &r).ok());
  CHECK(r.agreement == Approx(0.5556).margin(0.00005));
  CHECK(r.pairable_units == 30);
  PercentAgreementResult item;
  REQUIRE(PercentAgreement(ToUnits({{0, 1, 4, 0, 1}}), &item).ok());  // patient 3: 2,3,3,3,3,5
  CHECK(item.agreement == Approx(0.400).margin(0.0005));
  REQUIRE(PercentAgreement(ToUnits({{2, 0, 4, 0, 0}}), &item).ok());  // patient 6: 1,1,3,3,3,3
  CHECK(item.agreement == Approx(0.467).margin(0.0005));

  // Wikipedia "Fleiss' kappa": P_bar = 0.378.
  REQUIRE(PercentAgreement(ToUnits(WikipediaFleiss()), &r).ok());
  CHECK(r.agreement == Approx(0.378).margin(0.0005));

  // Krippendorff (1980) via DKPro Krippendorff1980Test: 0.600 (p. 133) and
  // 0.740 (p. 139; hand-checked 20/27 = 0.7407).
  std::vector<std::vector<std::optional<double>>> binary = {{0, 0}, {1, 1}, {0, 1}, {0, 0}, {0, 0},
                                                            {0, 1}, {0, 0}, {0, 1}, {1, 0}, {0, 0}};
  REQUIRE(PercentAgreement(binary, &r).ok());
  CHECK(r.agreement == Approx(0.600).margin(1e-12));
  std::vector<std::vector<std::optional<double>>> three = {{1, 1, 1}, {1, 2, 2}, {2, 2, 2}, {4, 4, 4}, {1, 4, 4},
                                                           {2, 2, 2}, {1, 2, 3}, {3, 3, 3}, {2, 2, 2}};
  REQUIRE(PercentAgreement(three, &r).ok());
  CHECK(r.agreement == Approx(20.0 / 27.0).margin(1e-12));
}

TEST_CASE("Percent agreement: missing values and unhappy paths", "[percent][unhappy]") {
  PercentAgreementResult r;
  // Units with fewer than two values are ignored: only the first unit counts.
  std::vector<std::vector<std::optional<double>>> m = {{1, 1, 2}, {3, std::nullopt, std::nullopt}};
  REQUIRE(PercentAgreement(m, &r).ok());
  CHECK(r.agreement == Approx(1.0 / 3.0).margin(1e-12));
  CHECK(r.pairable_units == 1);

  CHECK(PercentAgreement(std::vector<UnitValueCounts>{}, &r).IsInvalidArgument());
  CHECK(PercentAgreement(std::vector<std::vector<std::optional<double>>>{}, &r).IsInvalidArgument());
  Status s = PercentAgreement(std::vector<UnitValueCounts>{{{1.0, 1}}, {}}, &r);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("no pairable units") != std::string::npos);
  CHECK(PercentAgreement(std::vector<std::vector<std::optional<double>>>{{1, 2}, {3}}, &r).IsInvalidArgument());
  CHECK(PercentAgreement(m, nullptr).IsInvalidArgument());
}
