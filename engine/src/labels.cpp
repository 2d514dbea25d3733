// Labels: writes, reads, indexes (see labels.h).
#include "annodb/labels.h"

#include <algorithm>

#include "annodb/keys.h"
#include "annodb/members.h"
#include "consensus_views.h"
#include "indexed_record.h"
#include "label_keys.h"
#include "text_checks.h"

namespace annodb {
namespace {

const char* const kSourceNames[] = {"human", "model", "gold", "aggregate"};
const char* const kStatusNames[] = {"draft", "submitted", "accepted", "rejected"};

std::string UniqueKey(const LabelInput& l) {
  return label_keys::Unique(l.project_id, l.asset_id, l.source,
                            label_keys::Author(l.source, l.author_member_id, l.model_name, l.model_version));
}
void BuildLabel(const LabelInput& l, flatbuffers::FlatBufferBuilder* b) {
  b->Clear();
  std::vector<flatbuffers::Offset<fb::Annotation>> anns;
  anns.reserve(l.annotations.size());
  for (const AnnotationInput& a : l.annotations) {
    auto feature = b->CreateString(a.feature);
    flatbuffers::Offset<flatbuffers::String> value, cls, text;
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> values;
    flatbuffers::Offset<flatbuffers::Vector<const fb::Point2*>> points;
    flatbuffers::Offset<fb::Rle> mask;
    if (!a.value.empty()) value = b->CreateString(a.value);
    if (a.kind == FeatureKind::MultiClassification) values = b->CreateVectorOfStrings(a.values);
    if (!a.class_name.empty()) cls = b->CreateString(a.class_name);
    if (!a.text.empty() || a.kind == FeatureKind::Text) text = b->CreateString(a.text);
    if (!a.points.empty()) {
      std::vector<fb::Point2> pts;
      pts.reserve(a.points.size());
      for (const Point& p : a.points) pts.emplace_back(p.x, p.y);
      points = b->CreateVectorOfStructs(pts);
    }
    if (a.kind == FeatureKind::Mask) mask = fb::CreateRle(*b, a.mask_height, a.mask_width, b->CreateString(a.mask_counts));
    fb::Box box(a.x, a.y, a.w, a.h);
    fb::AnnotationBuilder ab(*b);
    ab.add_feature(feature);
    ab.add_kind(a.kind);
    if (!value.IsNull()) ab.add_value(value);
    if (!values.IsNull()) ab.add_values(values);
    if (!cls.IsNull()) ab.add_class_name(cls);
    if (a.kind == FeatureKind::BBox) ab.add_box(&box);
    if (!points.IsNull()) ab.add_points(points);
    if (!mask.IsNull()) ab.add_mask(mask);
    if (a.kind == FeatureKind::Span) {
      ab.add_span_start(a.span_start);
      ab.add_span_end(a.span_end);
    }
    if (!text.IsNull()) ab.add_text(text);
    if (a.score) ab.add_score(*a.score);
    anns.push_back(ab.Finish());
  }
  auto anns_vec = b->CreateVector(anns);
  auto mname = l.model_name.empty() ? 0 : b->CreateString(l.model_name);
  auto mver = l.model_version.empty() ? 0 : b->CreateString(l.model_version);
  fb::LabelBuilder lb(*b);
  lb.add_project_id(l.project_id);
  lb.add_asset_id(l.asset_id);
  lb.add_author_member_id(l.author_member_id);
  if (!mname.IsNull()) lb.add_model_name(mname);
  if (!mver.IsNull()) lb.add_model_version(mver);
  lb.add_source(l.source);
  lb.add_status(l.status);
  lb.add_annotations(anns_vec);
  lb.add_time_spent_ms(l.time_spent_ms);
  lb.add_lease_id(l.lease_id);
  b->Finish(lb.Finish());
}

// Loads what validation needs: the project, and the asset (which must be in
// one of the project's datasets).
Status LoadContext(const ReadTxn& txn, const LabelInput& l, ProjectInfo* project, AssetInput* asset) {
  Status s = GetProject(txn, l.project_id, kCurrent, project);
  if (s.IsNotFound()) return Status::NotFound("project " + std::to_string(l.project_id) + " does not exist");
  ANNODB_RETURN_IF_ERROR(s);
  RecordView av;
  s = txn.Get(RecordKind::Asset, l.asset_id, &av);
  if (s.IsNotFound()) return Status::NotFound("asset " + std::to_string(l.asset_id) + " does not exist");
  ANNODB_RETURN_IF_ERROR(s);
  const fb::Asset* a = av.As<fb::Asset>();
  if (std::find(project->dataset_ids.begin(), project->dataset_ids.end(), a->dataset_id()) == project->dataset_ids.end())
    return Status::InvalidArgument("asset " + std::to_string(l.asset_id) + " is not in a dataset of project '" +
                                   project->name + "'");
  asset->width = a->width();
  asset->height = a->height();
  asset->text = FbStr(a->text());
  if (l.author_member_id) {
    MemberInfo m;
    s = GetMember(txn, l.author_member_id, &m);
    if (s.IsNotFound()) return Status::NotFound("member " + std::to_string(l.author_member_id) + " does not exist");
    ANNODB_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

thread_local flatbuffers::FlatBufferBuilder t_label_builder(1024);

}  // namespace

const char* LabelSourceName(LabelSource s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(kSourceNames) ? kSourceNames[i] : "unknown";
}
bool ParseLabelSource(std::string_view name, LabelSource* out) {
  for (size_t i = 0; i < std::size(kSourceNames); ++i)
    if (name == kSourceNames[i]) return (*out = static_cast<LabelSource>(i)), true;
  return false;
}
const char* LabelStatusName(LabelStatus s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(kStatusNames) ? kStatusNames[i] : "unknown";
}
bool ParseLabelStatus(std::string_view name, LabelStatus* out) {
  for (size_t i = 0; i < std::size(kStatusNames); ++i)
    if (name == kStatusNames[i]) return (*out = static_cast<LabelStatus>(i)), true;
  return false;
}

LabelInput DecodeLabel(const fb::Label* l) {
  LabelInput out;
  out.project_id = l->project_id();
  out.asset_id = l->asset_id();
  out.author_member_id = l->author_member_id();
  out.model_name = FbStr(l->model_name());
  out.model_version = FbStr(l->model_version());
  out.source = l->source();
  out.status = l->status();
  out.time_spent_ms = l->time_spent_ms();
  out.lease_id = l->lease_id();
  if (l->annotations()) {
    for (const fb::Annotation* a : *l->annotations()) {
      AnnotationInput ai;
      ai.feature = FbStr(a->feature());
      ai.kind = a->kind();
      ai.value = FbStr(a->value());
      if (a->values()) for (auto* v : *a->values()) ai.values.push_back(v->str());
      ai.class_name = FbStr(a->class_name());
      if (a->box()) {
        ai.x = a->box()->x();
        ai.y = a->box()->y();
        ai.w = a->box()->w();
        ai.h = a->box()->h();
      }
      if (a->points()) for (const fb::Point2* p : *a->points()) ai.points.push_back({p->x(), p->y()});
      if (a->mask()) {
        ai.mask_height = a->mask()->height();
        ai.mask_width = a->mask()->width();
        ai.mask_counts = FbStr(a->mask()->counts());
      }
      ai.span_start = a->span_start();
      ai.span_end = a->span_end();
      ai.text = FbStr(a->text());
      if (a->score()) ai.score = *a->score();
      out.annotations.push_back(std::move(ai));
    }
  }
  return out;
}

Status PutLabel(WriteTxn& txn, LabelInput l, uint64_t* id, PutOutcome* outcome) {
  ProjectInfo project;
  AssetInput asset;
  ANNODB_RETURN_IF_ERROR(LoadContext(txn, l, &project, &asset));
  ANNODB_RETURN_IF_ERROR(ValidateLabel(project, asset, &l));
  std::string ukey = UniqueKey(l);
  if (ukey.size() > kMaxKeyBytes) return Status::InvalidArgument("model name and version are too long");
  std::string_view existing;
  Status s = txn.IndexGet(Index::kLabelUnique, ukey, &existing);
  if (s.ok()) {
    if (existing.size() != 8) return Status::Corruption("label uniqueness index entry is malformed");
    uint64_t label_id = DecodeU64(existing.data());
    if (id) *id = label_id;
    return UpdateLabel(txn, label_id, std::move(l), outcome);
  }
  if (!s.IsNotFound()) return s;
  uint64_t label_id = 0;
  ANNODB_RETURN_IF_ERROR(txn.AllocateId(RecordKind::Label, &label_id));
  flatbuffers::FlatBufferBuilder& b = t_label_builder;
  BuildLabel(l, &b);
  ANNODB_RETURN_IF_ERROR(txn.Put(RecordKind::Label, label_id, b.GetBufferPointer(), b.GetSize(), outcome));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kLabelUnique, ukey, EncodeU64(label_id)));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kLabelByAsset, label_keys::ByAsset(l.project_id, l.asset_id, label_id), ""));
  if (l.author_member_id)
    ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kLabelByAuthor, label_keys::ByAuthor(l.project_id, l.author_member_id, label_id), ""));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kLabelByStatus, label_keys::ByStatus(l.project_id, l.status, label_id), ""));
  // Consensus views follow in the same transaction (consensus_views.h).
  ANNODB_RETURN_IF_ERROR(
      consensus_internal::OnLabelChange(txn, project, {asset.width, asset.height}, label_id, nullptr, &l));
  if (id) *id = label_id;
  return Status::OK();
}

