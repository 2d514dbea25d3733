// Consensus views: storage form and upkeep on label writes (consensus_views.h).
#include "consensus_views.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>

#include "annodb/consensus.h"
#include "annodb/keys.h"
#include "annodb/schema/consensus_generated.h"
#include "fb_align.h"
#include "indexed_record.h"
#include "stack_key.h"
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
void SetU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * (3 - i))) & 0xFF);
}

// A big-endian u64 in one load rather than DecodeU64's loop per byte (the
// member counters are read on every label write). The views' keys are
// StackKeys (stack_key.h).
uint64_t ToBigEndian(uint64_t v) { return std::endian::native == std::endian::little ? __builtin_bswap64(v) : v; }
uint64_t LoadU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // unaligned: LMDB values are only 2-byte aligned
  return ToBigEndian(v);
}

StackKey<16> AssetKeyS(uint64_t project, uint64_t asset) { return StackKey<16>().U64(project).U64(asset); }
StackKey<16> MemberKeyS(uint64_t project, uint64_t member) { return StackKey<16>().U64(project).U64(member); }
StackKey<20> ValuesKeyS(uint64_t project, uint32_t feature, uint64_t asset) {
  return StackKey<20>().U64(project).U32(feature).U64(asset);
}
// The member counters' 40 bytes (EncodeMember's layout).
StackKey<40> EncodeMemberS(const MemberCounters& c) {
  StackKey<40> k;
  for (uint64_t v : c) k.U64(v);
  return k;
}

// Decodes what the agreement reads of a stored label into `out`, reusing
// its strings and vectors (an asset's other labels are read for every new
// label; DecodeLabel builds every field afresh). Fields the agreement does
// not read (model, time, lease) are left as they are.
void DecodeForAgreement(const fb::Label* l, LabelInput* out) {
  out->project_id = l->project_id();
  out->asset_id = l->asset_id();
  out->author_member_id = l->author_member_id();
  out->source = l->source();
  out->status = l->status();
  auto assign = [](std::string* dst, const flatbuffers::String* src) {
    if (src) dst->assign(src->data(), src->size());
    else dst->clear();
  };
  const auto* anns = l->annotations();
  size_t n = anns ? anns->size() : 0;
  out->annotations.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const fb::Annotation* a = anns->Get(static_cast<flatbuffers::uoffset_t>(i));
    AnnotationInput& ai = out->annotations[i];
    assign(&ai.feature, a->feature());
    ai.kind = a->kind();
    assign(&ai.value, a->value());
    ai.values.clear();
    if (a->values()) for (auto* v : *a->values()) ai.values.push_back(v->str());
    assign(&ai.class_name, a->class_name());
    if (a->box()) {
      ai.x = a->box()->x();
      ai.y = a->box()->y();
      ai.w = a->box()->w();
      ai.h = a->box()->h();
    } else {
      ai.x = ai.y = ai.w = ai.h = 0;
    }
    ai.points.clear();
    if (a->points()) for (const fb::Point2* p : *a->points()) ai.points.push_back({p->x(), p->y()});
    if (a->mask()) {
      ai.mask_height = a->mask()->height();
      ai.mask_width = a->mask()->width();
      assign(&ai.mask_counts, a->mask()->counts());
    } else {
      ai.mask_height = ai.mask_width = 0;
      ai.mask_counts.clear();
    }
    ai.span_start = a->span_start();
    ai.span_end = a->span_end();
    assign(&ai.text, a->text());
    if (a->score()) ai.score = *a->score();
    else ai.score.reset();
  }
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
  out->features.reserve(r.features.size());
  for (const FeatureAgreement& f : r.features)
    out->features.emplace_back(static_cast<uint32_t>(f.feature), ToUnits(f.score));
  return Status::OK();
}

// Per-member counter deltas of one change, in first-touched order (an asset
// has a handful of labels, so a flat list beats a map).
using MemberDelta = std::pair<uint64_t, std::array<int64_t, 5>>;
class MemberDeltas {
 public:
  std::array<int64_t, 5>& operator[](uint64_t member) {
    for (MemberDelta& d : list_)
      if (d.first == member) return d.second;
    return list_.emplace_back(member, std::array<int64_t, 5>{}).second;
  }
  std::vector<MemberDelta>& list() { return list_; }
  // A change touches its label's member and those of the asset's other labels.
  void Reserve(size_t n) { list_.reserve(n); }

