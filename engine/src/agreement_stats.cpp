// Agreement statistics. Formulas: docs/consensus.md and agreement_stats.h.
#include "annodb/agreement_stats.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <string_view>
#include <system_error>
#include <utility>

#include "exception_status.h"

namespace annodb::stats {
namespace {

std::string Num(double v) {
  // Shortest round-trip text for a double, for error messages.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

// One pairable unit in compact form: (index of the value, count) pairs.
struct CompactUnit {
  std::vector<std::pair<size_t, double>> cells;
  double m = 0;  // number of values in the unit
};

// The units reduced to what alpha needs: distinct pairable values sorted by
// the metric's order, their marginals n_c, and each pairable unit's cells.
struct Prepared {
  std::vector<double> values;     // the value itself (for interval / ratio)
  std::vector<double> marginals;  // n_c
  double n = 0;
  std::vector<CompactUnit> units;
};

Status ValidateValue(double v, size_t unit, Level level) {
  if (!std::isfinite(v)) {
    return Status::InvalidArgument("unit " + std::to_string(unit) + ": value " + Num(v) +
                                   " is not a finite number");
  }
  if (level == Level::kRatio && v < 0) {
    return Status::InvalidArgument("unit " + std::to_string(unit) + ": value " + Num(v) +
                                   " is negative, which a ratio scale does not allow");
  }
  return Status::OK();
}

// Builds the Prepared form. `rank_of` maps a value to its sort key (the
// ordinal rank when ordinal categories are given, else the value itself).
Status Prepare(const std::vector<UnitValueCounts>& units, const AlphaOptions& options, Prepared* out) {
  std::map<double, double> rank_of;  // value -> sort key (only when categories are given)
  const bool ranked = options.level == Level::kOrdinal && !options.ordinal_categories.empty();
  if (ranked) {
    for (size_t i = 0; i < options.ordinal_categories.size(); ++i) {
      double c = options.ordinal_categories[i];
      if (!std::isfinite(c)) {
        return Status::InvalidArgument("ordinal category " + std::to_string(i) + " is not a finite number");
      }
      if (!rank_of.emplace(c, static_cast<double>(i)).second) {
        return Status::InvalidArgument("ordinal category " + Num(c) + " is listed twice");
      }
    }
  }

  // Pass 1: validate, find pairable units and the distinct pairable values.
  std::map<double, double> distinct;  // sort key -> value
  for (size_t u = 0; u < units.size(); ++u) {
    double m = 0;
    for (const auto& [v, count] : units[u]) {
      if (count == 0) continue;
      ANNODB_RETURN_IF_ERROR(ValidateValue(v, u, options.level));
      if (ranked && rank_of.find(v) == rank_of.end()) {
        return Status::InvalidArgument("unit " + std::to_string(u) + ": value " + Num(v) +
                                       " is not one of the ordinal categories");
      }
      m += static_cast<double>(count);
    }
    if (m < 2) continue;
    for (const auto& [v, count] : units[u]) {
      if (count == 0) continue;
      distinct.emplace(ranked ? rank_of[v] : v, v);
    }
  }

  Prepared p;
  std::map<double, size_t> index_of;  // value -> index in p.values
  p.values.reserve(distinct.size());
  for (const auto& [key, v] : distinct) {
    index_of.emplace(v, p.values.size());
    p.values.push_back(v);
  }
  p.marginals.assign(p.values.size(), 0.0);

  // Pass 2: compact units and marginals (sum_k o_ck = n_c = sum_u n_uc).
  for (const auto& unit : units) {
    CompactUnit cu;
    for (const auto& [v, count] : unit) {
      if (count == 0) continue;
      cu.m += static_cast<double>(count);
    }
    if (cu.m < 2) continue;
    for (const auto& [v, count] : unit) {
      if (count == 0) continue;
      size_t idx = index_of.at(v);
      cu.cells.emplace_back(idx, static_cast<double>(count));
      p.marginals[idx] += static_cast<double>(count);
    }
    p.n += cu.m;
    p.units.push_back(std::move(cu));
  }
  *out = std::move(p);
  return Status::OK();
}

// delta^2 for the metric; `prefix[i]` = sum of marginals of indices < i.
class Metric {
 public:
  Metric(Level level, const Prepared& p) : level_(level), p_(p) {
    if (level_ == Level::kOrdinal) {
      prefix_.assign(p.values.size() + 1, 0.0);
      for (size_t i = 0; i < p.values.size(); ++i) prefix_[i + 1] = prefix_[i] + p.marginals[i];
    }
  }
  double Delta2(size_t c, size_t k) const {
    if (c == k) return 0;
    switch (level_) {
      case Level::kNominal:
        return 1;
      case Level::kOrdinal: {
        size_t lo = std::min(c, k), hi = std::max(c, k);
        double d = prefix_[hi + 1] - prefix_[lo] - (p_.marginals[c] + p_.marginals[k]) / 2;
        return d * d;
      }
      case Level::kInterval: {
        double d = p_.values[c] - p_.values[k];
        return d * d;
      }
      case Level::kRatio: {
        double a = p_.values[c], b = p_.values[k];
        if (a + b == 0) return 0;
        double d = (a - b) / (a + b);
        return d * d;
      }
    }
    return 0;
  }

 private:
  Level level_;
  const Prepared& p_;
  std::vector<double> prefix_;
};

// sum_c sum_k n_c n_k delta2(c,k).
double ExpectedSum(Level level, const Prepared& p, const Metric& metric) {
  const auto& nc = p.marginals;
  const size_t v = nc.size();
  if (level == Level::kNominal) {
    double sq = 0;
    for (double x : nc) sq += x * x;
    return p.n * p.n - sq;
  }
  if (level == Level::kInterval) {
    // sum_c sum_k n_c n_k (c - k)^2 = 2 n sum_c n_c (c - mean)^2.
    double mean = 0;
    for (size_t i = 0; i < v; ++i) mean += nc[i] * p.values[i];
    mean /= p.n;
    double ss = 0;
    for (size_t i = 0; i < v; ++i) ss += nc[i] * (p.values[i] - mean) * (p.values[i] - mean);
    return 2 * p.n * ss;
  }
  double sum = 0;  // ordinal, ratio: O(V^2) over the distinct values
  for (size_t c = 0; c < v; ++c) {
    for (size_t k = c + 1; k < v; ++k) sum += nc[c] * nc[k] * metric.Delta2(c, k);
  }
  return 2 * sum;
}

Status AlphaFromPrepared(const Prepared& p, Level level, AlphaResult* out) {
  if (p.units.empty()) {
    return Status::InvalidArgument(
        "no pairable units: Krippendorff's alpha needs at least one unit with two or more values");
  }
  if (p.values.size() < 2) {
    // Appended piecewise: GCC 12 reports a false -Warray-bounds on the
    // equivalent chain of operator+ at -O2.
    std::string msg(kAlphaUndefinedMessage);
    msg.append(": expected disagreement is 0 because every pairable value is ");
    msg.append(Num(p.values.front()));
    return Status::InvalidArgument(std::move(msg));
  }
  Metric metric(level, p);
  // sum_c sum_k o_ck delta2(c,k), accumulated unit by unit (the diagonal of
  // o contributes nothing since delta2(c,c) = 0).
  double observed_sum = 0;
  for (const auto& u : p.units) {
    double s = 0;
    for (size_t a = 0; a < u.cells.size(); ++a) {
      for (size_t b = a + 1; b < u.cells.size(); ++b) {
        s += u.cells[a].second * u.cells[b].second * metric.Delta2(u.cells[a].first, u.cells[b].first);
      }
    }
    observed_sum += 2 * s / (u.m - 1);
  }
  double expected_sum = ExpectedSum(level, p, metric);
  if (!(expected_sum > 0)) {
    std::string msg(kAlphaUndefinedMessage);
    msg.append(": expected disagreement is 0");
    return Status::InvalidArgument(std::move(msg));
  }
  AlphaResult r;
  r.observed_disagreement = observed_sum / p.n;
  r.expected_disagreement = expected_sum / (p.n * (p.n - 1));
  r.alpha = 1 - (p.n - 1) * observed_sum / expected_sum;
  r.pairable_values = p.n;
  r.pairable_units = p.units.size();
  r.distinct_values = p.values.size();
  *out = r;
  return Status::OK();
}

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

}  // namespace

const char* LevelName(Level level) {
  switch (level) {
    case Level::kNominal: return "nominal";
    case Level::kOrdinal: return "ordinal";
    case Level::kInterval: return "interval";
    case Level::kRatio: return "ratio";
  }
  return "unknown";
}

bool IsAlphaUndefined(const Status& s) {
  return s.IsInvalidArgument() && s.message().rfind(kAlphaUndefinedMessage, 0) == 0;
}

Status ToUnitValueCounts(const std::vector<std::vector<std::optional<double>>>& data,
                         std::vector<UnitValueCounts>* out) {
  std::vector<UnitValueCounts> units;
  units.reserve(data.size());
  const size_t coders = data.empty() ? 0 : data.front().size();
  for (size_t u = 0; u < data.size(); ++u) {
    if (data[u].size() != coders) {
      return Status::InvalidArgument("unit " + std::to_string(u) + " has " + std::to_string(data[u].size()) +
                                     " coder columns but unit 0 has " + std::to_string(coders));
    }
    UnitValueCounts counts;
    for (size_t c = 0; c < coders; ++c) {
      if (!data[u][c]) continue;
      double v = *data[u][c];
      if (!std::isfinite(v)) {
        return Status::InvalidArgument("unit " + std::to_string(u) + ", coder " + std::to_string(c) +
                                       ": value is not a finite number");
      }
      ++counts[v == 0 ? 0.0 : v];  // fold -0.0 into 0.0
    }
    units.push_back(std::move(counts));
  }
  *out = std::move(units);
  return Status::OK();
}

Status KrippendorffAlpha(const std::vector<UnitValueCounts>& units, const AlphaOptions& options,
                         AlphaResult* out) {
  if (out == nullptr) return Status::InvalidArgument("KrippendorffAlpha: out is null");
  if (units.empty()) return Status::InvalidArgument("KrippendorffAlpha: no units");
  try {
    Prepared p;
    ANNODB_RETURN_IF_ERROR(Prepare(units, options, &p));
    return AlphaFromPrepared(p, options.level, out);
  } catch (const std::exception& e) {
    return ExceptionStatus("KrippendorffAlpha", e);
  }
}

Status KrippendorffAlpha(const std::vector<std::vector<std::optional<double>>>& data,
                         const AlphaOptions& options, AlphaResult* out) {
  if (out == nullptr) return Status::InvalidArgument("KrippendorffAlpha: out is null");
  if (data.empty()) return Status::InvalidArgument("KrippendorffAlpha: no units");
  try {
    std::vector<UnitValueCounts> units;
    ANNODB_RETURN_IF_ERROR(ToUnitValueCounts(data, &units));
    return KrippendorffAlpha(units, options, out);
  } catch (const std::exception& e) {
    return ExceptionStatus("KrippendorffAlpha", e);
  }
}

Status KrippendorffAlphaLabels(const std::vector<std::vector<std::optional<std::string>>>& data,
                               Level level, const std::vector<std::string>& categories,
                               AlphaResult* out) {
  if (out == nullptr) return Status::InvalidArgument("KrippendorffAlphaLabels: out is null");
  if (data.empty()) return Status::InvalidArgument("KrippendorffAlphaLabels: no units");
  try {
    std::map<std::string, double, std::less<>> index;  // label -> numeric code
    if (level == Level::kOrdinal) {
      if (categories.empty()) {
        return Status::InvalidArgument("ordinal alpha on text labels needs the ordered list of categories");
      }
      for (size_t i = 0; i < categories.size(); ++i) {
        if (!index.emplace(categories[i], static_cast<double>(i)).second) {
          return Status::InvalidArgument("ordinal category '" + categories[i] + "' is listed twice");
        }
      }
    }
    std::vector<std::vector<std::optional<double>>> numeric(data.size());
    for (size_t u = 0; u < data.size(); ++u) {
      numeric[u].resize(data[u].size());
      for (size_t c = 0; c < data[u].size(); ++c) {
        if (!data[u][c]) continue;
        const std::string& label = *data[u][c];
        double v = 0;
        switch (level) {
          case Level::kNominal: {
            auto it = index.try_emplace(label, static_cast<double>(index.size())).first;
            v = it->second;
            break;
          }
          case Level::kOrdinal: {
            auto it = index.find(label);
            if (it == index.end()) {
              return Status::InvalidArgument("unit " + std::to_string(u) + ", coder " + std::to_string(c) +
                                             ": label '" + label + "' is not one of the ordinal categories");
            }
            v = it->second;
            break;
          }
          case Level::kInterval:
          case Level::kRatio:
            if (!ParseNumber(label, &v)) {
              return Status::InvalidArgument("unit " + std::to_string(u) + ", coder " + std::to_string(c) +
                                             ": label '" + label + "' is not numeric, which " +
                                             LevelName(level) + " alpha requires");
            }
            break;
        }
        numeric[u][c] = v;
      }
    }
    AlphaOptions options;
    options.level = level;  // ordinal labels became their ranks: numeric order is the category order
    return KrippendorffAlpha(numeric, options, out);
  } catch (const std::exception& e) {
    return ExceptionStatus("KrippendorffAlphaLabels", e);
  }
}

Status BuildCoincidenceMatrix(const std::vector<UnitValueCounts>& units, CoincidenceMatrix* out) {
  if (out == nullptr) return Status::InvalidArgument("BuildCoincidenceMatrix: out is null");
  try {
    Prepared p;
    AlphaOptions options;  // nominal: any finite value, ascending order
    ANNODB_RETURN_IF_ERROR(Prepare(units, options, &p));
    CoincidenceMatrix cm;
    cm.values = p.values;
    cm.marginals = p.marginals;
    cm.n = p.n;
    cm.o.assign(p.values.size(), std::vector<double>(p.values.size(), 0.0));
    for (const auto& u : p.units) {
      for (const auto& [c, nc] : u.cells) {
        for (const auto& [k, nk] : u.cells) {
          cm.o[c][k] += (c == k ? nc * (nc - 1) : nc * nk) / (u.m - 1);
        }
      }
    }
    *out = std::move(cm);
    return Status::OK();
  } catch (const std::exception& e) {
    return ExceptionStatus("BuildCoincidenceMatrix", e);
  }
}

// ---------------------------------------------------------------------------

Status FleissKappa(const std::vector<std::vector<uint64_t>>& counts, FleissResult* out) {
  if (out == nullptr) return Status::InvalidArgument("FleissKappa: out is null");
  if (counts.empty()) return Status::InvalidArgument("FleissKappa: no units");
  const size_t k = counts.front().size();
  if (k == 0) return Status::InvalidArgument("FleissKappa: no categories");
  try {
    uint64_t n = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      if (counts[i].size() != k) {
        return Status::InvalidArgument("FleissKappa: unit " + std::to_string(i) + " has " +
                                       std::to_string(counts[i].size()) + " categories but unit 0 has " +
                                       std::to_string(k));
      }
      uint64_t total = 0;
      for (uint64_t c : counts[i]) total += c;
      if (i == 0) {
        n = total;
      } else if (total != n) {
        return Status::InvalidArgument("FleissKappa: unit " + std::to_string(i) + " has " + std::to_string(total) +
                                       " ratings but unit 0 has " + std::to_string(n) +
                                       "; Fleiss' kappa needs the same number of raters for every unit");
      }
    }
    if (n < 2) {
      return Status::InvalidArgument("FleissKappa: every unit needs at least 2 ratings, got " + std::to_string(n));
    }
    const double dn = static_cast<double>(n);
    const double units = static_cast<double>(counts.size());
    FleissResult r;
    r.raters_per_unit = n;
    r.category_proportions.assign(k, 0.0);
    double p_bar = 0;
    for (const auto& row : counts) {
      double sq = 0;
      for (size_t j = 0; j < k; ++j) {
        double c = static_cast<double>(row[j]);
        sq += c * c;
        r.category_proportions[j] += c;
      }
      p_bar += (sq - dn) / (dn * (dn - 1));
    }
    p_bar /= units;
    double p_e = 0;
    for (double& p : r.category_proportions) {
      p /= units * dn;
      p_e += p * p;
    }
    if (!(p_e < 1)) {
      return Status::InvalidArgument(
          "FleissKappa: kappa is undefined because every rating is in the same category (P_e = 1)");
    }
    r.observed_agreement = p_bar;
    r.expected_agreement = p_e;
    r.kappa = (p_bar - p_e) / (1 - p_e);
    *out = std::move(r);
    return Status::OK();
  } catch (const std::exception& e) {
    return ExceptionStatus("FleissKappa", e);
  }
}

// ---------------------------------------------------------------------------

const char* KappaWeightsName(KappaWeights w) {
  switch (w) {
    case KappaWeights::kNone: return "none";
    case KappaWeights::kLinear: return "linear";
    case KappaWeights::kQuadratic: return "quadratic";
  }
  return "unknown";
}

Status CohenKappa(const std::vector<std::vector<uint64_t>>& confusion, KappaWeights weights, CohenResult* out) {
  if (out == nullptr) return Status::InvalidArgument("CohenKappa: out is null");
  const size_t k = confusion.size();
  if (k == 0) return Status::InvalidArgument("CohenKappa: empty confusion matrix");
  for (size_t i = 0; i < k; ++i) {
    if (confusion[i].size() != k) {
      return Status::InvalidArgument("CohenKappa: confusion matrix must be square: row " + std::to_string(i) +
                                     " has " + std::to_string(confusion[i].size()) + " columns, expected " +
                                     std::to_string(k));
    }
  }
  try {
    std::vector<double> rows(k, 0.0), cols(k, 0.0);
    double total = 0;
    uint64_t items = 0;
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = 0; j < k; ++j) {
        double c = static_cast<double>(confusion[i][j]);
        rows[i] += c;
        cols[j] += c;
        total += c;
        items += confusion[i][j];
      }
    }
    if (items == 0) return Status::InvalidArgument("CohenKappa: no items");
    auto weight = [weights](size_t i, size_t j) -> double {
      double d = i > j ? static_cast<double>(i - j) : static_cast<double>(j - i);
      switch (weights) {
        case KappaWeights::kNone: return i == j ? 0.0 : 1.0;
        case KappaWeights::kLinear: return d;
        case KappaWeights::kQuadratic: return d * d;
      }
      return 0.0;
    };
    double observed = 0, expected = 0;
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = 0; j < k; ++j) {
        double w = weight(i, j);
        if (w == 0) continue;
        observed += w * static_cast<double>(confusion[i][j]) / total;
        expected += w * (rows[i] / total) * (cols[j] / total);
      }
    }
    if (!(expected > 0)) {
      return Status::InvalidArgument(
          "CohenKappa: kappa is undefined because the expected disagreement is 0 "
          "(both raters used one and the same category)");
    }
    double w_max = weight(0, k - 1);
    CohenResult r;
    r.kappa = 1 - observed / expected;
    r.observed_agreement = 1 - observed / w_max;
    r.expected_agreement = 1 - expected / w_max;
    r.items = items;
    *out = r;
    return Status::OK();
  } catch (const std::exception& e) {
    return ExceptionStatus("CohenKappa", e);
  }
}

