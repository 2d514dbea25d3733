// ExportNdjson: the labelled state as JSON Lines, from one read transaction.
//
// Each line is written straight from the stored FlatBuffers into an output
// buffer with JsonWriter (no JSON tree, no decoded copies of the records),
// and the buffer goes to the stream in blocks of about 1 MiB. The bytes are
// those nlohmann's dump() gave for the same values (json_writer.h), so the
// format in docs/formats.md is unchanged.
#include <algorithm>
#include <memory>
#include <set>
#include <unordered_map>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/comments.h"
#include "annodb/keys.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/ndjson.h"
#include "annodb/projects.h"
#include "index_cursor.h"
#include "indexed_record.h"
#include "json_writer.h"
#include "page_walk.h"
#include "stack_key.h"
#include "text_checks.h"

namespace annodb {
namespace {

std::string_view View(const flatbuffers::String* s) { return s ? s->string_view() : std::string_view(); }

// The restorable part of a version's provenance (no version numbers).
void WriteProvenance(JsonWriter& w, const fb::Provenance* p) {
  w.Key("provenance").BeginObject();
  ProvenanceInfo defaults;
  if (!p) {
    w.Field("actor_kind", ActorKindName(defaults.actor_kind)).Field("actor", "").FieldInt("time_us", 0);
    w.EndObject();
    return;
  }
  w.Field("actor_kind", ActorKindName(static_cast<ActorKind>(p->actor_kind())));
  w.Field("actor", View(p->actor_name()));
  if ((p->model_name() && p->model_name()->size()) || (p->model_version() && p->model_version()->size()))
    w.Key("model").BeginObject().Field("name", View(p->model_name())).Field("version", View(p->model_version())).EndObject();
  if (p->job_id()) w.FieldUint("job_id", p->job_id());
  if (p->lease_id()) w.FieldUint("lease_id", p->lease_id());
  w.FieldInt("time_us", p->time_us());
  if (p->note() && p->note()->size()) w.Field("note", View(p->note()));
  w.EndObject();
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& v) {
  w.BeginArray();
  for (const std::string& s : v) w.String(s);
  w.EndArray();
}

void WriteFeatures(JsonWriter& w, const std::vector<FeatureDef>& features) {
  w.BeginObject().Key("features").BeginArray();
  for (const FeatureDef& f : features) {
    w.BeginObject().Field("name", f.name).Field("kind", FeatureKindName(f.kind));
    if (!f.options.empty()) WriteStrings(w.Key("options"), f.options);
    if (!f.classes.empty()) WriteStrings(w.Key("classes"), f.classes);
    if (f.required) w.FieldBool("required", true);
    w.EndObject();
  }
  w.EndArray().EndObject();
}

// The asset in the import-line format (no ids, versions or sequences).
void WriteAssetBody(JsonWriter& w, const fb::Asset* a) {
  w.BeginObject();
  w.Field("external_id", View(a->external_id())).Field("uri", View(a->uri()));
  if (a->media_type() && a->media_type()->size()) w.Field("media_type", View(a->media_type()));
  if (a->width()) w.FieldUint("width", a->width());
  if (a->height()) w.FieldUint("height", a->height());
  if (a->duration_ms()) w.FieldUint("duration_ms", a->duration_ms());
  if (a->byte_size()) w.FieldUint("byte_size", a->byte_size());
  if (a->content_hash()) w.Field("content_hash", Hash128{a->content_hash()->hi(), a->content_hash()->lo()}.Hex());
  if (a->metadata() && a->metadata()->size()) {
    w.Key("metadata").BeginObject();
    for (const fb::MetaValue* m : *a->metadata()) {
      const auto kind = static_cast<MetaKind>(m->kind());
      if (kind > MetaKind::kTime) continue;  // a kind this build does not know
      w.Key(View(m->key()));
      switch (kind) {
        case MetaKind::kString: w.String(View(m->s())); break;
        case MetaKind::kInt: w.Int(m->i()); break;
        case MetaKind::kFloat: w.Double(m->f()); break;
        case MetaKind::kBool: w.Bool(m->b()); break;
        case MetaKind::kTime: w.BeginObject().Field("$time", FormatRfc3339(m->i())).EndObject(); break;
      }
    }
    w.EndObject();
  }
  if (a->embedding() && a->embedding()->size()) {
    w.Key("embedding").BeginArray();
    for (float f : *a->embedding()) w.Double(FloatForJson(f));
    w.EndArray();
  }
  if (a->text() && a->text()->size()) w.Field("text", View(a->text()));
  w.EndObject();
}

void WritePoint(JsonWriter& w, double x, double y) { w.BeginArray().Double(x).Double(y).EndArray(); }

void WriteAnnotation(JsonWriter& w, const fb::Annotation* a) {
  w.BeginObject().Field("feature", View(a->feature()));
  if (a->class_name() && a->class_name()->size()) w.Field("class", View(a->class_name()));
  switch (a->kind()) {
    case FeatureKind::Classification: w.Field("value", View(a->value())); break;
    case FeatureKind::MultiClassification:
      w.Key("values").BeginArray();
      if (a->values())
        for (const flatbuffers::String* v : *a->values()) w.String(View(v));
      w.EndArray();
      break;
    case FeatureKind::BBox: {
      const fb::Box* b = a->box();
      w.Key("bbox").BeginArray();
      if (b) w.Double(b->x()).Double(b->y()).Double(b->w()).Double(b->h());
      else w.Double(0).Double(0).Double(0).Double(0);
      w.EndArray();
      break;
    }
    case FeatureKind::Polygon:
    case FeatureKind::Polyline:
      w.Key(a->kind() == FeatureKind::Polygon ? "polygon" : "polyline").BeginArray();
      if (a->points())
        for (const fb::Point2* p : *a->points()) WritePoint(w, p->x(), p->y());
      w.EndArray();
      break;
    case FeatureKind::Point:
      if (a->points() && a->points()->size()) WritePoint(w.Key("point"), a->points()->Get(0)->x(), a->points()->Get(0)->y());
      break;
    case FeatureKind::Mask: {
      const fb::Rle* m = a->mask();
      w.Key("mask").BeginObject().Key("size").BeginArray();
      w.Uint(m ? m->height() : 0).Uint(m ? m->width() : 0).EndArray();
      w.Field("counts", m ? View(m->counts()) : std::string_view()).EndObject();
      break;
    }
    case FeatureKind::Span: w.Key("span").BeginArray().Uint(a->span_start()).Uint(a->span_end()).EndArray(); break;
    case FeatureKind::Text: w.Field("text", View(a->text())); break;
  }
  if (a->score()) w.FieldDouble("score", FloatForJson(*a->score()));
  w.EndObject();
}

// The ids that follow `prefix` in the keys of the index `c` walks. The
// prefixes must come in ascending order: the cursor only moves forward,
// and when its entry is already past the prefix the answer (none) costs no
// LMDB call.
Status IdsUnder(IndexCursor& c, std::string_view prefix, std::vector<uint64_t>* ids) {
  ids->clear();
  if (!c.positioned() || (c.valid() && c.key().substr(0, prefix.size()) < prefix))
    ANNODB_RETURN_IF_ERROR(c.Seek(prefix));
  while (c.valid() && c.key().size() == prefix.size() + 8 && c.key().substr(0, prefix.size()) == prefix) {
    ids->push_back(DecodeU64(c.key().data() + prefix.size()));
    ANNODB_RETURN_IF_ERROR(c.Next());
  }
  return Status::OK();
}

class Exporter {
 public:
  Exporter(const ReadTxn& t, std::ostream& out, ExportReport* r) : t_(t), out_(out), r_(r) {
    buf_.Reserve(kFlushBytes + 64 * 1024);
  }

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
    at_head_ = seq_ == t_.sequence();
    ANNODB_RETURN_IF_ERROR(SelectScope(o));
    {
      JsonWriter w(&buf_);
      w.BeginObject().Field("type", "header").Field("format", "annodb-ndjson").FieldInt("version", 1).EndObject();
      ANNODB_RETURN_IF_ERROR(EndLine());
    }
    ANNODB_RETURN_IF_ERROR(Members());
    ANNODB_RETURN_IF_ERROR(Datasets());
    ANNODB_RETURN_IF_ERROR(Projects());
    ANNODB_RETURN_IF_ERROR(Assets());
    ANNODB_RETURN_IF_ERROR(Flush());
    out_.flush();
    if (!out_) return Status::IOError("writing the export failed");
    return Status::OK();
  }

