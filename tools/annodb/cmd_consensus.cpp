// Consensus commands: consensus, member agreement, agreement, aggregate.
// Engine work runs inside Read/Write lambdas that only return Status; all
// printing (and every CliError) happens outside them.
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>

#include "annodb/assets.h"
#include "annodb/consensus.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "annodb/schema/asset_generated.h"
#include "cli.h"
#include "output.h"
#include "paging.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}
json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

Status ExternalId(const ReadTxn& txn, uint64_t asset, std::string* out) {
  RecordView v;
  Status s = txn.GetIncludingDeleted(RecordKind::Asset, asset, &v);
  if (!s.ok()) return s;
  const auto* a = v.As<fb::Asset>();
  *out = a->external_id() ? a->external_id()->str() : "";
  return Status::OK();
}

// --asset: an id, or an external id in one of the project's datasets.
Status ResolveAsset(const ReadTxn& txn, const ProjectInfo& p, const std::string& text, uint64_t* out) {
  uint64_t id = 0;
  if (ParseU64(text, &id) && id > 0) {
    *out = id;
    return Status::OK();
  }
  for (uint64_t ds : p.dataset_ids) {
    Status s = FindAsset(txn, ds, text, out);
    if (s.ok() || !s.IsNotFound()) return s;
  }
  return Status::NotFound("no asset '" + text + "' in the datasets of project '" + p.name + "'");
}

Status LoadProject(const ReadTxn& txn, const std::string& name, ProjectInfo* p) {
  uint64_t id = 0;
  Status s = FindProject(txn, name, &id);
  if (s.IsNotFound()) return Status::NotFound("no project '" + name + "'");
  ANNODB_RETURN_IF_ERROR(s);
  return GetProject(txn, id, kCurrent, p);
}

Status MemberName(const ReadTxn& txn, uint64_t id, std::map<uint64_t, std::string>* cache, std::string* out) {
  auto it = cache->find(id);
  if (it == cache->end()) {
    MemberInfo m;
    ANNODB_RETURN_IF_ERROR(GetMember(txn, id, &m));
    it = cache->emplace(id, m.name).first;
  }
  *out = it->second;
  return Status::OK();
}

// ---- consensus --------------------------------------------------------------

struct ConsensusArgs {
  std::string project, asset;
  std::optional<double> below;
  Page page;  // --after ASSET_ID, --limit (default 1000)
  bool rebuild = false;
};

void CmdConsensus(Context& ctx, const ConsensusArgs& a) {
  if (a.rebuild) {
    Check(ctx.store().Write(ctx.actor(), [&](WriteTxn& txn) {
      ProjectInfo p;
      ANNODB_RETURN_IF_ERROR(LoadProject(txn, a.project, &p));
      return RebuildConsensusViews(txn, p.id);
    }));
    if (ctx.json()) PrintJson({{"rebuilt", a.project}});
    else PrintLine("rebuilt the consensus views of project " + a.project);
    return;
  }
  std::vector<AssetConsensus> views;
  std::vector<std::string> ext;
  std::string next;
  const uint64_t after = a.page.AfterId();
  Check(ctx.store().Read([&](ReadTxn& txn) {
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(LoadProject(txn, a.project, &p));
    if (!a.asset.empty()) {
      uint64_t asset = 0;
      ANNODB_RETURN_IF_ERROR(ResolveAsset(txn, p, a.asset, &asset));
      AssetConsensus c;
      ANNODB_RETURN_IF_ERROR(GetAssetConsensus(txn, p.id, asset, &c));
      views.push_back(std::move(c));
    } else {
      // One row more than the page tells whether the list goes on.
      const size_t n = a.page.Size();
      if (a.below) ANNODB_RETURN_IF_ERROR(ListAssetsBelow(txn, p.id, *a.below, after, n + 1, &views));
      else ANNODB_RETURN_IF_ERROR(ListAssetConsensus(txn, p.id, after, n + 1, &views));
      if (views.size() > n) {
        views.resize(n);
        next = std::to_string(views.back().asset_id);
      }
    }
    for (const AssetConsensus& c : views) {
      ext.emplace_back();
      ANNODB_RETURN_IF_ERROR(ExternalId(txn, c.asset_id, &ext.back()));
    }
    return Status::OK();
  }));
  for (size_t i = 0; i < views.size(); ++i) {
    const AssetConsensus& c = views[i];
    if (ctx.json()) {
      json features = json::object();
      for (const FeatureConsensus& f : c.features) features[f.feature] = {{"score", f.score}, {"pairs", f.pairs}};
      PrintJson({{"asset_id", c.asset_id}, {"external_id", ext[i]}, {"score", Opt(c.score)},
                 {"labels", c.label_count}, {"gold_labels", c.gold_count}, {"pairs", c.pairs},
                 {"best_label_id", c.best_label_id ? json(c.best_label_id) : json(nullptr)},
                 {"features", features}, {"label_ids", c.label_ids}});
      continue;
    }
    std::string line = "asset " + std::to_string(c.asset_id) + " (" + ext[i] + "): ";
    line += c.score ? "score " + Fmt(*c.score) : std::string("no score yet");
    line += ", " + std::to_string(c.label_count) + " labels, " + std::to_string(c.pairs) + " pairs";
    if (c.gold_count) line += ", " + std::to_string(c.gold_count) + " gold";
    if (c.best_label_id) line += ", best label " + std::to_string(c.best_label_id);
    PrintLine(line);
    for (const FeatureConsensus& f : c.features)
      PrintLine("  " + f.feature + ": " + Fmt(f.score) + " over " + std::to_string(f.pairs) + " pairs");
  }
  if (!ctx.json() && views.empty()) PrintLine("no assets");
  PrintMore(ctx, a.page, next);
}