Status CohenKappa(const std::vector<size_t>& rater_a, const std::vector<size_t>& rater_b, size_t num_categories,
                  KappaWeights weights, CohenResult* out) {
  if (out == nullptr) return Status::InvalidArgument("CohenKappa: out is null");
  if (rater_a.size() != rater_b.size()) {
    return Status::InvalidArgument("CohenKappa: rater A has " + std::to_string(rater_a.size()) +
                                   " items but rater B has " + std::to_string(rater_b.size()));
  }
  if (rater_a.empty()) return Status::InvalidArgument("CohenKappa: no items");
  if (num_categories == 0) return Status::InvalidArgument("CohenKappa: no categories");
  try {
    std::vector<std::vector<uint64_t>> confusion(num_categories, std::vector<uint64_t>(num_categories, 0));
    for (size_t i = 0; i < rater_a.size(); ++i) {
      if (rater_a[i] >= num_categories || rater_b[i] >= num_categories) {
        return Status::InvalidArgument("CohenKappa: item " + std::to_string(i) + " has category " +
                                       std::to_string(std::max(rater_a[i], rater_b[i])) + " but there are only " +
                                       std::to_string(num_categories) + " categories");
      }
      ++confusion[rater_a[i]][rater_b[i]];
    }
    return CohenKappa(confusion, weights, out);
  } catch (const std::exception& e) {
    return ExceptionStatus("CohenKappa", e);
  }
}