Status UpdateLabel(WriteTxn& txn, uint64_t id, LabelInput l, PutOutcome* outcome) {
  RecordView cur;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Label, id, &cur));
  const fb::Label* old = cur.As<fb::Label>();
  // Identity fields stay those of the stored label.
  l.project_id = old->project_id();
  l.asset_id = old->asset_id();
  l.author_member_id = old->author_member_id();
  l.model_name = FbStr(old->model_name());
  l.model_version = FbStr(old->model_version());
  l.source = old->source();
  LabelStatus old_status = old->status();
  LabelInput before = DecodeLabel(old);  // for the consensus views; `old` dies with the write
  ProjectInfo project;
  AssetInput asset;
  ANNODB_RETURN_IF_ERROR(LoadContext(txn, l, &project, &asset));
  ANNODB_RETURN_IF_ERROR(ValidateLabel(project, asset, &l));
  flatbuffers::FlatBufferBuilder& b = t_label_builder;
  BuildLabel(l, &b);
  PutOutcome out;
  ANNODB_RETURN_IF_ERROR(txn.Put(RecordKind::Label, id, b.GetBufferPointer(), b.GetSize(), &out));
  if (out != PutOutcome::kUnchanged && old_status != l.status) {
    ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kLabelByStatus, label_keys::ByStatus(l.project_id, old_status, id)));
    ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kLabelByStatus, label_keys::ByStatus(l.project_id, l.status, id), ""));
  }
  if (out != PutOutcome::kUnchanged)
    ANNODB_RETURN_IF_ERROR(
        consensus_internal::OnLabelChange(txn, project, {asset.width, asset.height}, id, &before, &l));
  if (outcome) *outcome = out;
  return Status::OK();
}

