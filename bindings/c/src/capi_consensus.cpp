// The C ABI: consensus (per-asset and per-member views, agreement
// statistics, aggregated labels, rebuild and check of the views). The JSON
// shapes are those of the CLI's --json (tools/annodb/cmd_consensus.cpp).
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "annodb/consensus.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "annodb/schema/asset_generated.h"
#include "internal.h"

namespace annodb::capi {
namespace {

using ojson = nlohmann::ordered_json;

constexpr size_t kAgreementOptionsSizeV1 = sizeof(annodb_agreement_options);
constexpr size_t kAggregateOptionsSizeV1 = sizeof(annodb_aggregate_options);
constexpr size_t kMaxListLimit = 100000;

ojson Opt(const std::optional<double>& v) { return v ? ojson(*v) : ojson(nullptr); }

Status CheckLimit(size_t limit) {
  if (limit > kMaxListLimit)
    return Status::InvalidArgument("limit " + std::to_string(limit) + " is out of range (0 = 1000, at most " +
                                   std::to_string(kMaxListLimit) + ")");
  return Status::OK();
}

// A name argument: required, valid UTF-8 (the engine checks the length).
Status NameArg(const char* s, const char* what) {
  ANNODB_RETURN_IF_ERROR(RequireString(s, what));
  if (!ValidUtf8(s)) return Status::InvalidArgument(std::string(what) + " is not valid UTF-8");
  return Status::OK();
}

Status ExternalId(const ReadTxn& txn, uint64_t asset, std::string* out) {
  RecordView v;
  Status s = txn.GetIncludingDeleted(RecordKind::Asset, asset, &v);
  if (!s.ok()) return s;
  const auto* a = v.As<fb::Asset>();
  *out = a->external_id() ? a->external_id()->str() : "";
  return Status::OK();
}

Status ViewJson(const ReadTxn& t, const AssetConsensus& c, ojson* out) {
  std::string ext;
  ANNODB_RETURN_IF_ERROR(ExternalId(t, c.asset_id, &ext));
  ojson features = ojson::object();
  for (const FeatureConsensus& f : c.features) features[f.feature] = {{"score", f.score}, {"pairs", f.pairs}};
  *out = {{"asset_id", c.asset_id},
          {"external_id", ext},
          {"score", Opt(c.score)},
          {"labels", c.label_count},
          {"gold_labels", c.gold_count},
          {"pairs", c.pairs},
          {"best_label_id", c.best_label_id ? ojson(c.best_label_id) : ojson(nullptr)},
          {"features", features},
          {"label_ids", c.label_ids}};
  return Status::OK();
}

// One page of views, fetched with one view more than the page (`page`
// rows): {"items":[...],"next":<last asset id> or null when nothing is left}.
Status ViewsPageJson(const ReadTxn& t, std::vector<AssetConsensus> views, size_t page, std::string* out) {
  ojson next = nullptr;
  if (views.size() > page) {
    views.resize(page);
    next = views.back().asset_id;
  }
  ojson arr = ojson::array();
  for (const AssetConsensus& c : views) {
    ojson j;
    ANNODB_RETURN_IF_ERROR(ViewJson(t, c, &j));
    arr.push_back(std::move(j));
  }
  *out = Dump(ojson{{"items", std::move(arr)}, {"next", std::move(next)}});
  return Status::OK();
}

Status MemberName(const ReadTxn& t, uint64_t id, std::map<uint64_t, std::string>* cache, std::string* out) {
  auto it = cache->find(id);
  if (it == cache->end()) {
    MemberInfo m;
    ANNODB_RETURN_IF_ERROR(GetMember(t, id, &m));
    it = cache->emplace(id, m.name).first;
  }
  *out = it->second;
  return Status::OK();
}

// ---- agreement ----

Status ToAgreementRequest(const annodb_agreement_options* o, AgreementRequest* req, std::string* ma, std::string* mb) {
  *req = AgreementRequest();
  if (o == nullptr) return Status::OK();
  ANNODB_RETURN_IF_ERROR(CheckStructSize(o, o->struct_size, kAgreementOptionsSizeV1, sizeof(annodb_agreement_options),
                                         "annodb_agreement_options"));
  if (o->metric < ANNODB_METRIC_KRIPPENDORFF_ALPHA || o->metric > ANNODB_METRIC_PERCENT_AGREEMENT)
    return Status::InvalidArgument("opts.metric " + std::to_string(o->metric) +
                                   " is not an ANNODB_METRIC_* value (0..3)");
  if (o->level < ANNODB_LEVEL_NOMINAL || o->level > ANNODB_LEVEL_RATIO)
    return Status::InvalidArgument("opts.level " + std::to_string(o->level) + " is not an ANNODB_LEVEL_* value (0..3)");
  if (o->weights < ANNODB_WEIGHTS_NONE || o->weights > ANNODB_WEIGHTS_QUADRATIC)
    return Status::InvalidArgument("opts.weights " + std::to_string(o->weights) +
                                   " is not an ANNODB_WEIGHTS_* value (0..2)");
  req->metric = static_cast<AgreementMetric>(o->metric);
  static_assert(ANNODB_METRIC_FLEISS_KAPPA == static_cast<int>(AgreementMetric::kFleissKappa) &&
                ANNODB_METRIC_COHEN_KAPPA == static_cast<int>(AgreementMetric::kCohenKappa) &&
                ANNODB_METRIC_PERCENT_AGREEMENT == static_cast<int>(AgreementMetric::kPercentAgreement));
  static const stats::Level kLevels[] = {stats::Level::kNominal, stats::Level::kOrdinal, stats::Level::kInterval,
                                         stats::Level::kRatio};
  static const stats::KappaWeights kWeights[] = {stats::KappaWeights::kNone, stats::KappaWeights::kLinear,
                                                 stats::KappaWeights::kQuadratic};
  req->level = kLevels[o->level];
  req->weights = kWeights[o->weights];
  bool alpha = req->metric == AgreementMetric::kKrippendorffAlpha;
  bool cohen = req->metric == AgreementMetric::kCohenKappa;
  if (!alpha && o->level != ANNODB_LEVEL_NOMINAL)
    return Status::InvalidArgument("opts.level is only for ANNODB_METRIC_KRIPPENDORFF_ALPHA (leave it NOMINAL)");
  if (!cohen && o->weights != ANNODB_WEIGHTS_NONE)
    return Status::InvalidArgument("opts.weights is only for ANNODB_METRIC_COHEN_KAPPA (leave it NONE)");
  if (o->feature) {
    if (o->feature[0] == '\0') return Status::InvalidArgument("opts.feature is empty (NULL = every feature)");
    if (!ValidUtf8(o->feature)) return Status::InvalidArgument("opts.feature is not valid UTF-8");
    req->feature = o->feature;
  }
  if (cohen) {
    if (!o->member_a || !o->member_b)
      return Status::InvalidArgument("ANNODB_METRIC_COHEN_KAPPA needs opts.member_a and opts.member_b (two member names)");
    ANNODB_RETURN_IF_ERROR(NameArg(o->member_a, "opts.member_a"));
    ANNODB_RETURN_IF_ERROR(NameArg(o->member_b, "opts.member_b"));
    *ma = o->member_a;
    *mb = o->member_b;
    if (*ma == *mb) return Status::InvalidArgument("Cohen's kappa needs two different members, not '" + *ma + "' twice");
  } else if (o->member_a || o->member_b) {
    return Status::InvalidArgument("opts.member_a / member_b are only for ANNODB_METRIC_COHEN_KAPPA");
  }
  return Status::OK();
}

// ---- aggregate ----

Status ToAggregateRequest(const annodb_aggregate_options* o, AggregateRequest* req, bool* save) {
  *req = AggregateRequest();
  *save = false;
  if (o == nullptr) return Status::OK();
  ANNODB_RETURN_IF_ERROR(CheckStructSize(o, o->struct_size, kAggregateOptionsSizeV1, sizeof(annodb_aggregate_options),
                                         "annodb_aggregate_options"));
  if (o->method < ANNODB_AGGREGATE_MAJORITY_VOTE || o->method > ANNODB_AGGREGATE_BOX_CLUSTERS)
    return Status::InvalidArgument("opts.method " + std::to_string(o->method) +
                                   " is not an ANNODB_AGGREGATE_* value (0..2)");
  static_assert(ANNODB_AGGREGATE_DAWID_SKENE == static_cast<int>(AggregateMethod::kDawidSkene) &&
                ANNODB_AGGREGATE_BOX_CLUSTERS == static_cast<int>(AggregateMethod::kBoxClusters));
  req->method = static_cast<AggregateMethod>(o->method);
  if (o->feature) {
    if (o->feature[0] == '\0') return Status::InvalidArgument("opts.feature is empty (NULL = every feature)");
    if (!ValidUtf8(o->feature)) return Status::InvalidArgument("opts.feature is not valid UTF-8");
    req->feature = o->feature;
  }
  if (o->max_iterations < 1 || o->max_iterations > 100000)
    return Status::InvalidArgument("opts.max_iterations " + std::to_string(o->max_iterations) +
                                   " is out of range (1..100000)");
  if (!std::isfinite(o->tolerance) || o->tolerance < 0)
    return Status::InvalidArgument("opts.tolerance must be a finite number >= 0");
  if (!std::isfinite(o->smoothing) || o->smoothing < 0 || o->smoothing > 1000)
    return Status::InvalidArgument("opts.smoothing must be a finite number in 0..1000");
  if (!(o->iou_threshold > 0 && o->iou_threshold <= 1))
    return Status::InvalidArgument("opts.iou_threshold must be in (0, 1]");
  if (o->quorum < 1 || o->quorum > 10000)
    return Status::InvalidArgument("opts.quorum " + std::to_string(o->quorum) + " is out of range (1..10000)");
  req->dawid_skene.max_iterations = o->max_iterations;
  req->dawid_skene.tolerance = o->tolerance;
  req->dawid_skene.smoothing = o->smoothing;
  req->boxes.iou_threshold = o->iou_threshold;
  req->boxes.quorum = o->quorum;
  req->boxes.class_agnostic = o->class_agnostic != 0;
  *save = o->save != 0;
  return Status::OK();
}

// The report as JSON; names resolved in `t`.
Status AggregateJson(const ReadTxn& t, const AggregateRequest& req, const AggregateReport& r, ojson* out) {
  bool boxes = req.method == AggregateMethod::kBoxClusters;
  ojson items = ojson::array();
  for (const AggregateItem& it : r.items) {
    std::string ext;
    ANNODB_RETURN_IF_ERROR(ExternalId(t, it.asset_id, &ext));
    ojson j = {{"asset_id", it.asset_id}, {"external_id", ext},        {"feature", it.feature},
               {"value", it.value},       {"confidence", it.confidence}, {"answers", it.answers}};
    if (boxes) j["box"] = {{"x", it.x}, {"y", it.y}, {"w", it.w}, {"h", it.h}};
    items.push_back(std::move(j));
  }
  ojson members = ojson::array();
  std::map<uint64_t, std::string> cache;
  for (const MemberSkill& m : r.members) {
    std::string name;
    ANNODB_RETURN_IF_ERROR(MemberName(t, m.member_id, &cache, &name));
    members.push_back({{"member", name},
                       {"member_id", m.member_id},
                       {"feature", m.feature},
                       {"answers", m.answers},
                       {"skill", Opt(m.skill)},
                       {"confusion", m.confusion}});
  }
  *out = {{"method", AggregateMethodName(req.method)},
          {"parameters", r.parameters},
          {"items", std::move(items)},
          {"members", std::move(members)},
          {"notes", r.notes}};
  return Status::OK();
}

}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

extern "C" {

ANNODB_EXPORT int annodb_consensus_asset_json(annodb_store* store, const char* project, uint64_t asset_id, char** out,
                                              size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_consensus_asset_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    if (asset_id == 0) return Status::InvalidArgument("asset_id 0 is not an asset id");
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      AssetConsensus c;
      ANNODB_RETURN_IF_ERROR(GetAssetConsensus(t, p, asset_id, &c));
      ojson j;
      ANNODB_RETURN_IF_ERROR(ViewJson(t, c, &j));
      text = Dump(j);
      return Status::OK();
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_consensus_list_json(annodb_store* store, const char* project, uint64_t after, size_t limit,
                                             char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_consensus_list_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    ANNODB_RETURN_IF_ERROR(CheckLimit(limit));
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      const size_t page = limit ? limit : 1000;
      std::vector<AssetConsensus> views;
      ANNODB_RETURN_IF_ERROR(ListAssetConsensus(t, p, after, page + 1, &views));
      return ViewsPageJson(t, std::move(views), page, &text);
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_consensus_below_json(annodb_store* store, const char* project, double below, uint64_t after,
                                              size_t limit, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_consensus_below_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    if (!std::isfinite(below)) return Status::InvalidArgument("below must be a finite number");
    ANNODB_RETURN_IF_ERROR(CheckLimit(limit));
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      const size_t page = limit ? limit : 1000;
      std::vector<AssetConsensus> views;
      ANNODB_RETURN_IF_ERROR(ListAssetsBelow(t, p, below, after, page + 1, &views));
      return ViewsPageJson(t, std::move(views), page, &text);
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_member_agreement_json(annodb_store* store, const char* project, const char* member,
                                               char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_member_agreement_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    if (member) ANNODB_RETURN_IF_ERROR(NameArg(member, "member"));
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      std::vector<MemberAgreement> rows;
      if (member) {
        uint64_t m = 0;
        ANNODB_RETURN_IF_ERROR(FindMember(t, member, &m));
        rows.emplace_back();
        ANNODB_RETURN_IF_ERROR(GetMemberAgreement(t, p, m, &rows.back()));
      } else {
        ANNODB_RETURN_IF_ERROR(ListMemberAgreement(t, p, &rows));
      }
      ojson arr = ojson::array();
      std::map<uint64_t, std::string> cache;
      for (const MemberAgreement& m : rows) {
        std::string name;
        ANNODB_RETURN_IF_ERROR(MemberName(t, m.member_id, &cache, &name));
        arr.push_back({{"member", name},
                       {"member_id", m.member_id},
                       {"labels", m.labels},
                       {"pairs", m.pairs},
                       {"agreement", Opt(m.agreement)},
                       {"gold_pairs", m.gold_pairs},
                       {"gold_agreement", Opt(m.gold_agreement)}});
      }
      text = Dump(arr);
      return Status::OK();
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_agreement_options_init(annodb_agreement_options* opts, size_t struct_size) {
  // All defaults are zero: alpha (0), nominal (0), no weights (0), NULLs.
  return InitOptions(opts, struct_size, kAgreementOptionsSizeV1, "annodb_agreement_options_init",
                     "annodb_agreement_options");
}

ANNODB_EXPORT int annodb_agreement_json(annodb_store* store, const char* project,
                                        const annodb_agreement_options* opts, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_agreement_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    AgreementRequest req;
    std::string ma, mb;
    ANNODB_RETURN_IF_ERROR(ToAgreementRequest(opts, &req, &ma, &mb));
    std::vector<AgreementReport> reports;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &req.project_id));
      if (req.metric == AgreementMetric::kCohenKappa) {
        ANNODB_RETURN_IF_ERROR(FindMember(t, ma, &req.member_a));
        ANNODB_RETURN_IF_ERROR(FindMember(t, mb, &req.member_b));
      }
      return ComputeAgreement(t, req, &reports);
    }));
    ojson arr = ojson::array();
    for (const AgreementReport& r : reports) {
      ojson j = {{"metric", AgreementMetricName(r.metric)}, {"feature", r.feature}, {"value", Opt(r.value)},
                 {"units", r.units},  {"labels", r.labels}, {"units_left_out", r.units_left_out}};
      if (r.metric == AgreementMetric::kKrippendorffAlpha) j["level"] = stats::LevelName(req.level);
      if (r.metric == AgreementMetric::kCohenKappa) {
        j["members"] = {ma, mb};
        j["weights"] = stats::KappaWeightsName(req.weights);
      }
      if (!r.note.empty()) j["note"] = r.note;
      arr.push_back(std::move(j));
    }
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_aggregate_options_init(annodb_aggregate_options* opts, size_t struct_size) {
  int rc = InitOptions(opts, struct_size, kAggregateOptionsSizeV1, "annodb_aggregate_options_init",
                       "annodb_aggregate_options");
  if (rc != ANNODB_OK) return rc;
  const stats::DawidSkeneOptions ds{};
  const stats::BoxClusterOptions bx{};
  opts->method = ANNODB_AGGREGATE_MAJORITY_VOTE;
  opts->max_iterations = static_cast<uint32_t>(ds.max_iterations);
  opts->tolerance = ds.tolerance;
  opts->smoothing = ds.smoothing;
  opts->iou_threshold = bx.iou_threshold;
  opts->quorum = static_cast<uint32_t>(bx.quorum);
  opts->class_agnostic = bx.class_agnostic ? 1 : 0;
  return ANNODB_OK;
}

ANNODB_EXPORT int annodb_aggregate_json(annodb_store* store, const char* project,
                                        const annodb_aggregate_options* opts, const annodb_actor* actor, char** out,
                                        size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_aggregate_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    AggregateRequest req;
    bool save = false;
    ANNODB_RETURN_IF_ERROR(ToAggregateRequest(opts, &req, &save));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    AggregateReport report;
    ojson j;
    uint64_t written = 0;
    // Computing, naming and (with save) storing in one transaction: what is
    // stored is exactly what is returned.
    auto compute = [&](const ReadTxn& t) -> Status {
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &req.project_id));
      ANNODB_RETURN_IF_ERROR(Aggregate(t, req, &report));
      return AggregateJson(t, req, report, &j);
    };
    if (save) {
      ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
        ANNODB_RETURN_IF_ERROR(compute(t));
        return StoreAggregate(t, req, report, &written);
      }));
      j["stored"] = written;
    } else {
      ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) { return compute(t); }));
    }
    GiveText(Dump(j), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_consensus_rebuild(annodb_store* store, const char* project, const annodb_actor* actor) {
  return Run(store, "annodb_consensus_rebuild", [&](Store& s) -> Status {
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return s.Write(a, [&](WriteTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      return RebuildConsensusViews(t, p);
    });
  });
}

ANNODB_EXPORT int annodb_consensus_check(annodb_store* store, const char* project) {
  return Run(store, "annodb_consensus_check", [&](Store& s) -> Status {
    return s.Read([&](ReadTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      return CheckConsensusViews(t, p);
    });
  });
}

}  // extern "C"
