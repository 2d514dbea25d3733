// Aggregated labels from the store: majority vote, Dawid-Skene, box
// clustering (consensus.h, Aggregate and StoreAggregate).
#include <algorithm>
#include <cstdio>
#include <map>

#include "annodb/consensus.h"
#include "annodb/keys.h"
#include "consensus_views.h"
#include "text_checks.h"

namespace annodb {
namespace ci = consensus_internal;
namespace {

const char* const kMethodNames[] = {"majority_vote", "dawid_skene", "box_clusters"};

struct Counted {
  uint64_t id = 0;
  LabelInput label;
};

// Counted human labels of a project, by label id.
Status LoadHumanLabels(const ReadTxn& txn, uint64_t project, std::vector<Counted>* out) {
  for (LabelStatus st : {LabelStatus::Submitted, LabelStatus::Accepted}) {
    std::string prefix = KeyBuilder().U64(project).U8(static_cast<uint8_t>(st)).str();
    Status inner;
    ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLabelByStatus, prefix, prefix, [&](std::string_view k, std::string_view) {
      uint64_t id = DecodeU64(k.data() + k.size() - 8);
      RecordView v;
      inner = txn.Get(RecordKind::Label, id, &v);
      if (!inner.ok()) return false;
      if (v.As<fb::Label>()->source() != LabelSource::Human) return true;
      out->push_back({id, DecodeLabel(v.As<fb::Label>())});
      return true;
    }));
    ANNODB_RETURN_IF_ERROR(inner);
  }
  std::sort(out->begin(), out->end(), [](const Counted& a, const Counted& b) { return a.id < b.id; });
  return Status::OK();
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

Status AggregateClassification(const std::vector<Counted>& labels, const AggregateRequest& req, const FeatureDef& f,
                               AggregateReport* r) {
  std::map<uint64_t, size_t> item_of, worker_of;  // asset -> item, member -> worker
  std::vector<std::tuple<uint64_t, uint64_t, size_t>> answers;  // asset, member, option
  for (const Counted& c : labels)
    for (const AnnotationInput& a : c.label.annotations) {
      if (a.feature != f.name) continue;
      auto it = std::find(f.options.begin(), f.options.end(), a.value);
      if (it == f.options.end()) continue;
      answers.emplace_back(c.label.asset_id, c.label.author_member_id, static_cast<size_t>(it - f.options.begin()));
      item_of.emplace(c.label.asset_id, 0);
      worker_of.emplace(c.label.author_member_id, 0);
    }
  if (answers.empty()) {
    r->notes.push_back(f.name + ": no labels");
    return Status::OK();
  }
  std::vector<uint64_t> assets, members;
  for (auto& [asset, i] : item_of) i = (assets.push_back(asset), assets.size() - 1);
  for (auto& [member, w] : worker_of) w = (members.push_back(member), members.size() - 1);
  stats::CrowdLabels crowd;
  crowd.num_items = assets.size();
  crowd.num_workers = members.size();
  crowd.num_classes = f.options.size();
  for (auto& [asset, member, option] : answers) crowd.annotations.push_back({item_of[asset], worker_of[member], option});
  std::vector<uint32_t> per_item(assets.size(), 0);
  std::vector<uint64_t> per_worker(members.size(), 0);
  for (const stats::Annotation& a : crowd.annotations) ++per_item[a.item], ++per_worker[a.worker];

  if (req.method == AggregateMethod::kMajorityVote) {
    stats::MajorityVoteResult mv;
    ANNODB_RETURN_IF_ERROR(stats::MajorityVote(crowd, &mv));
    for (size_t i = 0; i < assets.size(); ++i) {
      if (!mv.labels[i]) continue;
      AggregateItem it;
      it.asset_id = assets[i];
      it.feature = f.name;
      it.value = f.options[*mv.labels[i]];
      it.confidence = mv.vote_share[i];
      it.answers = per_item[i];
      r->items.push_back(std::move(it));
    }
    for (size_t w = 0; w < members.size(); ++w)
      r->members.push_back({members[w], f.name, mv.worker_skill[w], per_worker[w], {}});
    return Status::OK();
  }
  stats::DawidSkeneResult ds;
  ANNODB_RETURN_IF_ERROR(stats::DawidSkene(crowd, req.dawid_skene, &ds));
  for (size_t i = 0; i < assets.size(); ++i) {
    if (!ds.labels[i]) continue;
    AggregateItem it;
    it.asset_id = assets[i];
    it.feature = f.name;
    it.value = f.options[*ds.labels[i]];
    it.confidence = ds.label_posterior[i];
    it.answers = per_item[i];
    r->items.push_back(std::move(it));
  }
  for (size_t w = 0; w < members.size(); ++w)
    r->members.push_back({members[w], f.name, std::nullopt, per_worker[w], ds.confusion[w]});
  r->notes.push_back(f.name + ": " + std::to_string(ds.iterations) + " iterations, " +
                     (ds.converged ? "converged" : "not converged") + ", log-likelihood " + Num(ds.log_likelihood));
  return Status::OK();
}

Status AggregateBoxes(const std::vector<Counted>& labels, const AggregateRequest& req, const FeatureDef& f,
                      AggregateReport* r) {
  std::map<uint64_t, std::vector<stats::LabelledBox>> by_asset;
  for (const Counted& c : labels)
    for (const AnnotationInput& a : c.label.annotations) {
      if (a.feature != f.name) continue;
      size_t cls = 0;
      if (!f.classes.empty()) {
        auto it = std::find(f.classes.begin(), f.classes.end(), a.class_name);
        if (it == f.classes.end()) continue;
        cls = static_cast<size_t>(it - f.classes.begin());
      }
      by_asset[c.label.asset_id].push_back({a.x, a.y, a.w, a.h, cls, c.label.author_member_id});
    }
  for (const auto& [asset, boxes] : by_asset) {
    std::vector<stats::BoxCluster> clusters;
    ANNODB_RETURN_IF_ERROR(stats::ClusterBoxes(boxes, req.boxes, &clusters));
    for (const stats::BoxCluster& c : clusters) {
      AggregateItem it;
      it.asset_id = asset;
      it.feature = f.name;
      it.value = f.classes.empty() ? "" : f.classes[c.mean_box.class_id];
      it.confidence = c.mean_iou;
      it.answers = static_cast<uint32_t>(c.support);
      it.x = c.mean_box.x, it.y = c.mean_box.y, it.w = c.mean_box.w, it.h = c.mean_box.h;
      r->items.push_back(std::move(it));
    }
  }
  return Status::OK();
}

std::string Parameters(const AggregateRequest& req) {
  switch (req.method) {
    case AggregateMethod::kMajorityVote: return "majority_vote";
    case AggregateMethod::kDawidSkene:
      return "dawid_skene max_iterations=" + std::to_string(req.dawid_skene.max_iterations) +
             " tolerance=" + Num(req.dawid_skene.tolerance) + " smoothing=" + Num(req.dawid_skene.smoothing);
    case AggregateMethod::kBoxClusters:
      return "box_clusters iou_threshold=" + Num(req.boxes.iou_threshold) + " quorum=" +
             std::to_string(req.boxes.quorum) + " class_agnostic=" + (req.boxes.class_agnostic ? "true" : "false");
  }
  return "unknown";
}

}  // namespace

