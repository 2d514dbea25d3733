// Krippendorff's alpha against published worked examples.
//
// Every expected value names its source. "Hand-checked" means the value was
// also recomputed independently from the definitions with exact rational
// arithmetic (Python fractions) while writing these tests.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "annodb/agreement_stats.h"

using annodb::Status;
using namespace annodb::stats;

namespace {

using Cell = std::optional<double>;
using Matrix = std::vector<std::vector<Cell>>;  // units x coders
constexpr std::nullopt_t NA = std::nullopt;

// Published tables list coders as rows; the API takes units as rows.
Matrix Transpose(const std::vector<std::vector<Cell>>& coders_by_units) {
  Matrix m(coders_by_units.front().size(), std::vector<Cell>(coders_by_units.size()));
  for (size_t c = 0; c < coders_by_units.size(); ++c) {
    for (size_t u = 0; u < coders_by_units[c].size(); ++u) m[u][c] = coders_by_units[c][u];
  }
  return m;
}

// Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability.
// https://repository.upenn.edu/asc_papers/43 : the worked example with
// 4 observers (A-D) x 12 units, values 1..5 and missing data, used in the
// paper for the nominal, ordinal, interval and ratio metrics. The same matrix is the "C" example of R irr's
// kripp.alpha and the ordinal/ratio test of the Python package krippendorff
// (github.com/pln-fing-udelar/fast-krippendorff, tests/test_krippendorff.py).
Matrix Krippendorff2011() {
  return Transpose({
      {1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA},  // observer A
      {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3},    // observer B
      {NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA},   // observer C
      {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA},    // observer D
  });
}

// Wikipedia, "Krippendorff's alpha", section "A computational example":
// 3 coders x 15 units with missing values.
// https://en.wikipedia.org/wiki/Krippendorff%27s_alpha#A_computational_example
Matrix WikipediaExample() {
  return Transpose({
      {NA, NA, NA, NA, NA, 3, 4, 1, 2, 1, 1, 3, 3, NA, 3},  // coder A
      {1, NA, 2, 1, 3, 3, 4, 3, NA, NA, NA, NA, NA, NA, NA},  // coder B
      {NA, NA, 2, 1, 3, 4, 4, NA, 2, 1, 1, 3, 3, NA, 4},    // coder C
  });
}

AlphaResult Alpha(const Matrix& m, Level level, std::vector<double> categories = {}) {
  AlphaOptions o;
  o.level = level;
  o.ordinal_categories = std::move(categories);
  AlphaResult r;
  Status s = KrippendorffAlpha(m, o, &r);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return r;
}

Status AlphaStatus(const Matrix& m, Level level, std::vector<double> categories = {}) {
  AlphaOptions o;
  o.level = level;
  o.ordinal_categories = std::move(categories);
  AlphaResult r;
  return KrippendorffAlpha(m, o, &r);
}

}  // namespace

TEST_CASE("Krippendorff 2011 example: nominal alpha = 0.743", "[alpha]") {
  // Source: Krippendorff (2011), nominal metric: alpha = .743 (n = 40
  // pairable values). Hand-checked from the coincidence matrix below: the
  // off-diagonal coincidences sum to 8 and sum_c n_c^2 = 384, so
  // alpha = 1 - (n - 1) * 8 / (n^2 - 384) = 1 - 312/1216 = 0.743421052631579.
  AlphaResult r = Alpha(Krippendorff2011(), Level::kNominal);
  CHECK(r.alpha == Approx(0.743).margin(0.0005));
  CHECK(r.alpha == Approx(0.743421052631579).margin(1e-12));
  CHECK(r.pairable_values == 40);
  CHECK(r.pairable_units == 11);  // unit 12 has one value and is not pairable
  CHECK(r.distinct_values == 5);
  // D_o = 8 / 40, D_e = 1216 / (40 * 39).
  CHECK(r.observed_disagreement == Approx(0.2).margin(1e-12));
  CHECK(r.expected_disagreement == Approx(1216.0 / 1560.0).margin(1e-12));
}

