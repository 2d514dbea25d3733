// ExportNdjson: the labelled state as JSON Lines, from one read transaction.
#include <algorithm>
#include <set>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/comments.h"
#include "annodb/keys.h"
#include "annodb/label_json.h"
#include "annodb/members.h"
#include "annodb/ndjson.h"
#include "annodb/projects.h"
#include "ndjson_common.h"
#include "text_checks.h"

namespace annodb {
namespace {
using ndjson::ojson;

ojson FeaturesJson(const std::vector<FeatureDef>& features) {
  ojson arr = ojson::array();
  for (const FeatureDef& f : features) {
    ojson o;
    o["name"] = f.name;
    o["kind"] = FeatureKindName(f.kind);
    if (!f.options.empty()) o["options"] = f.options;
    if (!f.classes.empty()) o["classes"] = f.classes;
    if (f.required) o["required"] = true;
    arr.push_back(std::move(o));
  }
  return ojson{{"features", std::move(arr)}};
}

// The asset in the import-line format (no ids, versions or sequences).
ojson AssetBody(const AssetInput& a) {
  ojson o;
  o["external_id"] = a.external_id;
  o["uri"] = a.uri;
  if (!a.media_type.empty()) o["media_type"] = a.media_type;
  if (a.width) o["width"] = a.width;
  if (a.height) o["height"] = a.height;
  if (a.duration_ms) o["duration_ms"] = a.duration_ms;
  if (a.byte_size) o["byte_size"] = a.byte_size;
  if (a.content_hash) o["content_hash"] = a.content_hash->Hex();
  if (!a.metadata.empty()) {
    ojson m = ojson::object();
    for (const MetaEntry& e : a.metadata) {
      switch (e.kind) {
        case MetaKind::kString: m[e.key] = e.s; break;
        case MetaKind::kInt: m[e.key] = e.i; break;
        case MetaKind::kFloat: m[e.key] = e.f; break;
        case MetaKind::kBool: m[e.key] = e.b; break;
        case MetaKind::kTime: m[e.key] = {{"$time", FormatRfc3339(e.i)}}; break;
      }
    }
    o["metadata"] = std::move(m);
  }
  if (!a.embedding.empty()) {
    ojson emb = ojson::array();
    for (float f : a.embedding) emb.push_back(FloatForJson(f));
    o["embedding"] = std::move(emb);
  }
  if (!a.text.empty()) o["text"] = a.text;
  return o;
}

class Exporter {
 public:
  Exporter(const ReadTxn& t, std::ostream& out, ExportReport* r) : t_(t), out_(out), r_(r) {}

  Status Run(const ExportOptions& o) {
    seq_ = t_.sequence();
    if (!o.snapshot.empty()) {
      SnapshotInfo snap;
      ANNODB_RETURN_IF_ERROR(t_.GetSnapshot(o.snapshot, &snap));
      seq_ = snap.sequence;
    } else if (o.as_of) {
      if (o.as_of > seq_) return Status::InvalidArgument("sequence " + std::to_string(o.as_of) + " is in the future");
      seq_ = o.as_of;
    }
    r_->sequence = seq_;
    ANNODB_RETURN_IF_ERROR(SelectScope(o));
    Emit(ojson{{"type", "header"}, {"format", "annodb-ndjson"}, {"version", 1}});
    ANNODB_RETURN_IF_ERROR(Members());
    ANNODB_RETURN_IF_ERROR(Datasets());
    ANNODB_RETURN_IF_ERROR(Projects());
    for (uint64_t ds : datasets_) ANNODB_RETURN_IF_ERROR(Assets(ds));
    out_.flush();
    if (!out_) return Status::IOError("writing the export failed");
    return Status::OK();
  }

 private:
  void Emit(const ojson& j) {
    out_ << j.dump() << '\n';
    ++r_->lines;
  }