 private:
  static constexpr size_t kFlushBytes = size_t{1} << 20;

  // The version of a record the export shows. At the head (no snapshot or
  // as_of) that is the current one, read without GetAsOf's look-up of the
  // store's sequence on every call.
  Status Read(RecordKind kind, uint64_t id, RecordView* out) const {
    return at_head_ ? t_.Get(kind, id, out) : t_.GetAsOf(kind, id, seq_, out);
  }

  // The version of a record reached through `index` that the export shows;
  // *live is false when it is deleted (or, with as_of, was absent or deleted
  // then). A record the index names but the store lacks is Corruption, not a
  // deletion to skip (indexed_record.h).
  Status ReadIndexed(Index index, RecordKind kind, uint64_t id, RecordView* out, bool* live) const {
    ANNODB_RETURN_IF_ERROR(GetIndexedRecord(t_, index, kind, id, out));
    if (at_head_) {
      *live = !out->deleted();
      return Status::OK();
    }
    Status s = t_.GetAsOf(kind, id, seq_, out);
    *live = s.ok();
    return s.IsNotFound() ? Status::OK() : s;
  }

  // Ends the line in buf_ and hands full blocks to the stream.
  Status EndLine() {
    buf_.Put('\n');
    ++r_->lines;
    return buf_.size() >= kFlushBytes ? Flush() : Status::OK();
  }