const char* AggregateMethodName(AggregateMethod m) {
  auto i = static_cast<size_t>(m);
  return i < std::size(kMethodNames) ? kMethodNames[i] : "unknown";
}
bool ParseAggregateMethod(std::string_view name, AggregateMethod* out) {
  for (size_t i = 0; i < std::size(kMethodNames); ++i)
    if (name == kMethodNames[i]) return (*out = static_cast<AggregateMethod>(i)), true;
  return false;
}

Status Aggregate(const ReadTxn& txn, const AggregateRequest& req, AggregateReport* out) {
  if (static_cast<size_t>(req.method) >= std::size(kMethodNames)) return Status::InvalidArgument("unknown aggregation method");
  ProjectInfo project;
  Status s = GetProject(txn, req.project_id, kCurrent, &project);
  if (s.IsNotFound()) return Status::NotFound("project " + std::to_string(req.project_id) + " does not exist");
  ANNODB_RETURN_IF_ERROR(s);
  FeatureKind want = req.method == AggregateMethod::kBoxClusters ? FeatureKind::BBox : FeatureKind::Classification;
  std::vector<const FeatureDef*> features;
  for (const FeatureDef& f : project.features) {
    if (!req.feature.empty() && f.name != req.feature) continue;
    if (f.kind != want) {
      if (req.feature.empty()) continue;
      return Status::InvalidArgument("feature '" + f.name + "' is a " + FeatureKindName(f.kind) + " feature; " +
                                     AggregateMethodName(req.method) + " aggregates " + FeatureKindName(want) +
                                     " features");
    }
    features.push_back(&f);
  }
  if (!req.feature.empty() && features.empty())
    return Status::NotFound("project '" + project.name + "' has no feature '" + req.feature + "'");
  if (features.empty())
    return Status::InvalidArgument("project '" + project.name + "' has no " + FeatureKindName(want) + " feature");
  std::vector<Counted> labels;
  ANNODB_RETURN_IF_ERROR(LoadHumanLabels(txn, req.project_id, &labels));
  AggregateReport r;
  r.parameters = Parameters(req);
  for (const FeatureDef* f : features) {
    if (want == FeatureKind::BBox) {
      ANNODB_RETURN_IF_ERROR(AggregateBoxes(labels, req, *f, &r).WithContext("feature '" + f->name + "'"));
    } else {
      ANNODB_RETURN_IF_ERROR(AggregateClassification(labels, req, *f, &r).WithContext("feature '" + f->name + "'"));
    }
  }
  *out = std::move(r);
  return Status::OK();
}

