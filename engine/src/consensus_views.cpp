// Consensus views: storage form and upkeep on label writes (consensus_views.h).
#include "consensus_views.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "annodb/consensus.h"
#include "annodb/keys.h"
#include "annodb/schema/consensus_generated.h"
#include "text_checks.h"

namespace annodb::consensus_internal {
namespace {

void PutU32(std::string* s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// The option index of each classification annotation of a label: (feature, option).
std::vector<std::pair<uint32_t, uint32_t>> ClassValues(const std::vector<FeatureDef>& features, const LabelInput& l) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const AnnotationInput& a : l.annotations) {
    if (a.kind != FeatureKind::Classification) continue;
    for (uint32_t f = 0; f < features.size(); ++f) {
      if (features[f].name != a.feature) continue;
      const auto& opts = features[f].options;
      auto it = std::find(opts.begin(), opts.end(), a.value);
      if (it != opts.end()) out.emplace_back(f, static_cast<uint32_t>(it - opts.begin()));
      break;
    }
  }
  return out;
}

Status PairAgreement(const ProjectInfo& project, AssetSize size, uint64_t id_a, const LabelInput& a, uint64_t id_b,
                     const LabelInput& b, ViewPair* out) {
  // Always lower id first, so that a recomputation gets bit-identical scores.
  const LabelInput& first = id_a < id_b ? a : b;
  const LabelInput& second = id_a < id_b ? b : a;
  LabelAgreementResult r;
  ANNODB_RETURN_IF_ERROR(LabelAgreement(project.features, size, first, second, &r));
  out->a = std::min(id_a, id_b);
  out->b = std::max(id_a, id_b);
  out->score = ToUnits(r.score);
  out->features.clear();
  for (const FeatureAgreement& f : r.features)
    out->features.emplace_back(static_cast<uint32_t>(f.feature), ToUnits(f.score));
  return Status::OK();
}

// Applies label changes to one asset's view, collecting member and value deltas.
class ViewUpdate {
 public:
  ViewUpdate(const ReadTxn& txn, const ProjectInfo& project, AssetSize size, AssetView* view)
      : txn_(txn), project_(project), size_(size), view_(view) {}

  void Remove(uint64_t id) {
    auto lit = std::find_if(view_->labels.begin(), view_->labels.end(), [&](const ViewLabel& l) { return l.id == id; });
    if (lit == view_->labels.end()) return;
    ViewLabel me = *lit;
    view_->labels.erase(lit);
    if (me.source == LabelSource::Human) members_[me.member][0] -= 1;
    for (auto it = view_->pairs.begin(); it != view_->pairs.end();) {
      if (it->a != id && it->b != id) {
        ++it;
        continue;
      }
      uint64_t other_id = it->a == id ? it->b : it->a;
      const ViewLabel* other = Find(other_id);
      if (other) Account(me, *other, it->score, -1);
      it = view_->pairs.erase(it);
    }
  }

  // `loaded` caches other labels' contents (label id -> content).
  Status Add(uint64_t id, uint64_t member, LabelSource source, const LabelInput& content) {
    ViewLabel me{id, member, source};
    for (const ViewLabel& other : view_->labels) {
      if (other.source == LabelSource::Gold && source == LabelSource::Gold) continue;
      const LabelInput* oc = nullptr;
      ANNODB_RETURN_IF_ERROR(Load(other.id, &oc));
      ViewPair p;
      ANNODB_RETURN_IF_ERROR(PairAgreement(project_, size_, id, content, other.id, *oc, &p));
      Account(me, other, p.score, +1);
      view_->pairs.push_back(std::move(p));
    }
    if (source == LabelSource::Human) members_[member][0] += 1;
    view_->labels.push_back(me);
    std::sort(view_->labels.begin(), view_->labels.end(), [](auto& x, auto& y) { return x.id < y.id; });
    std::sort(view_->pairs.begin(), view_->pairs.end(),
              [](auto& x, auto& y) { return std::pair(x.a, x.b) < std::pair(y.a, y.b); });
    return Status::OK();
  }

