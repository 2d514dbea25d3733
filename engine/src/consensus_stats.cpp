// Project agreement statistics from the store (consensus.h, ComputeAgreement).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "annodb/consensus.h"
#include "annodb/keys.h"
#include "annodb/members.h"
#include "consensus_views.h"

namespace annodb {
namespace ci = consensus_internal;
namespace {

const char* const kMetricNames[] = {"krippendorff_alpha", "fleiss_kappa", "cohen_kappa", "percent_agreement"};

// A whole-string decimal number (no spaces, no trailing text).
bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end && std::isfinite(*out);
}

// The value counts of one feature: (asset, counts), in asset order.
Status LoadValueCounts(const ReadTxn& txn, uint64_t project, uint32_t feature,
                       std::vector<std::pair<uint64_t, ci::ValueCounts>>* out) {
  std::string prefix = KeyBuilder().U64(project).U32(feature).str();
  Status inner;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kConsensusValues, prefix, prefix, [&](std::string_view k, std::string_view v) {
    if (k.size() != 20) {
      inner = Status::Corruption("consensus value counts key has the wrong size");
      return false;
    }
    out->emplace_back(DecodeU64(k.data() + 12), ci::ValueCounts());
    inner = ci::DecodeValues(v, &out->back().second);
    return inner.ok();
  }));
  return inner;
}

// option index of `feature` per asset for one member's counted human labels.
Status MemberValues(const ReadTxn& txn, uint64_t project, uint64_t member, const FeatureDef& f,
                    std::map<uint64_t, size_t>* out) {
  std::string prefix = KeyBuilder().U64(project).U64(member).str();
  Status inner;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLabelByAuthor, prefix, prefix, [&](std::string_view k, std::string_view) {
    uint64_t id = DecodeU64(k.data() + k.size() - 8);
    RecordView v;
    inner = txn.Get(RecordKind::Label, id, &v);
    if (!inner.ok()) return false;
    const fb::Label* l = v.As<fb::Label>();
    if (l->source() != LabelSource::Human || !ci::Counts(l->source(), l->status()) || !l->annotations()) return true;
    for (const fb::Annotation* a : *l->annotations()) {
      if (!a->feature() || a->feature()->string_view() != f.name || !a->value()) continue;
      auto it = std::find(f.options.begin(), f.options.end(), a->value()->str());
      if (it != f.options.end()) (*out)[l->asset_id()] = static_cast<size_t>(it - f.options.begin());
    }
    return true;
  }));
  return inner;
}

Status MemberExists(const ReadTxn& txn, uint64_t id) {
  MemberInfo m;
  Status s = GetMember(txn, id, &m);
  if (s.IsNotFound()) return Status::NotFound("member " + std::to_string(id) + " does not exist");
  return s;
}