TEST_CASE("Krippendorff 2011 example: ordinal alpha = 0.815", "[alpha]") {
  // Source: Krippendorff (2011), ordinal metric: alpha = .815; also asserted
  // (rounded to 3 places) by fast-krippendorff's test_ordinal_metric.
  // Hand-checked: 0.8153875037548813.
  AlphaResult r = Alpha(Krippendorff2011(), Level::kOrdinal);
  CHECK(r.alpha == Approx(0.815).margin(0.0005));
  CHECK(r.alpha == Approx(0.8153875037548813).margin(1e-12));

  // With the explicit category order 1 < 2 < 3 < 4 < 5 (and an unused extra
  // category at either end, which has n_g = 0), the value is the same.
  CHECK(Alpha(Krippendorff2011(), Level::kOrdinal, {1, 2, 3, 4, 5}).alpha == Approx(r.alpha).margin(1e-12));
  CHECK(Alpha(Krippendorff2011(), Level::kOrdinal, {0, 1, 2, 3, 4, 5, 6}).alpha == Approx(r.alpha).margin(1e-12));
  // The ordinal metric only depends on ranks: reversing the order keeps alpha.
  CHECK(Alpha(Krippendorff2011(), Level::kOrdinal, {5, 4, 3, 2, 1}).alpha == Approx(r.alpha).margin(1e-12));
  // ...but a different order changes it.
  CHECK(Alpha(Krippendorff2011(), Level::kOrdinal, {3, 1, 5, 2, 4}).alpha != Approx(r.alpha).margin(1e-3));
}

TEST_CASE("Krippendorff 2011 example: interval alpha = 0.849", "[alpha]") {
  // Source: Krippendorff (2011), interval metric: alpha = .849.
  // Hand-checked: 0.8491071428571428.
  AlphaResult r = Alpha(Krippendorff2011(), Level::kInterval);
  CHECK(r.alpha == Approx(0.849).margin(0.0005));
  CHECK(r.alpha == Approx(0.8491071428571428).margin(1e-12));
}

TEST_CASE("Krippendorff 2011 example: ratio alpha = 0.797", "[alpha]") {
  // Source: Krippendorff (2011), ratio metric: alpha = .797; also asserted by
  // fast-krippendorff's test_ratio_metric. Hand-checked: 0.797402774711612.
  AlphaResult r = Alpha(Krippendorff2011(), Level::kRatio);
  CHECK(r.alpha == Approx(0.797).margin(0.0005));
  CHECK(r.alpha == Approx(0.797402774711612).margin(1e-12));
}

TEST_CASE("Krippendorff 2011 example: coincidence matrix", "[alpha]") {
  // Hand-computed from the definition o_ck = sum_u n_uc n_uk / (m_u - 1):
  //        1     2     3     4    5  | n_c
  //   1    7    4/3   1/3   1/3   0  |  9
  //   2   4/3   10    4/3   1/3   0  | 13
  //   3   1/3   4/3    8    1/3   0  | 10
  //   4   1/3   1/3   1/3    4    0  |  5
  //   5    0     0     0     0    3  |  3      n = 40
  std::vector<UnitValueCounts> units;
  REQUIRE(ToUnitValueCounts(Krippendorff2011(), &units).ok());
  CoincidenceMatrix cm;
  REQUIRE(BuildCoincidenceMatrix(units, &cm).ok());
  REQUIRE(cm.values == std::vector<double>{1, 2, 3, 4, 5});
  const double t = 1.0 / 3, f = 4.0 / 3;
  const std::vector<std::vector<double>> expected = {
      {7, f, t, t, 0}, {f, 10, f, t, 0}, {t, f, 8, t, 0}, {t, t, t, 4, 0}, {0, 0, 0, 0, 3}};
  for (size_t c = 0; c < 5; ++c) {
    for (size_t k = 0; k < 5; ++k) {
      INFO("o[" << c << "][" << k << "]");
      CHECK(cm.o[c][k] == Approx(expected[c][k]).margin(1e-12));
    }
  }
  CHECK(cm.marginals == std::vector<double>{9, 13, 10, 5, 3});
  CHECK(cm.n == 40);
}

TEST_CASE("Krippendorff alpha: value-count entry point equals the matrix entry point", "[alpha]") {
  std::vector<UnitValueCounts> units;
  REQUIRE(ToUnitValueCounts(Krippendorff2011(), &units).ok());
  for (Level level : {Level::kNominal, Level::kOrdinal, Level::kInterval, Level::kRatio}) {
    INFO(LevelName(level));
    AlphaOptions o;
    o.level = level;
    AlphaResult from_counts;
    REQUIRE(KrippendorffAlpha(units, o, &from_counts).ok());
    CHECK(from_counts.alpha == Approx(Alpha(Krippendorff2011(), level).alpha).margin(1e-12));
  }
}

TEST_CASE("Krippendorff alpha: Wikipedia computational example", "[alpha]") {
  // Source: Wikipedia "Krippendorff's alpha", "A computational example":
  // alpha_nominal = 0.691, alpha_interval = 0.811. fast-krippendorff's tests
  // (test_nominal_metric_reliability_data, test_interval_metric) assert the
  // same data to 6 places: 0.691358 and 0.810845.
  CHECK(Alpha(WikipediaExample(), Level::kNominal).alpha == Approx(0.691358).margin(5e-7));
  CHECK(Alpha(WikipediaExample(), Level::kInterval).alpha == Approx(0.810845).margin(5e-7));
}