  // Provides a label's content without reading it (the one being written).
  void Provide(uint64_t id, const LabelInput& content) { cache_[id] = content; }

  std::map<uint64_t, std::array<int64_t, 5>>& members() { return members_; }

 private:
  const ViewLabel* Find(uint64_t id) const {
    for (const ViewLabel& l : view_->labels)
      if (l.id == id) return &l;
    return nullptr;
  }
  void Account(const ViewLabel& x, const ViewLabel& y, uint32_t units, int sign) {
    if (x.source == LabelSource::Human && y.source == LabelSource::Human) {
      members_[x.member][1] += sign * int64_t{units};
      members_[x.member][2] += sign;
      members_[y.member][1] += sign * int64_t{units};
      members_[y.member][2] += sign;
      return;
    }
    const ViewLabel& human = x.source == LabelSource::Human ? x : y;
    const ViewLabel& gold = x.source == LabelSource::Human ? y : x;
    if (human.member == gold.member) return;  // one's own gold is no benchmark
    members_[human.member][3] += sign * int64_t{units};
    members_[human.member][4] += sign;
  }
  Status Load(uint64_t id, const LabelInput** out) {
    auto it = cache_.find(id);
    if (it == cache_.end()) {
      RecordView v;
      Status s = txn_.Get(RecordKind::Label, id, &v);
      if (s.IsNotFound()) return Status::Corruption("consensus view lists label " + std::to_string(id) + ", which does not exist");
      ANNODB_RETURN_IF_ERROR(s);
      it = cache_.emplace(id, DecodeLabel(v.As<fb::Label>())).first;
    }
    *out = &it->second;
    return Status::OK();
  }

  const ReadTxn& txn_;
  const ProjectInfo& project_;
  AssetSize size_;
  AssetView* view_;
  std::map<uint64_t, LabelInput> cache_;
  std::map<uint64_t, std::array<int64_t, 5>> members_;
};

Status ApplyMemberDeltas(WriteTxn& txn, uint64_t project, const std::map<uint64_t, std::array<int64_t, 5>>& deltas) {
  for (const auto& [member, d] : deltas) {
    if (std::all_of(d.begin(), d.end(), [](int64_t x) { return x == 0; })) continue;
    std::string key = MemberKey(project, member);
    MemberCounters c{};
    std::string_view cur;
    Status s = txn.IndexGet(Index::kConsensusMember, key, &cur);
    if (s.ok()) {
      ANNODB_RETURN_IF_ERROR(DecodeMember(cur, &c));
    } else if (!s.IsNotFound()) {
      return s;
    }
    for (int i = 0; i < 5; ++i) {
      int64_t v = static_cast<int64_t>(c[i]) + d[i];
      if (v < 0) return Status::Corruption("consensus member counters of member " + std::to_string(member) + " went negative");
      c[i] = static_cast<uint64_t>(v);
    }
    if (c == MemberCounters{}) {
      ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kConsensusMember, key));
    } else {
      ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kConsensusMember, key, EncodeMember(c)));
    }
  }
  return Status::OK();
}

Status ApplyValueDelta(WriteTxn& txn, uint64_t project, uint64_t asset, uint32_t feature, uint32_t option, int sign) {
  std::string key = ValuesKey(project, feature, asset);
  ValueCounts vc;
  std::string_view cur;
  Status s = txn.IndexGet(Index::kConsensusValues, key, &cur);
  if (s.ok()) {
    ANNODB_RETURN_IF_ERROR(DecodeValues(cur, &vc));
  } else if (!s.IsNotFound()) {
    return s;
  }
  auto it = std::lower_bound(vc.begin(), vc.end(), std::pair<uint32_t, uint32_t>(option, 0));
  if (sign > 0) {
    if (it != vc.end() && it->first == option) ++it->second;
    else vc.insert(it, {option, 1});
  } else {
    if (it == vc.end() || it->first != option || it->second == 0)
      return Status::Corruption("consensus value counts are missing a value being removed");
    if (--it->second == 0) vc.erase(it);
  }
  if (vc.empty()) return txn.IndexDelete(Index::kConsensusValues, key);
  return txn.IndexPut(Index::kConsensusValues, key, EncodeValues(vc));
}