  // Which datasets and projects the export covers, as of seq_.
  Status SelectScope(const ExportOptions& o) {
    uint64_t only_project = 0, only_dataset = 0;
    if (!o.project.empty()) ANNODB_RETURN_IF_ERROR(FindProject(t_, o.project, &only_project));
    if (!o.dataset.empty()) ANNODB_RETURN_IF_ERROR(FindDataset(t_, o.dataset, &only_dataset));
    ANNODB_RETURN_IF_ERROR(t_.ScanIncludingDeleted(RecordKind::Project, 1, [&](const RecordView& v) {
      ProjectInfo p;
      if (!GetProject(t_, v.id(), seq_, &p).ok()) return true;  // absent at seq_
      if (only_project && p.id != only_project) return true;
      if (only_dataset && std::find(p.dataset_ids.begin(), p.dataset_ids.end(), only_dataset) == p.dataset_ids.end())
        return true;
      if (only_dataset) p.dataset_ids = {only_dataset};
      project_names_[p.id] = p.name;
      projects_.push_back(std::move(p));
      return true;
    }));
    if (only_project && projects_.empty())
      return Status::NotFound("project '" + o.project + "' did not exist at sequence " + std::to_string(seq_));
    std::set<uint64_t> ds;
    if (only_dataset) ds.insert(only_dataset);
    else if (only_project) ds.insert(projects_[0].dataset_ids.begin(), projects_[0].dataset_ids.end());
    else {
      ANNODB_RETURN_IF_ERROR(t_.ScanIncludingDeleted(RecordKind::Dataset, 1, [&](const RecordView& v) {
        ds.insert(v.id());
        return true;
      }));
    }
    for (uint64_t id : ds) {
      RecordView v;
      if (t_.GetAsOf(RecordKind::Dataset, id, seq_, &v).ok()) datasets_.push_back(id);
    }
    return Status::OK();
  }

  Status Members() {
    return t_.ScanIncludingDeleted(RecordKind::Member, 1, [&](const RecordView& cur) {
      RecordView v;
      if (!t_.GetAsOf(RecordKind::Member, cur.id(), seq_, &v).ok()) return true;
      const fb::Member* m = v.As<fb::Member>();
      ojson j{{"type", "member"}, {"name", FbStr(m->name())}};
      if (m->display_name()) j["display_name"] = m->display_name()->str();
      j["role"] = RoleName(m->role());
      j["active"] = m->active();
      j["provenance"] = ndjson::ProvenanceJson(v.DecodeProvenance());
      Emit(j);
      member_names_[cur.id()] = FbStr(m->name());
      return true;
    });
  }

  Status Datasets() {
    for (uint64_t id : datasets_) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(t_.GetAsOf(RecordKind::Dataset, id, seq_, &v));
      const fb::Dataset* d = v.As<fb::Dataset>();
      dataset_names_[id] = FbStr(d->name());
      Emit(ojson{{"type", "dataset"}, {"name", FbStr(d->name())}, {"description", FbStr(d->description())},
                 {"provenance", ndjson::ProvenanceJson(v.DecodeProvenance())}});
    }
    return Status::OK();
  }

  Status Projects() {
    for (const ProjectInfo& p : projects_) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(t_.GetAsOf(RecordKind::Project, p.id, seq_, &v));
      ojson names = ojson::array();
      for (uint64_t d : p.dataset_ids) names.push_back(dataset_names_.count(d) ? dataset_names_[d] : std::to_string(d));
      ojson settings{{"overlap", p.settings.overlap},
                     {"lease_ttl_s", p.settings.lease_ttl_s},
                     {"review_fraction", FloatForJson(p.settings.review_fraction)},
                     {"gold_rate", FloatForJson(p.settings.gold_rate)},
                     {"max_leases", p.settings.max_leases}};
      if (!p.settings.instructions.empty()) settings["instructions"] = p.settings.instructions;
      Emit(ojson{{"type", "project"}, {"name", p.name}, {"datasets", names}, {"ontology", FeaturesJson(p.features)},
                 {"settings", settings}, {"provenance", ndjson::ProvenanceJson(v.DecodeProvenance())}});
    }
    return Status::OK();
  }