TEST_CASE("Krippendorff alpha: fast-krippendorff value_counts example", "[alpha]") {
  // Source: fast-krippendorff tests/test_krippendorff.py,
  // test_nominal_metric_value_counts: 15 units x 4 values (counts), 0.691358.
  // This is the Wikipedia example given as per-unit value counts.
  const std::vector<std::vector<uint64_t>> table = {
      {1, 0, 0, 0}, {0, 0, 0, 0}, {0, 2, 0, 0}, {2, 0, 0, 0}, {0, 0, 2, 0}, {0, 0, 2, 1}, {0, 0, 0, 3}, {1, 0, 1, 0},
      {0, 2, 0, 0}, {2, 0, 0, 0}, {2, 0, 0, 0}, {0, 0, 2, 0}, {0, 0, 2, 0}, {0, 0, 0, 0}, {0, 0, 1, 1}};
  std::vector<UnitValueCounts> units;
  for (const auto& row : table) {
    UnitValueCounts u;
    for (size_t v = 0; v < row.size(); ++v) u[static_cast<double>(v + 1)] = row[v];  // zero counts included
    units.push_back(u);
  }
  AlphaResult r;
  REQUIRE(KrippendorffAlpha(units, AlphaOptions{}, &r).ok());
  CHECK(r.alpha == Approx(0.691358).margin(5e-7));
}

TEST_CASE("Krippendorff alpha: Krippendorff (1980) examples", "[alpha]") {
  // Source: Krippendorff, K. (1980). Content Analysis. Sage. p. 133 (binary,
  // 2 coders x 10 units) and p. 139 (3 coders x 9 units), as encoded in
  // DKPro Statistics' Krippendorff1980Test.java
  // (github.com/dkpro/dkpro-statistics, dkpro-statistics-agreement/src/test/
  // java/org/dkpro/statistics/agreement/coding/Krippendorff1980Test.java).
  Matrix binary = {{0, 0}, {1, 1}, {0, 1}, {0, 0}, {0, 0}, {0, 1}, {0, 0}, {0, 1}, {1, 0}, {0, 0}};
  AlphaResult b = Alpha(binary, Level::kNominal);
  CHECK(b.observed_disagreement == Approx(0.400).margin(0.0005));
  CHECK(b.expected_disagreement == Approx(0.442).margin(0.0005));
  CHECK(b.alpha == Approx(0.095).margin(0.0005));  // hand-checked: 2/21 = 0.095238...

  Matrix three = {{1, 1, 1}, {1, 2, 2}, {2, 2, 2}, {4, 4, 4}, {1, 4, 4}, {2, 2, 2}, {1, 2, 3}, {3, 3, 3}, {2, 2, 2}};
  AlphaResult n = Alpha(three, Level::kNominal);
  CHECK(n.observed_disagreement == Approx(0.259).margin(0.0005));
  CHECK(n.expected_disagreement == Approx(0.724).margin(0.0005));
  CHECK(n.alpha == Approx(0.642).margin(0.0005));
  CHECK(Alpha(three, Level::kInterval).alpha == Approx(0.547).margin(0.0005));
  CHECK(Alpha(three, Level::kRatio).alpha == Approx(0.483).margin(0.0005));
}