// Whether the project's views predate the labels: a store written before the
// views existed (or views removed by hand). Then a change cannot be applied
// incrementally: a counted label being changed is missing from its asset's
// view, or a new label arrives on an asset (or in a project) without a view
// although other counted labels are there. The checks cost nothing when the
// asset has a view, and a prefix seek or two when it has none.
Status ViewsPredateLabels(const ReadTxn& txn, uint64_t project, uint64_t asset, uint64_t label_id, bool view_found,
                          const AssetView& view, bool was, bool is, bool* out) {
  *out = false;
  if (was && std::none_of(view.labels.begin(), view.labels.end(), [&](const ViewLabel& l) { return l.id == label_id; })) {
    *out = true;
    return Status::OK();
  }
  if (view_found || !is) return Status::OK();
  // `other_counts` visits index keys ending in a label id and stops at the
  // first other live label that counts.
  Status inner;
  auto other_counts = [&](std::string_view k, std::string_view) {
    if (k.size() != 24) return true;  // (project, asset or author, label id)
    uint64_t id = DecodeU64(k.data() + 16);
    if (id == label_id) return true;
    RecordView v;
    inner = txn.Get(RecordKind::Label, id, &v);
    if (inner.IsNotFound()) {  // deleted (the by-asset index keeps them)
      inner = Status::OK();
      return true;
    }
    if (!inner.ok()) return false;
    const fb::Label* l = v.As<fb::Label>();
    if (Counts(l->source(), l->status())) *out = true;
    return !*out;
  };
  // This asset's other labels (a new asset has only this one).
  std::string asset_prefix = KeyBuilder().U64(project).U64(asset).str();
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLabelByAsset, asset_prefix, asset_prefix, other_counts));
  ANNODB_RETURN_IF_ERROR(inner);
  if (*out) return Status::OK();
  // A project without any view: do other counted labels exist? (Counted
  // labels are human or gold, which have an author: the by-author index.)
  std::string prefix = KeyBuilder().U64(project).str();
  bool any_view = false;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kConsensusAsset, prefix, prefix, [&](std::string_view, std::string_view) {
    any_view = true;
    return false;
  }));
  if (any_view) return Status::OK();
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLabelByAuthor, prefix, prefix, other_counts));
  return inner;
}

}  // namespace

uint32_t ToUnits(double score) {
  if (!(score > 0)) return 0;
  if (score >= 1) return static_cast<uint32_t>(kUnits);
  return static_cast<uint32_t>(std::llround(score * kUnits));
}

bool Counts(LabelSource source, LabelStatus status) {
  return (source == LabelSource::Human || source == LabelSource::Gold) &&
         (status == LabelStatus::Submitted || status == LabelStatus::Accepted);
}

std::string AssetKey(uint64_t project, uint64_t asset) { return KeyBuilder().U64(project).U64(asset).str(); }
std::string ScoreKey(uint64_t project, uint64_t units, uint64_t asset) {
  return KeyBuilder().U64(project).U64(units).U64(asset).str();
}
std::string MemberKey(uint64_t project, uint64_t member) { return KeyBuilder().U64(project).U64(member).str(); }
std::string ValuesKey(uint64_t project, uint32_t feature, uint64_t asset) {
  return KeyBuilder().U64(project).U32(feature).U64(asset).str();
}

std::string EncodeMember(const MemberCounters& c) {
  std::string s;
  for (uint64_t v : c) s += EncodeU64(v);
  return s;
}
Status DecodeMember(std::string_view v, MemberCounters* out) {
  if (v.size() != 40) return Status::Corruption("consensus member entry has " + std::to_string(v.size()) + " bytes, not 40");
  for (int i = 0; i < 5; ++i) (*out)[i] = DecodeU64(v.data() + 8 * i);
  return Status::OK();
}
std::string EncodeValues(const ValueCounts& vc) {
  std::string s;
  for (auto [o, n] : vc) {
    PutU32(&s, o);
    PutU32(&s, n);
  }
  return s;
}
Status DecodeValues(std::string_view v, ValueCounts* out) {
  out->clear();
  if (v.size() % 8) return Status::Corruption("consensus value counts entry has a partial pair");
  for (size_t i = 0; i < v.size(); i += 8) out->emplace_back(GetU32(v.data() + i), GetU32(v.data() + i + 4));
  return Status::OK();
}