// ---------------------------------------------------------------------------

Status PercentAgreement(const std::vector<UnitValueCounts>& units, PercentAgreementResult* out) {
  if (out == nullptr) return Status::InvalidArgument("PercentAgreement: out is null");
  if (units.empty()) return Status::InvalidArgument("PercentAgreement: no units");
  double sum = 0;
  size_t pairable = 0;
  for (size_t u = 0; u < units.size(); ++u) {
    double m = 0, same = 0;
    for (const auto& [v, count] : units[u]) {
      if (count == 0) continue;
      if (std::isnan(v)) {
        return Status::InvalidArgument("PercentAgreement: unit " + std::to_string(u) + " has a NaN value");
      }
      double c = static_cast<double>(count);
      m += c;
      same += c * (c - 1);
    }
    if (m < 2) continue;
    sum += same / (m * (m - 1));
    ++pairable;
  }
  if (pairable == 0) {
    return Status::InvalidArgument("PercentAgreement: no pairable units (every unit has fewer than 2 values)");
  }
  out->agreement = sum / static_cast<double>(pairable);
  out->pairable_units = pairable;
  return Status::OK();
}

Status PercentAgreement(const std::vector<std::vector<std::optional<double>>>& data, PercentAgreementResult* out) {
  if (out == nullptr) return Status::InvalidArgument("PercentAgreement: out is null");
  if (data.empty()) return Status::InvalidArgument("PercentAgreement: no units");
  try {
    std::vector<UnitValueCounts> units;
    ANNODB_RETURN_IF_ERROR(ToUnitValueCounts(data, &units));
    return PercentAgreement(units, out);
  } catch (const std::exception& e) {
    return ExceptionStatus("PercentAgreement", e);
  }
}

}  // namespace annodb::stats