Status FeatureReport(const ReadTxn& txn, const AgreementRequest& req, uint32_t fi, const FeatureDef& f,
                     AgreementReport* r) {
  r->feature = f.name;
  r->metric = req.metric;
  auto undefined = [&](const Status& s) {
    r->value.reset();
    r->note = s.message();
    return Status::OK();
  };
  if (req.metric == AgreementMetric::kCohenKappa) {
    std::map<uint64_t, size_t> va, vb;
    ANNODB_RETURN_IF_ERROR(MemberValues(txn, req.project_id, req.member_a, f, &va));
    ANNODB_RETURN_IF_ERROR(MemberValues(txn, req.project_id, req.member_b, f, &vb));
    std::vector<size_t> ra, rb;
    for (auto [asset, o] : va) {
      auto it = vb.find(asset);
      if (it == vb.end()) continue;
      ra.push_back(o);
      rb.push_back(it->second);
    }
    r->units = ra.size();
    r->labels = 2 * ra.size();
    r->units_left_out = va.size() + vb.size() - 2 * ra.size();
    if (r->units_left_out)
      r->note = std::to_string(r->units_left_out) + " assets labelled by only one of the two members were left out";
    if (ra.empty()) return undefined(Status::InvalidArgument("the two members labelled no asset in common"));
    stats::CohenResult cr;
    Status s = stats::CohenKappa(ra, rb, f.options.size(), req.weights, &cr);
    if (s.IsInvalidArgument()) return undefined(s);
    ANNODB_RETURN_IF_ERROR(s);
    r->value = cr.kappa;
    return Status::OK();
  }
  std::vector<std::pair<uint64_t, ci::ValueCounts>> counts;
  ANNODB_RETURN_IF_ERROR(LoadValueCounts(txn, req.project_id, fi, &counts));
  for (const auto& [asset, vc] : counts)
    for (auto [o, n] : vc)
      if (o >= f.options.size()) return Status::Corruption("consensus value counts name an option the ontology lacks");

  if (req.metric == AgreementMetric::kFleissKappa) {
    // The most common label count (>= 2) wins; ties go to the larger count.
    std::map<uint64_t, uint64_t> by_m;
    for (const auto& [asset, vc] : counts) {
      uint64_t m = 0;
      for (auto [o, n] : vc) m += n;
      by_m[m] += 1;
    }
    uint64_t best_m = 0, best_n = 0;
    for (auto [m, n] : by_m)
      if (m >= 2 && n >= best_n) best_m = m, best_n = n;
    std::vector<std::vector<uint64_t>> table;
    for (const auto& [asset, vc] : counts) {
      uint64_t m = 0;
      for (auto [o, n] : vc) m += n;
      if (m != best_m) continue;
      std::vector<uint64_t> row(f.options.size(), 0);
      for (auto [o, n] : vc) row[o] = n;
      table.push_back(std::move(row));
    }
    r->units = table.size();
    r->labels = table.size() * best_m;
    r->units_left_out = counts.size() - table.size();
    if (r->units_left_out)
      r->note = "used the " + std::to_string(table.size()) + " assets with " + std::to_string(best_m) +
                " labels each; left out " + std::to_string(r->units_left_out) + " assets with another number of labels";
    if (table.empty()) return undefined(Status::InvalidArgument("no asset has two or more labels"));
    stats::FleissResult fr;
    Status s = stats::FleissKappa(table, &fr);
    if (s.IsInvalidArgument()) {
      std::string left = r->note;
      undefined(s);
      if (!left.empty()) r->note += "; " + left;
      return Status::OK();
    }
    ANNODB_RETURN_IF_ERROR(s);
    r->value = fr.kappa;
    return Status::OK();
  }

  // Alpha and percent agreement: unit value counts.
  std::vector<double> option_value(f.options.size());
  for (size_t i = 0; i < f.options.size(); ++i) option_value[i] = static_cast<double>(i);
  stats::AlphaOptions ao;
  ao.level = req.level;
  if (req.metric == AgreementMetric::kKrippendorffAlpha) {
    if (req.level == stats::Level::kInterval || req.level == stats::Level::kRatio) {
      for (size_t i = 0; i < f.options.size(); ++i)
        if (!ParseNumber(f.options[i], &option_value[i]))
          return Status::InvalidArgument("option '" + f.options[i] + "' of feature '" + f.name + "' is not a number; " +
                                         stats::LevelName(req.level) + " alpha reads the options as numbers");
    } else if (req.level == stats::Level::kOrdinal) {
      ao.ordinal_categories = option_value;  // the ontology's option order
    }
  }
  std::vector<stats::UnitValueCounts> units;
  units.reserve(counts.size());
  for (const auto& [asset, vc] : counts) {
    stats::UnitValueCounts u;
    for (auto [o, n] : vc) u[option_value[o]] += n;
    units.push_back(std::move(u));
  }
  if (req.metric == AgreementMetric::kPercentAgreement) {
    stats::PercentAgreementResult pr;
    uint64_t values = 0;
    for (const auto& [asset, vc] : counts) {
      uint64_t m = 0;
      for (auto [o, n] : vc) m += n;
      if (m >= 2) values += m;
    }
    r->labels = values;
    Status s = stats::PercentAgreement(units, &pr);
    if (s.IsInvalidArgument()) return undefined(s);
    ANNODB_RETURN_IF_ERROR(s);
    r->value = pr.agreement;
    r->units = pr.pairable_units;
    return Status::OK();
  }
  stats::AlphaResult ar;
  Status s = stats::KrippendorffAlpha(units, ao, &ar);
  uint64_t pairable = 0, values = 0;
  for (const auto& [asset, vc] : counts) {
    uint64_t m = 0;
    for (auto [o, n] : vc) m += n;
    if (m >= 2) ++pairable, values += m;
  }
  r->units = pairable;
  r->labels = values;
  if (s.IsInvalidArgument()) return undefined(s);
  ANNODB_RETURN_IF_ERROR(s);
  r->value = ar.alpha;
  return Status::OK();
}

}  // namespace

