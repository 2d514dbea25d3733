// Reading, rebuilding and checking the consensus views (consensus.h).
#include <algorithm>
#include <cmath>
#include <map>

#include "annodb/consensus.h"
#include "annodb/keys.h"
#include "annodb/schema/consensus_generated.h"
#include "consensus_views.h"
#include "text_checks.h"

namespace annodb {
namespace ci = consensus_internal;
namespace {

Status ToAssetConsensus(std::string_view bytes, AssetConsensus* out) {
  ci::AssetView view;
  std::vector<uint64_t> buf;
  ANNODB_RETURN_IF_ERROR(ci::DecodeView(bytes, &view, &buf));
  const fb::Consensus* c = fb::GetConsensus(buf.data());
  AssetConsensus r;
  r.project_id = c->project_id();
  r.asset_id = c->asset_id();
  r.label_count = c->label_count();
  r.gold_count = c->gold_count();
  r.pairs = c->pair_count();
  if (r.pairs) r.score = c->score();
  if (c->feature_scores())
    for (const fb::FeatureScore* f : *c->feature_scores()) r.features.push_back({FbStr(f->feature()), f->score(), f->pairs()});
  r.best_label_id = c->best_label_id();
  for (const ci::ViewLabel& l : view.labels) r.label_ids.push_back(l.id);
  *out = std::move(r);
  return Status::OK();
}

Status CheckProject(const ReadTxn& txn, uint64_t project_id) {
  RecordView v;
  Status s = txn.Get(RecordKind::Project, project_id, &v);
  if (s.IsNotFound()) return Status::NotFound("project " + std::to_string(project_id) + " does not exist");
  return s;
}

MemberAgreement ToMember(uint64_t member, const ci::MemberCounters& c) {
  MemberAgreement m;
  m.member_id = member;
  m.labels = c[0];
  m.pairs = c[2];
  if (c[2]) m.agreement = static_cast<double>(c[1]) / static_cast<double>(c[2]) / ci::kUnits;
  m.gold_pairs = c[4];
  if (c[4]) m.gold_agreement = static_cast<double>(c[3]) / static_cast<double>(c[4]) / ci::kUnits;
  return m;
}

// All entries of an index under a project prefix, as (key, value) copies.
Status CollectIndex(const ReadTxn& txn, Index index, uint64_t project_id,
                    std::vector<std::pair<std::string, std::string>>* out) {
  std::string prefix = KeyBuilder().U64(project_id).str();
  return txn.IndexScan(index, prefix, prefix, [&](std::string_view k, std::string_view v) {
    out->emplace_back(std::string(k), std::string(v));
    return true;
  });
}

// The stored view of one asset; NotFound (saying so) when it has none.
Status AssetViewValue(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, std::string_view* v) {
  Status s = txn.IndexGet(Index::kConsensusAsset, ci::AssetKey(project_id, asset_id), v);
  if (s.IsNotFound())
    return Status::NotFound("asset " + std::to_string(asset_id) + " has no counted label in project " +
                            std::to_string(project_id));
  return s;
}

}  // namespace

Status GetAssetConsensus(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, AssetConsensus* out) {
  ANNODB_RETURN_IF_ERROR(CheckProject(txn, project_id));
  std::string_view v;
  ANNODB_RETURN_IF_ERROR(AssetViewValue(txn, project_id, asset_id, &v));
  return ToAssetConsensus(v, out);
}

Status ListAssetConsensus(const ReadTxn& txn, uint64_t project_id, uint64_t after, size_t limit,
                          std::vector<AssetConsensus>* out) {
  ANNODB_RETURN_IF_ERROR(CheckProject(txn, project_id));
  if (limit == 0) limit = 1000;
  std::vector<AssetConsensus> r;
  std::string prefix = KeyBuilder().U64(project_id).str();
  std::string from = after ? ci::AssetKey(project_id, after + 1) : prefix;
  if (after == UINT64_MAX) {
    *out = {};
    return Status::OK();
  }
  Status inner;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kConsensusAsset, from, prefix, [&](std::string_view, std::string_view v) {
    AssetConsensus c;
    inner = ToAssetConsensus(v, &c);
    if (!inner.ok()) return false;
    r.push_back(std::move(c));
    return r.size() < limit;
  }));
  ANNODB_RETURN_IF_ERROR(inner);
  *out = std::move(r);
  return Status::OK();
}