Status StoreAggregate(WriteTxn& txn, const AggregateRequest& req, const AggregateReport& report, uint64_t* written) {
  std::map<uint64_t, std::vector<const AggregateItem*>> by_asset;
  for (const AggregateItem& it : report.items) by_asset[it.asset_id].push_back(&it);
  // The provenance of the written versions names the method and parameters.
  Actor saved = txn.actor();
  Actor a = saved;
  a.model_name = std::string("annodb.") + AggregateMethodName(req.method);
  a.note = "aggregate: " + report.parameters;
  txn.set_actor(a);
  uint64_t n = 0;
  Status s;
  for (const auto& [asset, items] : by_asset) {
    LabelInput l;
    l.project_id = req.project_id;
    l.asset_id = asset;
    l.source = LabelSource::Aggregate;
    l.status = LabelStatus::Submitted;
    l.model_name = a.model_name;
    l.model_version = report.parameters;
    for (const AggregateItem* it : items) {
      AnnotationInput an;
      an.feature = it->feature;
      if (req.method == AggregateMethod::kBoxClusters) {
        an.class_name = it->value;
        an.x = it->x, an.y = it->y, an.w = it->w, an.h = it->h;
      } else {
        an.value = it->value;
      }
      an.score = static_cast<float>(it->confidence);
      l.annotations.push_back(std::move(an));
    }
    PutOutcome o = PutOutcome::kUnchanged;
    s = PutLabel(txn, std::move(l), nullptr, &o).WithContext("asset " + std::to_string(asset));
    if (!s.ok()) break;
    if (o != PutOutcome::kUnchanged) ++n;
  }
  txn.set_actor(saved);
  ANNODB_RETURN_IF_ERROR(s);
  if (written) *written = n;
  return Status::OK();
}

}  // namespace annodb