  Status Flush() {
    out_.write(buf_.view().data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
    return out_ ? Status::OK() : Status::IOError("writing the export failed");
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
      if (Read(RecordKind::Dataset, id, &v).ok()) datasets_.push_back(id);
    }
    return Status::OK();
  }

  Status Members() {
    Status inner;
    ANNODB_RETURN_IF_ERROR(t_.ScanIncludingDeleted(RecordKind::Member, 1, [&](const RecordView& cur) {
      RecordView v;
      if (!Read(RecordKind::Member, cur.id(), &v).ok()) return true;
      const fb::Member* m = v.As<fb::Member>();
      JsonWriter w(&buf_);
      w.BeginObject().Field("type", "member").Field("name", View(m->name()));
      if (m->display_name()) w.Field("display_name", View(m->display_name()));
      w.Field("role", RoleName(m->role())).FieldBool("active", m->active());
      WriteProvenance(w, v.provenance());
      w.EndObject();
      member_names_[cur.id()] = FbStr(m->name());
      inner = EndLine();
      return inner.ok();
    }));
    return inner;
  }

  Status Datasets() {
    for (uint64_t id : datasets_) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(Read(RecordKind::Dataset, id, &v));
      const fb::Dataset* d = v.As<fb::Dataset>();
      dataset_names_[id] = FbStr(d->name());
      JsonWriter w(&buf_);
      w.BeginObject().Field("type", "dataset").Field("name", View(d->name())).Field("description", View(d->description()));
      WriteProvenance(w, v.provenance());
      w.EndObject();
      ANNODB_RETURN_IF_ERROR(EndLine());
    }
    return Status::OK();
  }