bool ViewScoreUnits(const AssetView& v, uint64_t* units) {
  uint64_t sum = 0, n = 0;
  for (const ViewPair& p : v.pairs) {
    const ViewLabel *a = nullptr, *b = nullptr;
    for (const ViewLabel& l : v.labels) {
      if (l.id == p.a) a = &l;
      if (l.id == p.b) b = &l;
    }
    if (!a || !b || a->source != LabelSource::Human || b->source != LabelSource::Human) continue;
    sum += p.score;
    ++n;
  }
  if (n == 0) return false;
  *units = sum / n;
  return true;
}

std::string EncodeView(uint64_t project, uint64_t asset, const std::vector<FeatureDef>& features, const AssetView& v) {
  std::map<uint64_t, LabelSource> source;
  uint32_t humans = 0, golds = 0;
  for (const ViewLabel& l : v.labels) {
    source[l.id] = l.source;
    (l.source == LabelSource::Human ? humans : golds) += 1;
  }
  // Derived: human-human pairs only.
  uint64_t sum = 0;
  uint32_t npairs = 0;
  std::map<uint32_t, std::pair<uint64_t, uint32_t>> per_feature;
  std::map<uint64_t, std::pair<uint64_t, uint32_t>> per_label;
  for (const ViewPair& p : v.pairs) {
    if (source[p.a] != LabelSource::Human || source[p.b] != LabelSource::Human) continue;
    sum += p.score;
    ++npairs;
    for (auto [f, s] : p.features) {
      per_feature[f].first += s;
      per_feature[f].second += 1;
    }
    for (uint64_t id : {p.a, p.b}) {
      per_label[id].first += p.score;
      per_label[id].second += 1;
    }
  }
  uint64_t best = 0;
  double best_mean = -1;
  for (const auto& [id, sn] : per_label) {
    double mean = static_cast<double>(sn.first) / sn.second;
    if (mean > best_mean) {  // ties: the lowest label id (map order)
      best_mean = mean;
      best = id;
    }
  }
  flatbuffers::FlatBufferBuilder b(512);
  std::vector<flatbuffers::Offset<fb::FeatureScore>> fs;
  for (const auto& [f, sn] : per_feature) {
    std::string name = f < features.size() ? features[f].name : "#" + std::to_string(f);
    fs.push_back(fb::CreateFeatureScore(b, b.CreateString(name), static_cast<double>(sn.first) / sn.second / kUnits,
                                        sn.second));
  }
  auto fs_vec = b.CreateVector(fs);
  std::vector<fb::ConsensusLabel> labels;
  for (const ViewLabel& l : v.labels) labels.emplace_back(l.id, l.member, static_cast<uint8_t>(l.source));
  auto labels_vec = b.CreateVectorOfStructs(labels);
  std::vector<flatbuffers::Offset<fb::ConsensusPair>> pairs;
  for (const ViewPair& p : v.pairs) {
    std::vector<fb::FeaturePairScore> pf;
    for (auto [f, s] : p.features) pf.emplace_back(f, s);
    pairs.push_back(fb::CreateConsensusPair(b, p.a, p.b, p.score, b.CreateVectorOfStructs(pf)));
  }
  auto pairs_vec = b.CreateVector(pairs);
  fb::ConsensusBuilder cb(b);
  cb.add_project_id(project);
  cb.add_asset_id(asset);
  cb.add_label_count(humans);
  cb.add_score(npairs ? static_cast<double>(sum) / npairs / kUnits : 0.0);
  cb.add_feature_scores(fs_vec);
  cb.add_best_label_id(best);
  cb.add_pair_count(npairs);
  cb.add_gold_count(golds);
  cb.add_labels(labels_vec);
  cb.add_pairs(pairs_vec);
  b.Finish(cb.Finish());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Status DecodeView(std::string_view bytes, AssetView* out, std::vector<uint64_t>* fb_out) {
  std::vector<uint64_t> local;
  std::vector<uint64_t>& buf = fb_out ? *fb_out : local;
  buf.assign((bytes.size() + 7) / 8, 0);
  if (!bytes.empty()) std::memcpy(buf.data(), bytes.data(), bytes.size());
  const auto* data = reinterpret_cast<const uint8_t*>(buf.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!fb::VerifyConsensusBuffer(verifier)) return Status::Corruption("consensus view fails FlatBuffers verification");
  const fb::Consensus* c = fb::GetConsensus(data);
  out->labels.clear();
  out->pairs.clear();
  if (c->labels())
    for (const fb::ConsensusLabel* l : *c->labels())
      out->labels.push_back({l->label_id(), l->member_id(), static_cast<LabelSource>(l->source())});
  if (c->pairs())
    for (const fb::ConsensusPair* p : *c->pairs()) {
      ViewPair vp;
      vp.a = p->label_a();
      vp.b = p->label_b();
      vp.score = p->score();
      if (p->features())
        for (const fb::FeaturePairScore* f : *p->features()) vp.features.emplace_back(f->feature(), f->score());
      out->pairs.push_back(std::move(vp));
    }
  return Status::OK();
}

Status OnLabelChange(WriteTxn& txn, const ProjectInfo& project, AssetSize size, uint64_t label_id,
                     const LabelInput* before, const LabelInput* after) {
  bool was = before && Counts(before->source, before->status);
  bool is = after && Counts(after->source, after->status);
  if (!was && !is) return Status::OK();
  const LabelInput& any = after ? *after : *before;
  uint64_t project_id = any.project_id, asset = any.asset_id;
  std::string key = AssetKey(project_id, asset);
  AssetView view;
  std::string_view cur;
  Status s = txn.IndexGet(Index::kConsensusAsset, key, &cur);
  if (s.ok()) {
    ANNODB_RETURN_IF_ERROR(DecodeView(cur, &view, nullptr));
  } else if (!s.IsNotFound()) {
    return s;
  }
  // Views older than the labels (a store written before the views existed):
  // rebuild the project's views in this transaction instead of applying the
  // change. The label is already written, so the rebuild includes it.
  bool predate = false;
  ANNODB_RETURN_IF_ERROR(ViewsPredateLabels(txn, project_id, asset, label_id, s.ok(), view, was, is, &predate));
  if (predate) return RebuildConsensusViews(txn, project_id);
  uint64_t old_units = 0;
  bool had_score = ViewScoreUnits(view, &old_units);

  ViewUpdate up(txn, project, size, &view);
  if (was) up.Remove(label_id);
  if (is) {
    up.Provide(label_id, *after);
    ANNODB_RETURN_IF_ERROR(up.Add(label_id, after->author_member_id, after->source, *after));
  }
  ANNODB_RETURN_IF_ERROR(ApplyMemberDeltas(txn, project_id, up.members()));

  // Classification value counts (human labels only).
  if (was && before->source == LabelSource::Human)
    for (auto [f, o] : ClassValues(project.features, *before))
      ANNODB_RETURN_IF_ERROR(ApplyValueDelta(txn, project_id, asset, f, o, -1));
  if (is && after->source == LabelSource::Human)
    for (auto [f, o] : ClassValues(project.features, *after))
      ANNODB_RETURN_IF_ERROR(ApplyValueDelta(txn, project_id, asset, f, o, +1));

  uint64_t new_units = 0;
  bool has_score = ViewScoreUnits(view, &new_units);
  if (had_score && (!has_score || new_units != old_units))
    ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kConsensusByScore, ScoreKey(project_id, old_units, asset)));
  if (has_score && (!had_score || new_units != old_units))
    ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kConsensusByScore, ScoreKey(project_id, new_units, asset), ""));
  if (view.labels.empty()) return txn.IndexDelete(Index::kConsensusAsset, key);
  return txn.IndexPut(Index::kConsensusAsset, key, EncodeView(project_id, asset, project.features, view));
}