// ---- member agreement ---------------------------------------------------------

void CmdMemberAgreement(Context& ctx, const std::string& project) {
  std::vector<MemberAgreement> rows;
  std::vector<std::string> names;
  Check(ctx.store().Read([&](ReadTxn& txn) {
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(LoadProject(txn, project, &p));
    ANNODB_RETURN_IF_ERROR(ListMemberAgreement(txn, p.id, &rows));
    std::map<uint64_t, std::string> cache;
    for (const MemberAgreement& m : rows) {
      names.emplace_back();
      ANNODB_RETURN_IF_ERROR(MemberName(txn, m.member_id, &cache, &names.back()));
    }
    return Status::OK();
  }));
  for (size_t i = 0; i < rows.size(); ++i) {
    const MemberAgreement& m = rows[i];
    if (ctx.json()) {
      PrintJson({{"member", names[i]}, {"member_id", m.member_id}, {"labels", m.labels}, {"pairs", m.pairs},
                 {"agreement", Opt(m.agreement)}, {"gold_pairs", m.gold_pairs},
                 {"gold_agreement", Opt(m.gold_agreement)}});
      continue;
    }
    PrintLine(names[i] + ": " + std::to_string(m.labels) + " labels, agreement " +
              (m.agreement ? Fmt(*m.agreement) : std::string("-")) + " over " + std::to_string(m.pairs) +
              " pairs, gold " + (m.gold_agreement ? Fmt(*m.gold_agreement) : std::string("-")) + " over " +
              std::to_string(m.gold_pairs));
  }
  if (!ctx.json() && rows.empty()) PrintLine("no member has counted labels");
}

// ---- agreement ------------------------------------------------------------------

struct AgreementArgs {
  std::string project, metric, level = "nominal", feature, members, weights;
};

void CmdAgreement(Context& ctx, const AgreementArgs& a) {
  AgreementRequest req;
  if (!ParseAgreementMetric(a.metric, &req.metric))
    UsageError("--metric must be krippendorff_alpha, fleiss_kappa, cohen_kappa or percent_agreement, not '" + a.metric + "'");
  if (!ParseAlphaLevel(a.level, &req.level)) UsageError("--level must be nominal, ordinal, interval or ratio");
  if (!a.weights.empty() && !ParseKappaWeights(a.weights, &req.weights))
    UsageError("--weights must be none, linear or quadratic");
  std::string ma, mb;
  if (req.metric == AgreementMetric::kCohenKappa) {
    size_t comma = a.members.find(',');
    if (comma == std::string::npos || a.members.find(',', comma + 1) != std::string::npos)
      UsageError("cohen_kappa needs --members A,B (two member names)");
    ma = a.members.substr(0, comma);
    mb = a.members.substr(comma + 1);
  } else if (!a.members.empty()) {
    UsageError("--members is only for cohen_kappa");
  }
  req.feature = a.feature;
  std::vector<AgreementReport> out;
  Check(ctx.store().Read([&](ReadTxn& txn) {
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(LoadProject(txn, a.project, &p));
    req.project_id = p.id;
    if (req.metric == AgreementMetric::kCohenKappa) {
      ANNODB_RETURN_IF_ERROR(FindMember(txn, ma, &req.member_a).WithContext("member '" + ma + "'"));
      ANNODB_RETURN_IF_ERROR(FindMember(txn, mb, &req.member_b).WithContext("member '" + mb + "'"));
    }
    return ComputeAgreement(txn, req, &out);
  }));
  for (const AgreementReport& r : out) {
    if (ctx.json()) {
      json j = {{"metric", AgreementMetricName(r.metric)}, {"feature", r.feature}, {"value", Opt(r.value)},
                {"units", r.units}, {"labels", r.labels}, {"units_left_out", r.units_left_out}};
      if (r.metric == AgreementMetric::kKrippendorffAlpha) j["level"] = stats::LevelName(req.level);
      if (r.metric == AgreementMetric::kCohenKappa) {
        j["members"] = {ma, mb};
        j["weights"] = stats::KappaWeightsName(req.weights);
      }
      if (!r.note.empty()) j["note"] = r.note;
      PrintJson(j);
      continue;
    }
    PrintLine(std::string(AgreementMetricName(r.metric)) + " of " + r.feature + ": " +
              (r.value ? Fmt(*r.value) : std::string("undefined")) + " (" + std::to_string(r.units) + " assets, " +
              std::to_string(r.labels) + " labels)");
    if (!r.note.empty()) PrintLine("  " + r.note);
  }
}