TEST_CASE("Krippendorff alpha: text labels", "[alpha]") {
  using L = std::optional<std::string>;
  using LabelMatrix = std::vector<std::vector<L>>;
  AlphaResult r;

  SECTION("nominal labels (fast-krippendorff test_string_labels_nominal = 0.722222)") {
    // 3 coders x 4 units, as units x coders.
    LabelMatrix m = {{"pos", "pos", "pos"}, {"neg", "neg", "neg"}, {"neu", "neu", "pos"}, {std::nullopt, "pos", "pos"}};
    REQUIRE(KrippendorffAlphaLabels(m, Level::kNominal, {}, &r).ok());
    CHECK(r.alpha == Approx(0.722222).margin(5e-7));
  }
  SECTION("ordinal labels with a category order (fast-krippendorff test_string_labels_ordinal_with_domain)") {
    // The Krippendorff (2011) matrix with 1..5 renamed; expected 0.815.
    const std::vector<std::string> names = {"very low", "low", "mid", "high", "very high"};
    Matrix numeric = Krippendorff2011();
    LabelMatrix m(numeric.size());
    for (size_t u = 0; u < numeric.size(); ++u) {
      for (const Cell& c : numeric[u]) {
        m[u].push_back(c ? L(names[static_cast<size_t>(*c) - 1]) : std::nullopt);
      }
    }
    REQUIRE(KrippendorffAlphaLabels(m, Level::kOrdinal, names, &r).ok());
    CHECK(r.alpha == Approx(0.8153875037548813).margin(1e-12));
    // Without the order, ordinal alpha on text is refused.
    Status s = KrippendorffAlphaLabels(m, Level::kOrdinal, {}, &r);
    CHECK(s.IsInvalidArgument());
    // A label outside the categories is refused.
    m[0][0] = L("extreme");
    s = KrippendorffAlphaLabels(m, Level::kOrdinal, names, &r);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("extreme") != std::string::npos);
  }
  SECTION("numeric labels for interval / ratio") {
    Matrix numeric = Krippendorff2011();
    LabelMatrix m(numeric.size());
    for (size_t u = 0; u < numeric.size(); ++u) {
      for (const Cell& c : numeric[u]) m[u].push_back(c ? L(std::to_string(static_cast<int>(*c))) : std::nullopt);
    }
    REQUIRE(KrippendorffAlphaLabels(m, Level::kInterval, {}, &r).ok());
    CHECK(r.alpha == Approx(0.849).margin(0.0005));
    REQUIRE(KrippendorffAlphaLabels(m, Level::kRatio, {}, &r).ok());
    CHECK(r.alpha == Approx(0.797).margin(0.0005));
  }
  SECTION("non-numeric input to interval / ratio is refused") {
    LabelMatrix m = {{"1", "2"}, {"3", "abc"}};
    for (Level level : {Level::kInterval, Level::kRatio}) {
      Status s = KrippendorffAlphaLabels(m, level, {}, &r);
      CHECK(s.IsInvalidArgument());
      CHECK(s.message().find("'abc' is not numeric") != std::string::npos);
    }
    for (const char* bad : {"", " 1", "1x", "nan", "inf", "1,5"}) {
      INFO(bad);
      LabelMatrix m2 = {{"1", "2"}, {"3", bad}};
      CHECK(KrippendorffAlphaLabels(m2, Level::kInterval, {}, &r).IsInvalidArgument());
    }
  }
}

TEST_CASE("Krippendorff alpha: perfect agreement with variation is 1", "[alpha]") {
  // fast-krippendorff test_perfect_agreement / test_ratio_metric_with_zeros.
  Matrix m = Transpose({{1, 2, 3, 4}, {1, 2, 3, 4}, {1, 2, 3, 4}});
  for (Level level : {Level::kNominal, Level::kOrdinal, Level::kInterval, Level::kRatio}) {
    INFO(LevelName(level));
    CHECK(Alpha(m, level).alpha == Approx(1.0).margin(1e-12));
  }
  Matrix zeros = Transpose({{0, 1, 2}, {0, 1, 2}});
  CHECK(Alpha(zeros, Level::kRatio).alpha == Approx(1.0).margin(1e-12));
}

TEST_CASE("Krippendorff alpha: units with fewer than two values are ignored", "[alpha]") {
  Matrix m = Krippendorff2011();
  const double base = Alpha(m, Level::kInterval).alpha;
  m.push_back({NA, NA, 7, NA});  // one value: not pairable
  m.push_back({NA, NA, NA, NA});
  CHECK(Alpha(m, Level::kInterval).alpha == Approx(base).margin(1e-12));

  // The same through the counts entry point, including zero counts.
  std::vector<UnitValueCounts> units;
  REQUIRE(ToUnitValueCounts(Krippendorff2011(), &units).ok());
  units.push_back({{9.0, 1}});
  units.push_back({{9.0, 0}, {8.0, 0}});
  units.push_back({});
  AlphaOptions o;
  o.level = Level::kInterval;
  AlphaResult r;
  REQUIRE(KrippendorffAlpha(units, o, &r).ok());
  CHECK(r.alpha == Approx(base).margin(1e-12));
  CHECK(r.distinct_values == 5);  // 7, 8, 9 never appear in a pairable unit
}

TEST_CASE("Krippendorff alpha: single unit", "[alpha][unhappy]") {
  // One unit with two different values: n = 2, D_o = D_e = 1, alpha = 0.
  CHECK(Alpha({{1, 2}}, Level::kNominal).alpha == Approx(0.0).margin(1e-12));
  CHECK(Alpha({{1, 2}}, Level::kInterval).alpha == Approx(0.0).margin(1e-12));
  // One unit where everybody agrees: alpha is undefined.
  Status s = AlphaStatus({{3, 3, 3}}, Level::kNominal);
  CHECK(s.IsInvalidArgument());
  CHECK(IsAlphaUndefined(s));
}