  std::string MemberName(uint64_t id) {
    auto it = member_names_.find(id);
    return it == member_names_.end() ? "#" + std::to_string(id) : it->second;
  }

  ojson LabelJson(const RecordView& v, const std::string& project) {
    LabelInput l = DecodeLabel(v.As<fb::Label>());
    ojson j;
    j["project"] = project;
    if (l.author_member_id) j["author"] = MemberName(l.author_member_id);
    j["source"] = LabelSourceName(l.source);
    if (!l.model_name.empty()) j["model"] = {{"name", l.model_name}, {"version", l.model_version}};
    j["status"] = LabelStatusName(l.status);
    if (l.time_spent_ms) j["time_spent_ms"] = l.time_spent_ms;
    ojson anns = ojson::array();
    for (const AnnotationInput& a : l.annotations) {
      ojson o;
      o["feature"] = a.feature;
      if (!a.class_name.empty()) o["class"] = a.class_name;
      switch (a.kind) {
        case FeatureKind::Classification: o["value"] = a.value; break;
        case FeatureKind::MultiClassification: o["values"] = a.values; break;
        case FeatureKind::BBox: o["bbox"] = {a.x, a.y, a.w, a.h}; break;
        case FeatureKind::Polygon:
        case FeatureKind::Polyline: {
          ojson pts = ojson::array();
          for (const Point& p : a.points) pts.push_back({p.x, p.y});
          o[a.kind == FeatureKind::Polygon ? "polygon" : "polyline"] = std::move(pts);
          break;
        }
        case FeatureKind::Point:
          if (!a.points.empty()) o["point"] = {a.points[0].x, a.points[0].y};
          break;
        case FeatureKind::Mask: o["mask"] = {{"size", {a.mask_height, a.mask_width}}, {"counts", a.mask_counts}}; break;
        case FeatureKind::Span: o["span"] = {a.span_start, a.span_end}; break;
        case FeatureKind::Text: o["text"] = a.text; break;
      }
      if (a.score) o["score"] = FloatForJson(*a.score);
      anns.push_back(std::move(o));
    }
    j["annotations"] = std::move(anns);
    j["provenance"] = ndjson::ProvenanceJson(v.DecodeProvenance());
    return j;
  }

  ojson CommentJson(const RecordView& v, const std::map<uint64_t, size_t>& label_index) {
    const fb::Comment* c = v.As<fb::Comment>();
    ojson j;
    j["author"] = MemberName(c->author_member_id());
    j["body"] = FbStr(c->body());
    if (c->label_id()) j["label"] = label_index.at(c->label_id());
    if (!c->label_id() && c->project_id() && !c->thread_id()) j["project"] = project_names_[c->project_id()];
    if (c->annotation_index() >= 0) j["annotation"] = c->annotation_index();
    if (c->region_box())
      j["region"] = {{"box", {c->region_box()->x(), c->region_box()->y(), c->region_box()->w(), c->region_box()->h()}}};
    if (c->region_point()) j["region"] = {{"point", {c->region_point()->x(), c->region_point()->y()}}};
    if (c->issue_state() != IssueState::None) j["issue"] = IssueStateName(c->issue_state());
    j["provenance"] = ndjson::ProvenanceJson(v.DecodeProvenance());
    return j;
  }

  Status Assets(uint64_t dataset) {
    std::string prefix = KeyBuilder().U64(dataset).str();
    Status inner;
    ANNODB_RETURN_IF_ERROR(t_.IndexScan(Index::kAssetByExternalId, "", prefix, [&](std::string_view, std::string_view val) {
      if (val.size() != 8) {
        inner = Status::Corruption("external-id index entry is malformed");
        return false;
      }
      inner = Asset(dataset, DecodeU64(val.data()));
      return inner.ok();
    }));
    return inner;
  }

