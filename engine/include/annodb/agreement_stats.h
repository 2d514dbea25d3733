// Agreement statistics: Krippendorff's alpha, Fleiss' kappa, Cohen's kappa and
// percent agreement.
//
// Pure math: plain data in, numbers out; nothing here touches a store. Every
// function validates its input and returns Status::InvalidArgument with a
// message naming the offending unit / value instead of throwing; the output
// argument is written only when the returned status is OK. All functions are
// thread-safe (no shared state). Formulas and references: docs/consensus.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "annodb/status.h"

namespace annodb::stats {

// ---------------------------------------------------------------------------
// Krippendorff's alpha
// ---------------------------------------------------------------------------
//
// Follows K. Krippendorff, "Computing Krippendorff's Alpha-Reliability"
// (2011, repository.upenn.edu/asc_papers/43):
//
//   alpha = 1 - D_o / D_e,
//   D_o = 1/n * sum_c sum_k o_ck * delta2(c,k),
//   D_e = 1/(n(n-1)) * sum_c sum_k n_c * n_k * delta2(c,k),
//
// where o_ck is the coincidence matrix (o_ck = sum over units u of
// n_uc * n_uk / (m_u - 1) for c != k, and n_uc (n_uc - 1) / (m_u - 1) on the
// diagonal), n_c its marginals and n the number of pairable values. A unit
// with fewer than two values (m_u < 2) is not pairable and is ignored.
//
// alpha is undefined when D_e = 0, i.e. when all pairable values are the same
// value: the functions then return InvalidArgument whose message starts with
// kAlphaUndefinedMessage (check with IsAlphaUndefined()).

enum class Level {
  kNominal,   // delta2 = 0 if c == k else 1
  kOrdinal,   // delta2 = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 over the category order
  kInterval,  // delta2 = (c - k)^2
  kRatio,     // delta2 = ((c - k) / (c + k))^2; values must be >= 0
};
const char* LevelName(Level level);

// Values assigned to one unit: value -> how many coders assigned it. This is
// the form the store keeps incrementally (one map per unit).
using UnitValueCounts = std::map<double, uint64_t>;

struct AlphaOptions {
  Level level = Level::kNominal;
  // kOrdinal only: the categories from lowest to highest. Every observed value
  // must be listed (otherwise InvalidArgument); categories nobody used are
  // allowed and have no effect. When empty, the ascending numeric order of the
  // observed values is used. Ignored for the other levels.
  std::vector<double> ordinal_categories;
};

struct AlphaResult {
  double alpha = 0;
  double observed_disagreement = 0;  // D_o
  double expected_disagreement = 0;  // D_e
  double pairable_values = 0;        // n (a count, held as a double)
  size_t pairable_units = 0;         // units with at least two values
  size_t distinct_values = 0;        // distinct pairable values
};

// The message prefix of the status returned when alpha is undefined.
inline constexpr const char* kAlphaUndefinedMessage = "alpha is undefined";
bool IsAlphaUndefined(const Status& s);

// Entry point from per-unit value counts (units without values are allowed
// and ignored). Values must be finite; for kRatio also >= 0. A count of 0 is
// the same as an absent value.
Status KrippendorffAlpha(const std::vector<UnitValueCounts>& units, const AlphaOptions& options,
                         AlphaResult* out);

// Entry point from a reliability data matrix: data[u][c] is the value coder c
// gave unit u, std::nullopt when missing. Every row must have the same number
// of coder columns. For nominal / ordinal data the values may be category
// indices (0, 1, 2, ...).
Status KrippendorffAlpha(const std::vector<std::vector<std::optional<double>>>& data,
                         const AlphaOptions& options, AlphaResult* out);

// Entry point from a matrix of text labels (std::nullopt = missing).
//  - kNominal: labels are compared for equality; `categories` is ignored.
//  - kOrdinal: `categories` (lowest first) is required and must contain every
//    label used.
//  - kInterval / kRatio: every label must be a decimal number as a whole
//    ("3", "-1.5", "2e3"); anything else is InvalidArgument.
Status KrippendorffAlphaLabels(const std::vector<std::vector<std::optional<std::string>>>& data,
                               Level level, const std::vector<std::string>& categories,
                               AlphaResult* out);

// The coincidence matrix itself (dense; for reports and tests).
struct CoincidenceMatrix {
  std::vector<double> values;          // distinct pairable values, ascending
  std::vector<std::vector<double>> o;  // o[c][k], indices into `values`
  std::vector<double> marginals;       // n_c
  double n = 0;                        // total pairable values
};
Status BuildCoincidenceMatrix(const std::vector<UnitValueCounts>& units, CoincidenceMatrix* out);

// Converts a reliability data matrix into per-unit value counts (checks that
// the rows have equal length and the values are finite).
Status ToUnitValueCounts(const std::vector<std::vector<std::optional<double>>>& data,
                         std::vector<UnitValueCounts>* out);

// ---------------------------------------------------------------------------
// Fleiss' kappa (Fleiss 1971)
// ---------------------------------------------------------------------------
//
// counts[i][j] = number of raters who put unit i in category j. Every unit
// must have the same total number of ratings n >= 2 (InvalidArgument
// otherwise, naming the unit), and every row the same number of categories.
//   P_i = (sum_j n_ij^2 - n) / (n (n - 1)),  P_bar = mean_i P_i,
//   p_j = sum_i n_ij / (N n),  P_e = sum_j p_j^2,
//   kappa = (P_bar - P_e) / (1 - P_e).
// Undefined (InvalidArgument) when P_e = 1 (every rating in one category).
struct FleissResult {
  double kappa = 0;
  double observed_agreement = 0;  // P_bar
  double expected_agreement = 0;  // P_e
  std::vector<double> category_proportions;  // p_j
  uint64_t raters_per_unit = 0;              // n
};
Status FleissKappa(const std::vector<std::vector<uint64_t>>& counts, FleissResult* out);

// ---------------------------------------------------------------------------
// Cohen's kappa for two raters (Cohen 1960; weighted: Cohen 1968)
// ---------------------------------------------------------------------------
//
// Categories are ordered 0..k-1; the disagreement weight of the pair (i, j) is
//   kNone: 0 if i == j else 1;  kLinear: |i - j|;  kQuadratic: (i - j)^2,
// and kappa_w = 1 - sum_ij w_ij p_ij / sum_ij w_ij p_i. p_.j (which for kNone
// is (p_o - p_e) / (1 - p_e)). Undefined (InvalidArgument) when the expected
// disagreement is 0, e.g. when both raters used a single category.
enum class KappaWeights { kNone, kLinear, kQuadratic };
const char* KappaWeightsName(KappaWeights w);

struct CohenResult {
  double kappa = 0;
  // Agreement on the weighted scale: 1 - (weighted disagreement / largest
  // weight). For kNone these are the usual p_o and p_e.
  double observed_agreement = 0;
  double expected_agreement = 0;
  uint64_t items = 0;
};

// confusion[i][j] = number of items rater A put in category i and rater B in
// category j. Must be square and non-empty, with at least one item.
Status CohenKappa(const std::vector<std::vector<uint64_t>>& confusion, KappaWeights weights,
                  CohenResult* out);

// rater_a[i], rater_b[i]: the category indices both raters gave item i (the
// vectors must have equal length); every index must be < num_categories.
Status CohenKappa(const std::vector<size_t>& rater_a, const std::vector<size_t>& rater_b,
                  size_t num_categories, KappaWeights weights, CohenResult* out);

// ---------------------------------------------------------------------------
// Percent agreement
// ---------------------------------------------------------------------------
//
// For each pairable unit (m_u >= 2 values): the share of ordered pairs of its
// values that are equal, sum_c n_uc (n_uc - 1) / (m_u (m_u - 1)); the result
// is the mean over pairable units (unweighted). Units with fewer than two
// values are ignored; InvalidArgument when no unit is pairable.
struct PercentAgreementResult {
  double agreement = 0;
  size_t pairable_units = 0;
};
Status PercentAgreement(const std::vector<UnitValueCounts>& units, PercentAgreementResult* out);
Status PercentAgreement(const std::vector<std::vector<std::optional<double>>>& data,
                        PercentAgreementResult* out);

}  // namespace annodb::stats