Status OnLabelDelete(WriteTxn& txn, uint64_t label_id, const LabelInput& before) {
  if (!Counts(before.source, before.status)) return Status::OK();
  ProjectInfo project;
  ANNODB_RETURN_IF_ERROR(GetProject(txn, before.project_id, kCurrent, &project));
  // Removing needs no agreement computation, so the asset's size is not needed.
  return OnLabelChange(txn, project, AssetSize{}, label_id, &before, nullptr);
}

Status RecomputeViews(const ReadTxn& txn, uint64_t project_id, RecomputedViews* out) {
  *out = RecomputedViews{};
  ProjectInfo project;
  ANNODB_RETURN_IF_ERROR(GetProject(txn, project_id, kCurrent, &project));
  // Live labels of the project by asset, in (asset, id) order. The by-asset
  // index (which also keeps deleted labels) is walked rather than the status
  // index, so that a damaged status index is reported once, by verify, not
  // again as wrong views.
  std::map<uint64_t, std::vector<std::pair<uint64_t, LabelInput>>> by_asset;
  {
    Status inner;
    std::string prefix = KeyBuilder().U64(project_id).str();
    ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kLabelByAsset, prefix, prefix, [&](std::string_view k, std::string_view) {
      if (k.size() != 24) return true;
      uint64_t id = DecodeU64(k.data() + 16);
      RecordView v;
      inner = txn.Get(RecordKind::Label, id, &v);
      if (inner.IsNotFound()) {  // deleted
        inner = Status::OK();
        return true;
      }
      if (!inner.ok()) return false;
      const fb::Label* fl = v.As<fb::Label>();
      if (!Counts(fl->source(), fl->status())) return true;
      by_asset[fl->asset_id()].emplace_back(id, DecodeLabel(fl));
      return true;
    }));
    ANNODB_RETURN_IF_ERROR(inner);
  }
  std::map<uint64_t, std::array<int64_t, 5>> members;
  std::map<std::string, std::string> values;
  for (auto& [asset, labels] : by_asset) {
    std::sort(labels.begin(), labels.end(), [](auto& x, auto& y) { return x.first < y.first; });
    AssetSize size;
    RecordView av;
    if (txn.Get(RecordKind::Asset, asset, &av).ok()) {
      size.width = av.As<fb::Asset>()->width();
      size.height = av.As<fb::Asset>()->height();
    }
    AssetView view;
    ViewUpdate up(txn, project, size, &view);
    std::map<uint32_t, ValueCounts> vc;
    for (auto& [id, l] : labels) {
      up.Provide(id, l);
      ANNODB_RETURN_IF_ERROR(up.Add(id, l.author_member_id, l.source, l));
      if (l.source == LabelSource::Human)
        for (auto [f, o] : ClassValues(project.features, l)) {
          ValueCounts& c = vc[f];
          auto it = std::lower_bound(c.begin(), c.end(), std::pair<uint32_t, uint32_t>(o, 0));
          if (it != c.end() && it->first == o) ++it->second;
          else c.insert(it, {o, 1});
        }
    }
    for (auto& [m, d] : up.members())
      for (int i = 0; i < 5; ++i) members[m][i] += d[i];
    out->assets.emplace_back(AssetKey(project_id, asset), EncodeView(project_id, asset, project.features, view));
    uint64_t units = 0;
    if (ViewScoreUnits(view, &units)) out->scores.emplace_back(ScoreKey(project_id, units, asset), "");
    for (auto& [f, c] : vc) values.emplace(ValuesKey(project_id, f, asset), EncodeValues(c));
  }
  for (auto& [m, d] : members) {
    MemberCounters c{};
    for (int i = 0; i < 5; ++i) c[i] = static_cast<uint64_t>(d[i]);
    if (c != MemberCounters{}) out->members.emplace_back(MemberKey(project_id, m), EncodeMember(c));
  }
  out->values.assign(values.begin(), values.end());
  std::sort(out->scores.begin(), out->scores.end());
  return Status::OK();
}

}  // namespace annodb::consensus_internal