Status ListAssetsBelow(const ReadTxn& txn, uint64_t project_id, double below, size_t limit,
                       std::vector<AssetConsensus>* out) {
  return ListAssetsBelow(txn, project_id, below, 0, limit, out);
}

Status ListAssetsBelow(const ReadTxn& txn, uint64_t project_id, double below, uint64_t after_asset, size_t limit,
                       std::vector<AssetConsensus>* out) {
  ANNODB_RETURN_IF_ERROR(CheckProject(txn, project_id));
  if (!std::isfinite(below)) return Status::InvalidArgument("the score threshold must be a finite number");
  if (limit == 0) limit = 1000;
  // The page starts after (score of after_asset, after_asset) in list order.
  std::pair<uint64_t, uint64_t> cursor{0, 0};
  if (after_asset != 0) {
    std::string_view v;
    ANNODB_RETURN_IF_ERROR(AssetViewValue(txn, project_id, after_asset, &v).WithContext("the page cursor"));
    ci::AssetView view;
    ANNODB_RETURN_IF_ERROR(ci::DecodeView(v, &view, nullptr));
    if (!ci::ViewScoreUnits(view, &cursor.first))
      return Status::InvalidArgument("asset " + std::to_string(after_asset) + " (the page cursor) has no score");
    cursor.second = after_asset;
  }
  // Scores are compared as floor(mean units); a score is below X iff its
  // units < ceil(X * 1e9).
  double bound = std::ceil(below * ci::kUnits);
  std::vector<AssetConsensus> r;
  if (bound > 0) {
    uint64_t limit_units = bound > 2e9 ? uint64_t{2000000000} : static_cast<uint64_t>(bound);
    // A scan of the project's asset views (no by-score index is kept, see
    // consensus_views.cpp), keeping the `limit` lowest (score, asset) in a
    // max-heap: memory bounded by `limit`, not by the project.
    using Entry = std::pair<uint64_t, uint64_t>;  // (units, asset)
    std::vector<Entry> heap;
    std::string prefix = KeyBuilder().U64(project_id).str();
    ci::AssetView view;
    Status inner;
    ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kConsensusAsset, prefix, prefix, [&](std::string_view k, std::string_view v) {
      if (k.size() != 16) {
        inner = Status::Corruption("consensus asset view key has the wrong size");
        return false;
      }
      inner = ci::DecodeView(v, &view, nullptr);
      if (!inner.ok()) return false;
      uint64_t units = 0;
      if (!ci::ViewScoreUnits(view, &units) || units >= limit_units) return true;
      Entry e{units, DecodeU64(k.data() + 8)};
      if (after_asset != 0 && !(cursor < e)) return true;
      if (heap.size() < limit) {
        heap.push_back(e);
        std::push_heap(heap.begin(), heap.end());
      } else if (e < heap.front()) {
        std::pop_heap(heap.begin(), heap.end());
        heap.back() = e;
        std::push_heap(heap.begin(), heap.end());
      }
      return true;
    }));
    ANNODB_RETURN_IF_ERROR(inner);
    std::sort_heap(heap.begin(), heap.end());  // lowest score first, then asset id
    for (const auto& [units, asset] : heap) {
      std::string_view v;
      ANNODB_RETURN_IF_ERROR(txn.IndexGet(Index::kConsensusAsset, ci::AssetKey(project_id, asset), &v));
      AssetConsensus c;
      ANNODB_RETURN_IF_ERROR(ToAssetConsensus(v, &c));
      r.push_back(std::move(c));
    }
  }
  *out = std::move(r);
  return Status::OK();
}

Status GetMemberAgreement(const ReadTxn& txn, uint64_t project_id, uint64_t member_id, MemberAgreement* out) {
  ANNODB_RETURN_IF_ERROR(CheckProject(txn, project_id));
  RecordView mv;
  Status s = txn.Get(RecordKind::Member, member_id, &mv);
  if (s.IsNotFound()) return Status::NotFound("member " + std::to_string(member_id) + " does not exist");
  ANNODB_RETURN_IF_ERROR(s);
  ci::MemberCounters c{};
  std::string_view v;
  s = txn.IndexGet(Index::kConsensusMember, ci::MemberKey(project_id, member_id), &v);
  if (s.ok()) {
    ANNODB_RETURN_IF_ERROR(ci::DecodeMember(v, &c));
  } else if (!s.IsNotFound()) {
    return s;
  }
  *out = ToMember(member_id, c);
  return Status::OK();
}