  Status Asset(uint64_t dataset, uint64_t asset_id) {
    RecordView av;
    Status s = t_.GetAsOf(RecordKind::Asset, asset_id, seq_, &av);
    if (s.IsNotFound()) return Status::OK();
    ANNODB_RETURN_IF_ERROR(s);
    ojson line{{"type", "asset"}, {"dataset", dataset_names_[dataset]}, {"asset", AssetBody(DecodeAsset(av.As<fb::Asset>()))},
               {"provenance", ndjson::ProvenanceJson(av.DecodeProvenance())}};
    ojson labels = ojson::array();
    std::map<uint64_t, size_t> label_index;  // label id -> position in "labels" (small: one asset)
    for (const ProjectInfo& p : projects_) {
      std::vector<uint64_t> ids;
      ANNODB_RETURN_IF_ERROR(t_.IndexScan(Index::kLabelByAsset, "", KeyBuilder().U64(p.id).U64(asset_id).str(),
                                          [&](std::string_view k, std::string_view) {
                                            ids.push_back(DecodeU64(k.data() + 16));
                                            return true;
                                          }));
      for (uint64_t id : ids) {
        RecordView lv;
        Status ls = t_.GetAsOf(RecordKind::Label, id, seq_, &lv);
        if (ls.IsNotFound()) continue;
        ANNODB_RETURN_IF_ERROR(ls);
        label_index[id] = labels.size();
        labels.push_back(LabelJson(lv, p.name));
        ++r_->labels;
      }
    }
    line["labels"] = std::move(labels);
    ojson comments = ojson::array();
    std::vector<uint64_t> roots;
    ANNODB_RETURN_IF_ERROR(ListThreads(t_, {asset_id, 0, 0, false}, &roots));
    for (uint64_t root : roots) {
      RecordView cv;
      Status cs = t_.GetAsOf(RecordKind::Comment, root, seq_, &cv);
      if (cs.IsNotFound()) continue;
      ANNODB_RETURN_IF_ERROR(cs);
      const fb::Comment* c = cv.As<fb::Comment>();
      if (c->label_id() && !label_index.count(c->label_id())) continue;  // its label is not exported
      if (c->project_id() && std::none_of(projects_.begin(), projects_.end(),
                                          [&](const ProjectInfo& p) { return p.id == c->project_id(); }))
        continue;
      ojson cj = CommentJson(cv, label_index);
      ojson replies = ojson::array();
      std::vector<uint64_t> thread;
      ANNODB_RETURN_IF_ERROR(ListThread(t_, root, &thread));
      for (uint64_t id : thread) {
        if (id == root) continue;
        RecordView rv;
        Status rs = t_.GetAsOf(RecordKind::Comment, id, seq_, &rv);
        if (rs.IsNotFound()) continue;
        ANNODB_RETURN_IF_ERROR(rs);
        replies.push_back(CommentJson(rv, label_index));
        ++r_->comments;
      }
      if (!replies.empty()) cj["replies"] = std::move(replies);
      comments.push_back(std::move(cj));
      ++r_->comments;
    }
    line["comments"] = std::move(comments);
    Emit(line);
    ++r_->assets;
    return out_ ? Status::OK() : Status::IOError("writing the export failed");
  }

  const ReadTxn& t_;
  std::ostream& out_;
  ExportReport* r_;
  uint64_t seq_ = 0;
  std::vector<ProjectInfo> projects_;
  std::vector<uint64_t> datasets_;
  std::map<uint64_t, std::string> dataset_names_, member_names_, project_names_;
};

}  // namespace

Status ExportNdjson(Store& store, const ExportOptions& options, std::ostream& out, ExportReport* report) {
  if (!report) return Status::InvalidArgument("report is null");
  *report = ExportReport();
  return store.Read([&](ReadTxn& t) { return Exporter(t, out, report).Run(options); });
}

}  // namespace annodb