// ---- aggregate --------------------------------------------------------------------

struct AggregateArgs {
  std::string project, method = "majority_vote", feature;
  bool store = false;
  double iou = 0.5;
  size_t quorum = 2;
  size_t max_iterations = 100;
  double smoothing = stats::DawidSkeneOptions().smoothing;
};

void CmdAggregate(Context& ctx, const AggregateArgs& a) {
  AggregateRequest req;
  if (!ParseAggregateMethod(a.method, &req.method))
    UsageError("--method must be majority_vote, dawid_skene or box_clusters, not '" + a.method + "'");
  req.feature = a.feature;
  req.boxes.iou_threshold = a.iou;
  req.boxes.quorum = a.quorum;
  req.dawid_skene.max_iterations = a.max_iterations;
  // The same range as the C ABI's annodb_aggregate_options.smoothing.
  if (!std::isfinite(a.smoothing) || a.smoothing < 0 || a.smoothing > 1000)
    UsageError("--smoothing must be a finite number in 0..1000");
  req.dawid_skene.smoothing = a.smoothing;
  AggregateReport report;
  std::vector<std::string> ext;
  std::vector<std::string> member_names;
  auto compute = [&](const ReadTxn& txn) {
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(LoadProject(txn, a.project, &p));
    req.project_id = p.id;
    ANNODB_RETURN_IF_ERROR(Aggregate(txn, req, &report));
    ext.clear();
    member_names.clear();
    for (const AggregateItem& it : report.items) {
      ext.emplace_back();
      ANNODB_RETURN_IF_ERROR(ExternalId(txn, it.asset_id, &ext.back()));
    }
    std::map<uint64_t, std::string> cache;
    for (const MemberSkill& m : report.members) {
      member_names.emplace_back();
      ANNODB_RETURN_IF_ERROR(MemberName(txn, m.member_id, &cache, &member_names.back()));
    }
    return Status::OK();
  };
  uint64_t written = 0;
  if (a.store) {
    Check(ctx.store().Write(ctx.actor(), [&](WriteTxn& txn) {
      ANNODB_RETURN_IF_ERROR(compute(txn));
      return StoreAggregate(txn, req, report, &written);
    }));
  } else {
    Check(ctx.store().Read([&](ReadTxn& txn) { return compute(txn); }));
  }
  bool boxes = req.method == AggregateMethod::kBoxClusters;
  for (size_t i = 0; i < report.items.size(); ++i) {
    const AggregateItem& it = report.items[i];
    if (ctx.json()) {
      json j = {{"asset_id", it.asset_id}, {"external_id", ext[i]}, {"feature", it.feature}, {"value", it.value},
                {"confidence", it.confidence}, {"answers", it.answers}};
      if (boxes) j["box"] = {{"x", it.x}, {"y", it.y}, {"w", it.w}, {"h", it.h}};
      PrintJson(j);
      continue;
    }
    std::string line = ext[i] + " " + it.feature + ": " + it.value;
    if (boxes) line += " [" + Fmt(it.x) + ", " + Fmt(it.y) + ", " + Fmt(it.w) + ", " + Fmt(it.h) + "]";
    PrintLine(line + " (" + Fmt(it.confidence) + ", " + std::to_string(it.answers) + " answers)");
  }
  if (ctx.json()) {
    if (a.store) PrintJson({{"stored", written}, {"method", a.method}, {"parameters", report.parameters}});
    return;
  }
  for (size_t i = 0; i < report.members.size(); ++i) {
    const MemberSkill& m = report.members[i];
    std::string line = "member " + member_names[i] + " on " + m.feature + ": " + std::to_string(m.answers) + " answers";
    if (m.skill) line += ", skill " + Fmt(*m.skill);
    PrintLine(line);
    for (size_t t = 0; t < m.confusion.size(); ++t) {
      std::string row = "    true " + std::to_string(t) + ":";
      for (double v : m.confusion[t]) row += " " + Fmt(v);
      PrintLine(row);
    }
  }
  for (const std::string& n : report.notes) PrintLine(n);
  if (a.store) PrintLine("stored " + std::to_string(written) + " aggregate labels (" + report.parameters + ")");
}

}  // namespace