 private:
  std::vector<MemberDelta> list_;
};

// Applies label changes to one asset's view, collecting member and value deltas.
class ViewUpdate {
 public:
  ViewUpdate(const ReadTxn& txn, const ProjectInfo& project, AssetSize size, AssetView* view)
      : txn_(txn), project_(project), size_(size), view_(view) {
    members_.Reserve(view->labels.size() + 1);
  }

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

  Status Add(uint64_t id, uint64_t member, LabelSource source, const LabelInput& content) {
    ViewLabel me{id, member, source};
    view_->pairs.reserve(view_->pairs.size() + view_->labels.size());
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
    // The labels and pairs were sorted before; only the new ones move.
    auto pos = std::upper_bound(view_->labels.begin(), view_->labels.end(), id,
                                [](uint64_t x, const ViewLabel& l) { return x < l.id; });
    view_->labels.insert(pos, me);
    std::sort(view_->pairs.begin(), view_->pairs.end(),
              [](auto& x, auto& y) { return std::pair(x.a, x.b) < std::pair(y.a, y.b); });
    return Status::OK();
  }

  // Provides a label's content without reading it (the one being written,
  // or a recomputation's labels). `content` must outlive this object.
  void Provide(uint64_t id, const LabelInput& content) { provided_.emplace_back(id, &content); }

  MemberDeltas& members() { return members_; }

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
  // A label's content: provided, or read into a scratch label kept per
  // thread, so its strings and vectors are reused from one label write to
  // the next (valid until the next Load: Add uses each other label once,
  // for one pair, and nothing in between loads another).
  Status Load(uint64_t id, const LabelInput** out) {
    for (const auto& [pid, content] : provided_)
      if (pid == id) {
        *out = content;
        return Status::OK();
      }
    RecordView v;
    Status s = txn_.Get(RecordKind::Label, id, &v);
    if (s.IsNotFound()) return Status::Corruption("consensus view lists label " + std::to_string(id) + ", which does not exist");
    ANNODB_RETURN_IF_ERROR(s);
    thread_local LabelInput scratch;
    DecodeForAgreement(v.As<fb::Label>(), &scratch);
    *out = &scratch;
    return Status::OK();
  }

  const ReadTxn& txn_;
  const ProjectInfo& project_;
  AssetSize size_;
  AssetView* view_;
  std::vector<std::pair<uint64_t, const LabelInput*>> provided_;
  MemberDeltas members_;
};

Status ApplyMemberDeltas(WriteTxn& txn, uint64_t project, MemberDeltas& deltas) {
  // In member order, as the map this replaced wrote them (the order does not
  // change the stored entries, only the order of the writes).
  std::vector<MemberDelta>& list = deltas.list();
  std::sort(list.begin(), list.end(), [](const MemberDelta& x, const MemberDelta& y) { return x.first < y.first; });
  for (const auto& [member, d] : list) {
    if (std::all_of(d.begin(), d.end(), [](int64_t x) { return x == 0; })) continue;
    auto key = MemberKeyS(project, member);
    MemberCounters c{};
    std::string_view cur;
    bool found = false;
    ANNODB_RETURN_IF_ERROR(txn.IndexFind(Index::kConsensusMember, key.view(), &cur, &found));
    if (found) ANNODB_RETURN_IF_ERROR(DecodeMember(cur, &c));
    for (int i = 0; i < 5; ++i) {
      int64_t v = static_cast<int64_t>(c[i]) + d[i];
      if (v < 0) return Status::Corruption("consensus member counters of member " + std::to_string(member) + " went negative");
      c[i] = static_cast<uint64_t>(v);
    }
    if (c == MemberCounters{}) {
      ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kConsensusMember, key.view()));
    } else {
      ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kConsensusMember, key.view(), EncodeMemberS(c).view()));
    }
  }
  return Status::OK();
}