Status DeleteLabel(WriteTxn& txn, uint64_t id) {
  RecordView cur;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Label, id, &cur));
  LabelInput l = DecodeLabel(cur.As<fb::Label>());
  ANNODB_RETURN_IF_ERROR(txn.Delete(RecordKind::Label, id));
  // The uniqueness, author and status indexes list live labels only, so a
  // new label by the same author may follow. The by-asset index keeps the
  // deleted label: reads as of an earlier sequence (snapshot exports) find
  // every label an asset had through it.
  ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kLabelUnique, UniqueKey(l)));
  if (l.author_member_id)
    ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kLabelByAuthor, label_keys::ByAuthor(l.project_id, l.author_member_id, id)));
  ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kLabelByStatus, label_keys::ByStatus(l.project_id, l.status, id)));
  return consensus_internal::OnLabelDelete(txn, id, l);
}

Status GetLabel(const ReadTxn& txn, uint64_t id, uint64_t as_of, RecordView* out) {
  if (as_of == kCurrent) return txn.Get(RecordKind::Label, id, out);
  return txn.GetAsOf(RecordKind::Label, id, as_of, out);
}

Status ListLabels(const ReadTxn& txn, const LabelFilter& f, uint64_t after, size_t limit, std::vector<uint64_t>* ids) {
  ids->clear();
  if (f.project_id == 0) return Status::InvalidArgument("a project is required to list labels");
  if (limit == 0) limit = 1000;
  Index index;
  KeyBuilder prefix;
  prefix.U64(f.project_id);
  if (f.author_member_id) {
    index = Index::kLabelByAuthor;
    prefix.U64(f.author_member_id);
  } else if (f.status) {
    index = Index::kLabelByStatus;
    prefix.U8(static_cast<uint8_t>(*f.status));
  } else {
    index = Index::kLabelByAsset;
    if (f.asset_id) prefix.U64(f.asset_id);
  }
  // Resume after `after`: in id-ordered indexes seek straight past it; in the
  // asset-ordered one, find its asset first.
  std::string from = prefix.str();
  if (after) {
    if (index == Index::kLabelByAsset && !f.asset_id) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(txn.GetIncludingDeleted(RecordKind::Label, after, &v));
      from = label_keys::ByAsset(f.project_id, v.As<fb::Label>()->asset_id(), after + 1);
    } else {
      from = KeyBuilder().Tail(prefix.str()).U64(after + 1).str();
    }
  }
  Status inner;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(index, from, prefix.str(), [&](std::string_view key, std::string_view) {
    if (key.size() < 8) return true;
    uint64_t id = DecodeU64(key.data() + key.size() - 8);
    {
      RecordView v;
      inner = GetIndexedRecord(txn, index, RecordKind::Label, id, &v);
      if (!inner.ok()) return false;
      if (v.deleted()) return true;  // the by-asset index keeps deleted labels
      const fb::Label* l = v.As<fb::Label>();
      // A key that changed but stayed in order would list the label under
      // another asset: the record says where it belongs.
      if (index == Index::kLabelByAsset && key.size() == 24 && DecodeU64(key.data() + 8) != l->asset_id()) {
        inner = Status::Corruption("index idx.label_by_asset lists label " + std::to_string(id) + " under asset " +
                                   std::to_string(DecodeU64(key.data() + 8)) + ", but the label is on asset " +
                                   std::to_string(l->asset_id()) + " (the store is damaged: run `annodb verify`)");
        return false;
      }
      if ((f.asset_id && l->asset_id() != f.asset_id) || (f.status && l->status() != *f.status) ||
          (f.author_member_id && l->author_member_id() != f.author_member_id))
        return true;
    }
    ids->push_back(id);
    return ids->size() < limit;
  }));
  return inner;
}

}  // namespace annodb