TEST_CASE("Krippendorff alpha: all coders agree on one value is undefined", "[alpha][unhappy]") {
  Matrix m = {{2, 2, NA}, {2, 2, 2}, {NA, 2, 2}, {2, NA, NA}};
  for (Level level : {Level::kNominal, Level::kOrdinal, Level::kInterval, Level::kRatio}) {
    INFO(LevelName(level));
    Status s = AlphaStatus(m, level);
    CHECK(s.IsInvalidArgument());
    CHECK(IsAlphaUndefined(s));
    CHECK(s.message().find("expected disagreement is 0") != std::string::npos);
  }
  // A value present only in a non-pairable unit does not create variation.
  m.push_back({5, NA, NA});
  CHECK(IsAlphaUndefined(AlphaStatus(m, Level::kNominal)));
}

TEST_CASE("Krippendorff alpha: invalid input", "[alpha][unhappy]") {
  AlphaResult r;
  AlphaOptions nominal;

  SECTION("empty input") {
    CHECK(KrippendorffAlpha(Matrix{}, nominal, &r).IsInvalidArgument());
    CHECK(KrippendorffAlpha(std::vector<UnitValueCounts>{}, nominal, &r).IsInvalidArgument());
    Status s = KrippendorffAlpha(Matrix{{NA, NA}, {NA, NA}}, nominal, &r);
    CHECK(s.IsInvalidArgument());
    CHECK(!IsAlphaUndefined(s));
  }
  SECTION("no pairable unit") {
    Status s = AlphaStatus({{1, NA}, {NA, 2}}, Level::kNominal);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("no pairable units") != std::string::npos);
  }
  SECTION("rows of different lengths") {
    Status s = AlphaStatus({{1, 2, 3}, {1, 2}}, Level::kNominal);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("unit 1 has 2 coder columns") != std::string::npos);
  }
  SECTION("non-finite values") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(AlphaStatus({{1, 2}, {nan, 1}}, Level::kInterval).IsInvalidArgument());
    CHECK(AlphaStatus({{1, 2}, {inf, 1}}, Level::kInterval).IsInvalidArgument());
    std::vector<UnitValueCounts> units = {{{1.0, 1}, {2.0, 1}}, {{-inf, 2}}};
    CHECK(KrippendorffAlpha(units, nominal, &r).IsInvalidArgument());
  }
  SECTION("negative values on a ratio scale") {
    Status s = AlphaStatus({{1, 2}, {-1, 1}}, Level::kRatio);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("negative") != std::string::npos);
    CHECK(AlphaStatus({{1, 2}, {-1, 1}}, Level::kInterval).ok());
  }
  SECTION("ordinal categories") {
    Status s = AlphaStatus(Krippendorff2011(), Level::kOrdinal, {1, 2, 3, 4});  // 5 missing
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("not one of the ordinal categories") != std::string::npos);
    CHECK(AlphaStatus(Krippendorff2011(), Level::kOrdinal, {1, 2, 3, 4, 5, 3}).IsInvalidArgument());
  }
  SECTION("null output") {
    CHECK(KrippendorffAlpha(Krippendorff2011(), nominal, nullptr).IsInvalidArgument());
  }
}

TEST_CASE("Krippendorff alpha: negative zero is the value zero", "[alpha]") {
  Matrix a = {{0.0, 1}, {1, 1}, {0.0, 0.0}};
  Matrix b = {{-0.0, 1}, {1, 1}, {0.0, -0.0}};
  CHECK(Alpha(a, Level::kNominal).alpha == Approx(Alpha(b, Level::kNominal).alpha).margin(1e-15));
  CHECK(Alpha(b, Level::kNominal).distinct_values == 2);
}

TEST_CASE("Krippendorff alpha: large counts from the incremental store", "[alpha]") {
  // Scaling every count by the same factor keeps D_o but shrinks the small-
  // sample correction (n - 1)/n: alpha must stay finite and close to the
  // large-sample form 1 - D_o / D_e(n -> inf). A smoke test for overflow.
  std::vector<UnitValueCounts> units;
  REQUIRE(ToUnitValueCounts(Krippendorff2011(), &units).ok());
  for (auto& u : units) {
    for (auto& [v, c] : u) c *= 1000000;
  }
  AlphaResult r;
  REQUIRE(KrippendorffAlpha(units, AlphaOptions{}, &r).ok());
  CHECK(std::isfinite(r.alpha));
  CHECK(r.alpha > 0.7);
  CHECK(r.alpha < 1.0);
}