Status ListMemberAgreement(const ReadTxn& txn, uint64_t project_id, std::vector<MemberAgreement>* out) {
  ANNODB_RETURN_IF_ERROR(CheckProject(txn, project_id));
  std::vector<std::pair<std::string, std::string>> entries;
  ANNODB_RETURN_IF_ERROR(CollectIndex(txn, Index::kConsensusMember, project_id, &entries));
  std::vector<MemberAgreement> r;
  for (const auto& [k, v] : entries) {
    if (k.size() != 16) return Status::Corruption("consensus member index key has the wrong size");
    ci::MemberCounters c{};
    ANNODB_RETURN_IF_ERROR(ci::DecodeMember(v, &c));
    r.push_back(ToMember(DecodeU64(k.data() + 8), c));
  }
  *out = std::move(r);
  return Status::OK();
}

// The by-score index is no longer kept: a rebuild removes the entries that a
// store written by an earlier build still has, and verify expects none.
const std::vector<std::pair<std::string, std::string>> kNoScoreEntries;

Status RebuildConsensusViews(WriteTxn& txn, uint64_t project_id) {
  ANNODB_RETURN_IF_ERROR(CheckProject(txn, project_id));
  ci::RecomputedViews views;
  ANNODB_RETURN_IF_ERROR(ci::RecomputeViews(txn, project_id, &views));
  const std::pair<Index, const std::vector<std::pair<std::string, std::string>>*> tables[] = {
      {Index::kConsensusAsset, &views.assets},
      {Index::kConsensusByScore, &kNoScoreEntries},
      {Index::kConsensusMember, &views.members},
      {Index::kConsensusValues, &views.values}};
  for (const auto& [index, entries] : tables) {
    std::vector<std::pair<std::string, std::string>> old;
    ANNODB_RETURN_IF_ERROR(CollectIndex(txn, index, project_id, &old));
    for (const auto& [k, v] : old) ANNODB_RETURN_IF_ERROR(txn.IndexDelete(index, k));
    for (const auto& [k, v] : *entries) ANNODB_RETURN_IF_ERROR(txn.IndexPut(index, k, v));
  }
  return Status::OK();
}

Status CheckConsensusViews(const ReadTxn& txn, uint64_t project_id) {
  ANNODB_RETURN_IF_ERROR(CheckProject(txn, project_id));
  ci::RecomputedViews views;
  ANNODB_RETURN_IF_ERROR(ci::RecomputeViews(txn, project_id, &views));
  const std::pair<Index, const std::vector<std::pair<std::string, std::string>>*> tables[] = {
      {Index::kConsensusAsset, &views.assets},
      {Index::kConsensusByScore, &kNoScoreEntries},
      {Index::kConsensusMember, &views.members},
      {Index::kConsensusValues, &views.values}};
  for (const auto& [index, expected] : tables) {
    std::vector<std::pair<std::string, std::string>> stored;
    ANNODB_RETURN_IF_ERROR(CollectIndex(txn, index, project_id, &stored));
    std::string where = std::string(IndexName(index)) + " of project " + std::to_string(project_id);
    size_t n = std::min(stored.size(), expected->size());
    for (size_t i = 0; i < n; ++i) {
      if (stored[i].first != (*expected)[i].first)
        return Status::Corruption(where + ": entry " + std::to_string(i) + " has another key than a recomputation gives");
      if (stored[i].second != (*expected)[i].second)
        return Status::Corruption(where + ": entry " + std::to_string(i) + " differs from a recomputation");
    }
    if (stored.size() != expected->size())
      return Status::Corruption(where + ": " + std::to_string(stored.size()) + " entries stored, a recomputation gives " +
                                std::to_string(expected->size()));
  }
  return Status::OK();
}

}  // namespace annodb

namespace annodb::consensus_internal {

Status VerifyViews(const ReadTxn& txn, std::vector<std::string>* problems) {
  std::vector<ProjectInfo> projects;
  ANNODB_RETURN_IF_ERROR(ListProjects(txn, &projects));
  for (const ProjectInfo& p : projects) {
    Status s = CheckConsensusViews(txn, p.id);
    if (s.IsCorruption()) {
      problems->push_back("consensus views: " + s.message());
    } else if (!s.ok()) {
      return s;
    }
  }
  return Status::OK();
}

}  // namespace annodb::consensus_internal