// Edits the stored (option, count) list in place in a copy of its bytes
// (big-endian u32 pairs by option, EncodeValues' layout) instead of
// decoding it into a vector and encoding it again.
Status ApplyValueDelta(WriteTxn& txn, uint64_t project, uint64_t asset, uint32_t feature, uint32_t option, int sign) {
  auto key = ValuesKeyS(project, feature, asset);
  std::string_view cur;
  bool found = false;
  ANNODB_RETURN_IF_ERROR(txn.IndexFind(Index::kConsensusValues, key.view(), &cur, &found));
  if (found && cur.size() % 8) return Status::Corruption("consensus value counts entry has a partial pair");
  thread_local std::string buf;
  buf.assign(found ? cur : std::string_view());
  // The first entry whose option is >= `option` (entries are sorted by option).
  size_t i = 0;
  while (i < buf.size() && GetU32(buf.data() + i) < option) i += 8;
  bool present = i < buf.size() && GetU32(buf.data() + i) == option;
  if (sign > 0) {
    if (present) {
      SetU32(buf.data() + i + 4, GetU32(buf.data() + i + 4) + 1);
    } else {
      char enc[8];
      SetU32(enc, option);
      SetU32(enc + 4, 1);
      buf.insert(i, enc, 8);
    }
  } else {
    uint32_t n = present ? GetU32(buf.data() + i + 4) : 0;
    if (!present || n == 0) return Status::Corruption("consensus value counts are missing a value being removed");
    if (n == 1) buf.erase(i, 8);
    else SetU32(buf.data() + i + 4, n - 1);
  }
  if (buf.empty()) return txn.IndexDelete(Index::kConsensusValues, key.view());
  return txn.IndexPut(Index::kConsensusValues, key.view(), buf);
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
    inner = GetIndexedRecord(txn, Index::kLabelByAsset, RecordKind::Label, id, &v);
    if (!inner.ok()) return false;
    if (v.deleted()) return true;  // the by-asset index keeps deleted labels
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
  for (int i = 0; i < 5; ++i) (*out)[i] = LoadU64(v.data() + 8 * i);
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

void EncodeViewInto(uint64_t project, uint64_t asset, const std::vector<FeatureDef>& features, const AssetView& v,
                    flatbuffers::FlatBufferBuilder* out) {
  // v.labels is sorted by id. A pair naming a label that is not listed (a
  // damaged view) counts as human, as the map lookup this replaced did.
  auto source_of = [&](uint64_t id) {
    auto it = std::lower_bound(v.labels.begin(), v.labels.end(), id, [](const ViewLabel& l, uint64_t x) { return l.id < x; });
    return it != v.labels.end() && it->id == id ? it->source : LabelSource::Human;
  };
  uint32_t humans = 0, golds = 0;
  for (const ViewLabel& l : v.labels) (l.source == LabelSource::Human ? humans : golds) += 1;
  // Derived: human-human pairs only. Small sorted lists instead of maps: an
  // asset has a handful of labels and features.
  uint64_t sum = 0;
  uint32_t npairs = 0;
  struct Acc {
    uint64_t key, sum;
    uint32_t n;
  };
  // Scratch lists kept per thread (a view is encoded on every label write).
  thread_local std::vector<Acc> per_feature, per_label;  // by feature index, by label id
  per_feature.clear();
  per_label.clear();
  auto add = [](std::vector<Acc>* list, uint64_t key, uint64_t units) {
    auto it = std::lower_bound(list->begin(), list->end(), key, [](const Acc& a, uint64_t k) { return a.key < k; });
    if (it == list->end() || it->key != key) it = list->insert(it, Acc{key, 0, 0});
    it->sum += units;
    it->n += 1;
  };
  for (const ViewPair& p : v.pairs) {
    if (source_of(p.a) != LabelSource::Human || source_of(p.b) != LabelSource::Human) continue;
    sum += p.score;
    ++npairs;
    for (auto [f, s] : p.features) add(&per_feature, f, s);
    add(&per_label, p.a, p.score);
    add(&per_label, p.b, p.score);
  }
  uint64_t best = 0;
  double best_mean = -1;
  for (const Acc& a : per_label) {
    double mean = static_cast<double>(a.sum) / a.n;
    if (mean > best_mean) {  // ties: the lowest label id (list order)
      best_mean = mean;
      best = a.key;
    }
  }
  // The builder calls are those of the original encoder, in the same order,
  // so the bytes are the same as those of views already stored.
  flatbuffers::FlatBufferBuilder& b = *out;
  b.Clear();
  thread_local std::vector<flatbuffers::Offset<fb::FeatureScore>> fs;
  fs.clear();
  for (const Acc& a : per_feature) {
    auto f = static_cast<uint32_t>(a.key);
    auto name = f < features.size() ? b.CreateString(features[f].name) : b.CreateString("#" + std::to_string(f));
    fs.push_back(fb::CreateFeatureScore(b, name, static_cast<double>(a.sum) / a.n / kUnits, a.n));
  }
  auto fs_vec = b.CreateVector(fs);
  thread_local std::vector<fb::ConsensusLabel> labels;
  labels.clear();
  for (const ViewLabel& l : v.labels) labels.emplace_back(l.id, l.member, static_cast<uint8_t>(l.source));
  auto labels_vec = b.CreateVectorOfStructs(labels);
  thread_local std::vector<flatbuffers::Offset<fb::ConsensusPair>> pairs;
  pairs.clear();
  thread_local std::vector<fb::FeaturePairScore> pf;
  for (const ViewPair& p : v.pairs) {
    pf.clear();
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
}

std::string EncodeView(uint64_t project, uint64_t asset, const std::vector<FeatureDef>& features, const AssetView& v) {
  flatbuffers::FlatBufferBuilder b(512);
  EncodeViewInto(project, asset, features, v, &b);
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

Status DecodeView(std::string_view bytes, AssetView* out, std::vector<uint64_t>* fb_out) {
  // Without `fb_out`, an aligned copy kept per thread (a label write
  // decodes its asset's view every time).
  thread_local std::vector<uint64_t> local;
  std::vector<uint64_t>& buf = fb_out ? *fb_out : local;
  buf.assign((bytes.size() + 7) / 8, 0);
  if (!bytes.empty()) std::memcpy(buf.data(), bytes.data(), bytes.size());
  const auto* data = reinterpret_cast<const uint8_t*>(buf.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!fb::VerifyConsensusBuffer(verifier) || !ConsensusStructsAligned(data)) return Status::Corruption("consensus view fails FlatBuffers verification");
  const fb::Consensus* c = fb::GetConsensus(data);
  out->labels.clear();
  out->pairs.clear();
  if (c->labels()) out->labels.reserve(c->labels()->size() + 1);  // + the label being added
  if (c->pairs()) out->pairs.reserve(c->pairs()->size());
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
  auto key = AssetKeyS(project_id, asset);
  AssetView view;
  std::string_view cur;
  bool found = false;
  ANNODB_RETURN_IF_ERROR(txn.IndexFind(Index::kConsensusAsset, key.view(), &cur, &found));
  if (found) ANNODB_RETURN_IF_ERROR(DecodeView(cur, &view, nullptr));
  // Views older than the labels (a store written before the views existed):
  // rebuild the project's views in this transaction instead of applying the
  // change. The label is already written, so the rebuild includes it.
  bool predate = false;
  ANNODB_RETURN_IF_ERROR(ViewsPredateLabels(txn, project_id, asset, label_id, found, view, was, is, &predate));
  if (predate) return RebuildConsensusViews(txn, project_id);
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

  // No by-score index is kept: its keys sort by score, so every label moved
  // its asset's entry to a random page, about 80 % of the bytes a label
  // write with views put on disk at scale (docs/PERFORMANCE.md). `--below`
  // scans the asset views instead (ListAssetsBelow).
  if (view.labels.empty()) return txn.IndexDelete(Index::kConsensusAsset, key.view());
  // Encoded into a builder kept per thread (its buffer is reused from one
  // label write to the next).
  thread_local flatbuffers::FlatBufferBuilder builder(512);
  EncodeViewInto(project_id, asset, project.features, view, &builder);
  return txn.IndexPut(Index::kConsensusAsset, key.view(),
                      std::string_view(reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize()));
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
      inner = GetIndexedRecord(txn, Index::kLabelByAsset, RecordKind::Label, id, &v);
      if (!inner.ok()) return false;
      if (v.deleted()) return true;
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
    for (auto& [m, d] : up.members().list())
      for (int i = 0; i < 5; ++i) members[m][i] += d[i];
    out->assets.emplace_back(AssetKey(project_id, asset), EncodeView(project_id, asset, project.features, view));
    for (auto& [f, c] : vc) values.emplace(ValuesKey(project_id, f, asset), EncodeValues(c));
  }
  for (auto& [m, d] : members) {
    MemberCounters c{};
    for (int i = 0; i < 5; ++i) c[i] = static_cast<uint64_t>(d[i]);
    if (c != MemberCounters{}) out->members.emplace_back(MemberKey(project_id, m), EncodeMember(c));
  }
  out->values.assign(values.begin(), values.end());
  return Status::OK();
}

}  // namespace annodb::consensus_internal