  Status Projects() {
    for (const ProjectInfo& p : projects_) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(Read(RecordKind::Project, p.id, &v));
      JsonWriter w(&buf_);
      w.BeginObject().Field("type", "project").Field("name", p.name).Key("datasets").BeginArray();
      for (uint64_t d : p.dataset_ids) {
        auto it = dataset_names_.find(d);
        w.String(it != dataset_names_.end() ? it->second : std::to_string(d));
      }
      w.EndArray();
      WriteFeatures(w.Key("ontology"), p.features);
      w.Key("settings").BeginObject();
      w.FieldUint("overlap", p.settings.overlap).FieldUint("lease_ttl_s", p.settings.lease_ttl_s);
      w.FieldDouble("review_fraction", FloatForJson(p.settings.review_fraction));
      w.FieldDouble("gold_rate", FloatForJson(p.settings.gold_rate));
      w.FieldUint("max_leases", p.settings.max_leases);
      if (!p.settings.instructions.empty()) w.Field("instructions", p.settings.instructions);
      w.EndObject();
      WriteProvenance(w, v.provenance());
      w.EndObject();
      ANNODB_RETURN_IF_ERROR(EndLine());
    }
    return Status::OK();
  }

  // Members are never deleted: one a label or comment names but the export
  // did not read is damage (a lost or changed key), remembered in bad_member_
  // and failing the line.
  void WriteMemberName(JsonWriter& w, uint64_t id) {
    auto it = member_names_.find(id);
    if (it != member_names_.end()) {
      w.String(it->second);
      return;
    }
    w.String("#" + std::to_string(id));
    if (bad_member_.ok())
      bad_member_ = Status::Corruption("member " + std::to_string(id) +
                                       " is named by a label or comment but is missing from the store (the store is damaged: run `annodb verify`)");
  }

  void WriteLabel(JsonWriter& w, const RecordView& v, const std::string& project) {
    const fb::Label* l = v.As<fb::Label>();
    w.BeginObject().Field("project", project);
    if (l->author_member_id()) WriteMemberName(w.Key("author"), l->author_member_id());
    w.Field("source", LabelSourceName(l->source()));
    if (l->model_name() && l->model_name()->size())
      w.Key("model").BeginObject().Field("name", View(l->model_name())).Field("version", View(l->model_version())).EndObject();
    w.Field("status", LabelStatusName(l->status()));
    if (l->time_spent_ms()) w.FieldUint("time_spent_ms", l->time_spent_ms());
    w.Key("annotations").BeginArray();
    if (l->annotations())
      for (const fb::Annotation* a : *l->annotations()) WriteAnnotation(w, a);
    w.EndArray();
    WriteProvenance(w, v.provenance());
    w.EndObject();
  }

  // Opens the comment's object and writes its fields; the caller adds the
  // replies and closes it. Its "label" is the position of its label in the
  // line's "labels" (label_ids_).
  Status WriteComment(JsonWriter& w, const RecordView& v) {
    const fb::Comment* c = v.As<fb::Comment>();
    w.BeginObject();
    WriteMemberName(w.Key("author"), c->author_member_id());
    w.Field("body", View(c->body()));
    if (c->label_id()) {
      auto it = std::find(label_ids_.begin(), label_ids_.end(), c->label_id());
      if (it == label_ids_.end())
        return Status::Corruption("comment " + std::to_string(v.id()) + " is on label " +
                                  std::to_string(c->label_id()) + ", which its asset's line does not hold");
      w.FieldUint("label", static_cast<uint64_t>(it - label_ids_.begin()));
    }
    if (!c->label_id() && c->project_id() && !c->thread_id()) w.Field("project", project_names_[c->project_id()]);
    if (c->annotation_index() >= 0) w.FieldInt("annotation", c->annotation_index());
    // A comment has a box or a point; were both set, the point is what the
    // export always kept.
    if (const fb::Point2* p = c->region_point()) {
      WritePoint(w.Key("region").BeginObject().Key("point"), p->x(), p->y());
      w.EndObject();
    } else if (const fb::Box* b = c->region_box()) {
      w.Key("region").BeginObject().Key("box").BeginArray().Double(b->x()).Double(b->y()).Double(b->w()).Double(b->h());
      w.EndArray().EndObject();
    }
    if (c->issue_state() != IssueState::None) w.Field("issue", IssueStateName(c->issue_state()));
    WriteProvenance(w, v.provenance());
    return Status::OK();  // the caller closes the object (after the replies)
  }

  // Every exported dataset's assets, in asset id order (the order they were
  // first written) with the datasets interleaved. Id order walks the records
  // table front to back; external-id order jumped around it at random and
  // was about 1.5x slower (docs/PERFORMANCE.md).
  Status Assets() {
    // One cursor per project over its labels by asset, one over comments by
    // asset (the index ListThreads reads), walked along with the assets.
    for (size_t i = 0; i < projects_.size(); ++i) {
      label_cursors_.push_back(std::make_unique<IndexCursor>());
      ANNODB_RETURN_IF_ERROR(label_cursors_.back()->Open(t_, Index::kLabelByAsset));
    }
    ANNODB_RETURN_IF_ERROR(comment_cursor_.Open(t_, Index::kCommentByAsset));
    Status inner;
    ANNODB_RETURN_IF_ERROR(t_.ScanIncludingDeleted(RecordKind::Asset, 1, [&](const RecordView& current) {
      const RecordView* v = &current;
      RecordView then;
      if (!at_head_) {
        Status s = t_.GetAsOf(RecordKind::Asset, current.id(), seq_, &then);
        if (s.IsNotFound()) return true;  // absent at seq_
        if (!s.ok()) {
          inner = s;
          return false;
        }
        v = &then;
      } else if (current.deleted()) {
        return true;
      }
      auto ds = dataset_names_.find(v->As<fb::Asset>()->dataset_id());
      if (ds == dataset_names_.end()) return true;  // not an exported dataset
      inner = Asset(*v, ds->second);
      return inner.ok();
    }));
    return inner;
  }

  Status Asset(const RecordView& av, const std::string& dataset_name) {
    const size_t line_start = buf_.size();
    Status st = WriteAssetLine(av, dataset_name);
    if (!st.ok()) {
      buf_.resize_down(line_start);  // no half line in the output
      return st;
    }
    ++r_->assets;
    return EndLine();
  }

  Status WriteAssetLine(const RecordView& av, const std::string& dataset_name) {
    const uint64_t asset_id = av.id();
    JsonWriter w(&buf_);
    w.BeginObject().Field("type", "asset").Field("dataset", dataset_name);
    WriteAssetBody(w.Key("asset"), av.As<fb::Asset>());
    WriteProvenance(w, av.provenance());
    w.Key("labels").BeginArray();
    label_ids_.clear();
    for (size_t pi = 0; pi < projects_.size(); ++pi) {
      const ProjectInfo& p = projects_[pi];
      ANNODB_RETURN_IF_ERROR(IdsUnder(*label_cursors_[pi], StackKey<16>().U64(p.id).U64(asset_id).view(), &label_scan_));
      for (uint64_t id : label_scan_) {
        RecordView lv;
        bool live = false;
        ANNODB_RETURN_IF_ERROR(ReadIndexed(Index::kLabelByAsset, RecordKind::Label, id, &lv, &live));
        if (!live) continue;
        // An index key that changed but stayed in order would put the label
        // under another asset: the record says where it belongs.
        if (lv.As<fb::Label>()->asset_id() != asset_id || lv.As<fb::Label>()->project_id() != p.id)
          return Status::Corruption("index idx.label_by_asset lists label " + std::to_string(id) + " under asset " +
                                    std::to_string(asset_id) + ", but the label is on asset " +
                                    std::to_string(lv.As<fb::Label>()->asset_id()) + " (the store is damaged: run `annodb verify`)");
        label_ids_.push_back(id);
        WriteLabel(w, lv, p.name);
        ++r_->labels;
      }
    }
    w.EndArray();
    w.Key("comments").BeginArray();
    ANNODB_RETURN_IF_ERROR(IdsUnder(comment_cursor_, StackKey<8>().U64(asset_id).view(), &roots_));
    for (uint64_t root : roots_) {
      RecordView cv;
      bool live = false;
      ANNODB_RETURN_IF_ERROR(ReadIndexed(Index::kCommentByAsset, RecordKind::Comment, root, &cv, &live));
      if (!live) continue;
      const fb::Comment* c = cv.As<fb::Comment>();
      if (c->label_id() && std::find(label_ids_.begin(), label_ids_.end(), c->label_id()) == label_ids_.end())
        continue;  // its label is not exported
      if (c->project_id() && !project_names_.count(c->project_id())) continue;  // its project is not exported
      ANNODB_RETURN_IF_ERROR(WriteComment(w, cv));
      std::vector<uint64_t> thread;
      ANNODB_RETURN_IF_ERROR(ListThread(t_, root, &thread));
      bool any_reply = false;
      for (uint64_t id : thread) {
        if (id == root) continue;
        RecordView rv;
        bool reply_live = false;
        ANNODB_RETURN_IF_ERROR(ReadIndexed(Index::kCommentByThread, RecordKind::Comment, id, &rv, &reply_live));
        if (!reply_live) continue;
        if (!any_reply) w.Key("replies").BeginArray();
        any_reply = true;
        ANNODB_RETURN_IF_ERROR(WriteComment(w, rv));
        w.EndObject();
        ++r_->comments;
      }
      if (any_reply) w.EndArray();
      w.EndObject();
      ++r_->comments;
    }
    w.EndArray().EndObject();
    return bad_member_;
  }

  const ReadTxn& t_;
  std::ostream& out_;
  ExportReport* r_;
  uint64_t seq_ = 0;
  bool at_head_ = false;  // seq_ is the transaction's own sequence
  JsonBuffer buf_;  // lines not yet written to out_
  std::vector<ProjectInfo> projects_;
  std::vector<uint64_t> datasets_;
  std::unordered_map<uint64_t, std::string> dataset_names_, member_names_, project_names_;
  std::vector<uint64_t> label_ids_;   // the current line's labels, in "labels" order
  std::vector<uint64_t> label_scan_;  // reused per project
  std::vector<uint64_t> roots_;       // the current asset's comment threads
  std::vector<std::unique_ptr<IndexCursor>> label_cursors_;  // per project, as projects_
  IndexCursor comment_cursor_;
  Status bad_member_;  // the first member named but missing (WriteMemberName)
};

}  // namespace

Status ExportNdjson(Store& store, const ExportOptions& options, std::ostream& out, ExportReport* report) {
  if (!report) return Status::InvalidArgument("report is null");
  *report = ExportReport();
  // LMDB's cursors trust the pages: refuse a file whose pages are damaged
  // rather than crash or export a part of it (issue 11, item 12).
  ANNODB_RETURN_IF_ERROR(page_walk::Check(store.dir(), page_walk::Scope::kAll));
  return store.Read([&](ReadTxn& t) { return Exporter(t, out, report).Run(options); });
}

}  // namespace annodb