const char* AgreementMetricName(AgreementMetric m) {
  auto i = static_cast<size_t>(m);
  return i < std::size(kMetricNames) ? kMetricNames[i] : "unknown";
}
bool ParseAgreementMetric(std::string_view name, AgreementMetric* out) {
  for (size_t i = 0; i < std::size(kMetricNames); ++i)
    if (name == kMetricNames[i]) return (*out = static_cast<AgreementMetric>(i)), true;
  return false;
}
bool ParseAlphaLevel(std::string_view name, stats::Level* out) {
  for (stats::Level l : {stats::Level::kNominal, stats::Level::kOrdinal, stats::Level::kInterval, stats::Level::kRatio})
    if (name == stats::LevelName(l)) return (*out = l), true;
  return false;
}
bool ParseKappaWeights(std::string_view name, stats::KappaWeights* out) {
  if (name == "none" || name == "unweighted") return (*out = stats::KappaWeights::kNone), true;
  if (name == "linear") return (*out = stats::KappaWeights::kLinear), true;
  if (name == "quadratic") return (*out = stats::KappaWeights::kQuadratic), true;
  return false;
}

Status ComputeAgreement(const ReadTxn& txn, const AgreementRequest& req, std::vector<AgreementReport>* out) {
  ProjectInfo project;
  Status s = GetProject(txn, req.project_id, kCurrent, &project);
  if (s.IsNotFound()) return Status::NotFound("project " + std::to_string(req.project_id) + " does not exist");
  ANNODB_RETURN_IF_ERROR(s);
  if (static_cast<size_t>(req.metric) >= std::size(kMetricNames)) return Status::InvalidArgument("unknown agreement metric");
  if (req.metric == AgreementMetric::kCohenKappa) {
    if (!req.member_a || !req.member_b) return Status::InvalidArgument("Cohen's kappa needs two members");
    if (req.member_a == req.member_b) return Status::InvalidArgument("Cohen's kappa needs two different members");
    ANNODB_RETURN_IF_ERROR(MemberExists(txn, req.member_a));
    ANNODB_RETURN_IF_ERROR(MemberExists(txn, req.member_b));
  }
  std::vector<AgreementReport> reports;
  for (uint32_t fi = 0; fi < project.features.size(); ++fi) {
    const FeatureDef& f = project.features[fi];
    if (!req.feature.empty() && f.name != req.feature) continue;
    if (f.kind != FeatureKind::Classification) {
      if (req.feature.empty()) continue;
      return Status::InvalidArgument("feature '" + f.name + "' is a " + FeatureKindName(f.kind) + " feature; " +
                                     AgreementMetricName(req.metric) + " needs a classification feature");
    }
    AgreementReport r;
    ANNODB_RETURN_IF_ERROR(FeatureReport(txn, req, fi, f, &r));
    reports.push_back(std::move(r));
  }
  if (!req.feature.empty() && reports.empty())
    return Status::NotFound("project '" + project.name + "' has no feature '" + req.feature + "'");
  if (reports.empty()) return Status::InvalidArgument("project '" + project.name + "' has no classification feature");
  *out = std::move(reports);
  return Status::OK();
}

}  // namespace annodb
