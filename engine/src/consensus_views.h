// Internal: the consensus views' storage form and their upkeep on label
// writes (called by labels.cpp and checked by verify.cpp). The public,
// read-side API is annodb/consensus.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "annodb/label_agreement.h"
#include "annodb/labels.h"
#include "annodb/projects.h"
#include "annodb/store.h"

namespace annodb::consensus_internal {

// Agreement scores are stored as fixed point: round(score * kUnits).
inline constexpr double kUnits = 1e9;
uint32_t ToUnits(double score);

// Whether a label counts towards the views: human or gold, submitted or accepted.
bool Counts(LabelSource source, LabelStatus status);

struct ViewLabel {
  uint64_t id = 0, member = 0;
  LabelSource source = LabelSource::Human;
  bool operator==(const ViewLabel&) const = default;
};
struct ViewPair {
  uint64_t a = 0, b = 0;  // a < b
  uint32_t score = 0;     // units
  std::vector<std::pair<uint32_t, uint32_t>> features;  // (feature index, units)
  bool operator==(const ViewPair&) const = default;
};
// The stored part of one asset's view; everything else is derived from it.
struct AssetView {
  std::vector<ViewLabel> labels;  // by id
  std::vector<ViewPair> pairs;    // by (a, b)
  bool operator==(const AssetView&) const = default;
};

// Member counters: labels, pair sum (units), pairs, gold sum (units), gold pairs.
using MemberCounters = std::array<uint64_t, 5>;
// Classification value counts of one (feature, asset): (option index, count), by option.
using ValueCounts = std::vector<std::pair<uint32_t, uint32_t>>;

std::string AssetKey(uint64_t project, uint64_t asset);
std::string MemberKey(uint64_t project, uint64_t member);
std::string ValuesKey(uint64_t project, uint32_t feature, uint64_t asset);
std::string EncodeMember(const MemberCounters& c);
Status DecodeMember(std::string_view v, MemberCounters* out);
std::string EncodeValues(const ValueCounts& v);
Status DecodeValues(std::string_view v, ValueCounts* out);

// Serialises a view (with the derived fields: counts, score, per-feature
// scores, best label) as a Consensus FlatBuffer.
std::string EncodeView(uint64_t project, uint64_t asset, const std::vector<FeatureDef>& features, const AssetView& v);
// The same into `out` (cleared first), for callers that reuse a builder.
void EncodeViewInto(uint64_t project, uint64_t asset, const std::vector<FeatureDef>& features, const AssetView& v,
                    flatbuffers::FlatBufferBuilder* out);
// Verifies and decodes the stored part. `fb_out` (optional) receives an
// 8-byte-aligned copy of the buffer for reading the derived fields.
Status DecodeView(std::string_view bytes, AssetView* out, std::vector<uint64_t>* fb_out);
// The human-human score in units (floor of the mean) when there is one.
bool ViewScoreUnits(const AssetView& v, uint64_t* units);

// Keeps the views current after a label write. `before` is the label's
// content before the write (null for a new label), `after` its content now
// (null for a delete). Runs inside the label's write transaction, after the
// label record and the by-asset index are written. When the project's views
// predate its labels (a store written before the views existed: a counted
// label missing from its asset's view, or a new label on an asset or in a
// project without a view while other counted labels are there), it rebuilds
// the project's views from the labels instead (RebuildConsensusViews), so
// old stores need no migration step and never fail with Corruption here.
Status OnLabelChange(WriteTxn& txn, const ProjectInfo& project, AssetSize size, uint64_t label_id,
                     const LabelInput* before, const LabelInput* after);
// As above for a delete, loading the project and asset itself.
Status OnLabelDelete(WriteTxn& txn, uint64_t label_id, const LabelInput& before);

// Recomputes the views of a project from its live labels (for verify and
// tests): asset views, member counters and value counts, in key order.
struct RecomputedViews {
  std::vector<std::pair<std::string, std::string>> assets;   // AssetKey -> EncodeView
  std::vector<std::pair<std::string, std::string>> members;  // MemberKey -> EncodeMember
  std::vector<std::pair<std::string, std::string>> values;   // ValuesKey -> EncodeValues
};
Status RecomputeViews(const ReadTxn& txn, uint64_t project, RecomputedViews* out);

}  // namespace annodb::consensus_internal

namespace annodb::consensus_internal {
// For VerifyStore: checks every project's views against a recomputation,
// appending one problem per project whose views differ.
Status VerifyViews(const ReadTxn& txn, std::vector<std::string>* problems);
}  // namespace annodb::consensus_internal