void RegisterConsensusCommands(CLI::App& app, Context& ctx) {
  auto c = std::make_shared<ConsensusArgs>();
  auto below = std::make_shared<double>(0);
  CLI::App* cons = AddCommand(&app, ctx, "consensus", "Per-asset consensus views: scores, pairs, best label");
  cons->group("Consensus");
  cons->add_option("--project", c->project, "Project")->required();
  cons->add_option("--asset", c->asset, "One asset: id or external id");
  CLI::Option* below_opt = cons->add_option("--below", *below, "Assets whose score is below X, lowest first");
  AddPageOptions(cons, &c->page, 1000, "asset id");
  cons->add_flag("--rebuild", c->rebuild, "Recompute the project's views from its labels");
  cons->callback([&ctx, c, below, below_opt] {
    if (below_opt->count()) c->below = *below;
    // Checked in the action: a CliError must not escape CLI11's parse.
    ctx.action = [&ctx, c] {
      if (!c->asset.empty() && c->below) UsageError("give --asset or --below, not both");
      if (!c->asset.empty() && (!c->page.after.empty() || c->page.limit))
        UsageError("--after and --limit page a list, not --asset");
      CmdConsensus(ctx, *c);
    };
  });

  // `member agreement` joins the member group registered by the project commands.
  CLI::App* members = nullptr;
  try {
    members = app.get_subcommand("member");
  } catch (const CLI::Error&) {
    members = AddCommand(&app, ctx, "member", "Members");
  }
  auto mp = std::make_shared<std::string>();
  CLI::App* ma = AddCommand(members, ctx, "agreement", "Each member's agreement with others and with gold labels");
  ma->add_option("--project", *mp, "Project")->required();
  ma->callback([&ctx, mp] { ctx.action = [&ctx, mp] { CmdMemberAgreement(ctx, *mp); }; });

  auto g = std::make_shared<AgreementArgs>();
  CLI::App* agr = AddCommand(&app, ctx, "agreement", "Project agreement statistics per classification feature");
  agr->group("Consensus");
  agr->add_option("--project", g->project, "Project")->required();
  agr->add_option("--metric", g->metric, "krippendorff_alpha, fleiss_kappa, cohen_kappa or percent_agreement")->required();
  agr->add_option("--level", g->level, "Alpha: nominal, ordinal, interval or ratio")->capture_default_str();
  agr->add_option("--feature", g->feature, "One feature (default: every classification feature)");
  agr->add_option("--members", g->members, "Cohen: two member names, A,B");
  agr->add_option("--weights", g->weights, "Cohen: none, linear or quadratic");
  agr->callback([&ctx, g] { ctx.action = [&ctx, g] { CmdAgreement(ctx, *g); }; });

  auto ag = std::make_shared<AggregateArgs>();
  CLI::App* agg = AddCommand(&app, ctx, "aggregate", "Aggregate labels: majority vote, Dawid-Skene, box clusters");
  agg->group("Consensus");
  agg->add_option("--project", ag->project, "Project")->required();
  agg->add_option("--method", ag->method, "majority_vote, dawid_skene or box_clusters")->capture_default_str();
  agg->add_option("--feature", ag->feature, "One feature (default: every feature the method applies to)");
  // `--store DIR` is the global option naming the store, so storing the
  // results is `--save`.
  agg->add_flag("--save", ag->store, "Store the results as labels with source aggregate");
  agg->add_option("--iou", ag->iou, "box_clusters: IoU threshold in (0, 1]")->capture_default_str();
  agg->add_option("--quorum", ag->quorum, "box_clusters: members needed per cluster")->capture_default_str()->check(UnsignedArg());
  agg->add_option("--max-iterations", ag->max_iterations, "dawid_skene: iteration cap")->capture_default_str()->check(UnsignedArg());
  agg->add_option("--smoothing", ag->smoothing,
                  "dawid_skene: pseudo-count added to every confusion and class count, 0..1000 (0 = plain maximum "
                  "likelihood; see docs/consensus.md before raising it)")
      ->capture_default_str();
  agg->callback([&ctx, ag] { ctx.action = [&ctx, ag] { CmdAggregate(ctx, *ag); }; });
}

}  // namespace annodb::cli
