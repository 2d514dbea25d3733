// Consensus: per-asset and per-member agreement views, project agreement
// statistics and aggregated labels, read from a store.
//
// Views. Every PutLabel / UpdateLabel / DeleteLabel keeps, in its own write
// transaction, three views current (definitions in docs/consensus.md):
//   - per (project, asset): the counted labels, every pair's agreement
//     (label_agreement.h), the asset's score = mean agreement over pairs of
//     human labels, per-feature scores, and the label that agrees most with
//     the rest;
//   - per (project, member): labels counted, sum and count of pair
//     agreements with other members, and with gold labels (benchmark);
//   - per (project, classification feature, asset): how many labels chose
//     each option (what Krippendorff's alpha and Fleiss' kappa need).
// A label counts when its source is human or gold and its status submitted
// or accepted; gold labels count only against human ones (benchmark), never
// in an asset's score or label count. Reading a view is a lookup.
//
// Statistics and aggregation are computed on demand from the value counts
// (alpha, Fleiss, percent agreement) or from the labels (Cohen, majority
// vote, Dawid-Skene, box clustering).
//
// Functions run inside the caller's transaction; errors are Status values
// (NotFound for an unknown project, asset, member or feature;
// InvalidArgument for a bad request, with a message naming it). Outputs are
// written only on success. Thread safety: as the transaction's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "annodb/aggregation.h"
#include "annodb/agreement_stats.h"
#include "annodb/labels.h"
#include "annodb/store.h"

namespace annodb {

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

struct FeatureConsensus {
  std::string feature;
  double score = 0;     // mean over human-human pairs in which the feature is present
  uint32_t pairs = 0;
};

struct AssetConsensus {
  uint64_t project_id = 0;
  uint64_t asset_id = 0;
  uint32_t label_count = 0;  // counted human labels
  uint32_t gold_count = 0;   // counted gold labels
  uint32_t pairs = 0;        // human-human pairs (0: no score yet)
  std::optional<double> score;  // mean pairwise agreement, when pairs > 0
  std::vector<FeatureConsensus> features;
  uint64_t best_label_id = 0;  // the human label with the highest mean agreement (ties: lowest id); 0 when none
  std::vector<uint64_t> label_ids;  // counted labels (human and gold), by id
};

// NotFound when the asset has no counted label in the project.
Status GetAssetConsensus(const ReadTxn& txn, uint64_t project_id, uint64_t asset_id, AssetConsensus* out);
// Views of the project's assets in asset id order, after asset `after`
// (0 = from the start), at most `limit` (0 = 1000).
Status ListAssetConsensus(const ReadTxn& txn, uint64_t project_id, uint64_t after, size_t limit,
                          std::vector<AssetConsensus>* out);
// Assets whose score is below `below` (strictly; compared at 1e-9
// resolution), lowest score first (ties by asset id), at most `limit`
// (0 = 1000). A scan of the project's asset views: time grows with the
// project's assets (no by-score index is kept current on label writes; it
// cost most of their bytes written), memory with `limit`.
Status ListAssetsBelow(const ReadTxn& txn, uint64_t project_id, double below, size_t limit,
                       std::vector<AssetConsensus>* out);
// The same list from the asset after `after_asset` on (0 = from the start):
// the page after one that ended with that asset. NotFound when that asset
// has no view in the project, InvalidArgument when it has no score.
Status ListAssetsBelow(const ReadTxn& txn, uint64_t project_id, double below, uint64_t after_asset, size_t limit,
                       std::vector<AssetConsensus>* out);

struct MemberAgreement {
  uint64_t member_id = 0;
  uint64_t labels = 0;           // counted human labels
  uint64_t pairs = 0;            // pairs with other members' labels on shared assets
  std::optional<double> agreement;       // mean over those pairs
  uint64_t gold_pairs = 0;       // pairs with gold labels (by someone else)
  std::optional<double> gold_agreement;  // benchmark score: mean over those pairs
};
// A member without counted labels gets labels = 0 and no scores (not an error).
Status GetMemberAgreement(const ReadTxn& txn, uint64_t project_id, uint64_t member_id, MemberAgreement* out);
// Every member with a view entry in the project, by member id.
Status ListMemberAgreement(const ReadTxn& txn, uint64_t project_id, std::vector<MemberAgreement>* out);

// Rewrites the project's views from its labels (for stores written before
// the views existed, or after a verify found them wrong).
Status RebuildConsensusViews(WriteTxn& txn, uint64_t project_id);
// Compares the stored views of a project with a recomputation; Corruption
// naming the first difference.
Status CheckConsensusViews(const ReadTxn& txn, uint64_t project_id);

// ---------------------------------------------------------------------------
// Project statistics (classification features)
// ---------------------------------------------------------------------------

enum class AgreementMetric { kKrippendorffAlpha, kFleissKappa, kCohenKappa, kPercentAgreement };
const char* AgreementMetricName(AgreementMetric m);  // "krippendorff_alpha", ...
bool ParseAgreementMetric(std::string_view name, AgreementMetric* out);
bool ParseAlphaLevel(std::string_view name, stats::Level* out);       // "nominal", ...
bool ParseKappaWeights(std::string_view name, stats::KappaWeights* out);  // "none", "linear", "quadratic"

struct AgreementRequest {
  uint64_t project_id = 0;
  AgreementMetric metric = AgreementMetric::kKrippendorffAlpha;
  std::string feature;  // empty: every classification feature of the ontology
  stats::Level level = stats::Level::kNominal;                // alpha
  uint64_t member_a = 0, member_b = 0;                        // Cohen
  stats::KappaWeights weights = stats::KappaWeights::kNone;   // Cohen
};

struct AgreementReport {
  std::string feature;
  AgreementMetric metric = AgreementMetric::kKrippendorffAlpha;
  std::optional<double> value;  // empty when undefined for the data (see note)
  uint64_t units = 0;           // assets that entered the statistic
  uint64_t labels = 0;          // values (labels) that entered it
  uint64_t units_left_out = 0;  // Fleiss: assets with another label count; Cohen: assets only one member labelled
  std::string note;             // why undefined, or what was left out
};

// One report per feature. Every metric reads human labels that count (see
// above). Alpha, Fleiss and percent agreement are one pass over the value
// counts; ordinal alpha uses the ontology's option order; interval and ratio
// read every option as a number (InvalidArgument naming the option
// otherwise). Fleiss uses the assets with the most common number of labels
// (at least 2) and reports the others as left out. Cohen needs two distinct
// members and compares the assets both labelled. A statistic that is
// undefined for the data (for example every label the same) is reported
// with an empty value and a note, not as an error.
Status ComputeAgreement(const ReadTxn& txn, const AgreementRequest& request, std::vector<AgreementReport>* out);

// ---------------------------------------------------------------------------
// Aggregated labels
// ---------------------------------------------------------------------------

enum class AggregateMethod { kMajorityVote, kDawidSkene, kBoxClusters };
const char* AggregateMethodName(AggregateMethod m);  // "majority_vote", "dawid_skene", "box_clusters"
bool ParseAggregateMethod(std::string_view name, AggregateMethod* out);

struct AggregateRequest {
  uint64_t project_id = 0;
  AggregateMethod method = AggregateMethod::kMajorityVote;
  std::string feature;  // empty: every feature the method applies to
  stats::DawidSkeneOptions dawid_skene;
  stats::BoxClusterOptions boxes;
};

struct AggregateItem {
  uint64_t asset_id = 0;
  std::string feature;
  std::string value;          // the option (classification) or the class (boxes)
  double confidence = 0;      // vote share, posterior, or mean IoU of the cluster
  uint32_t answers = 0;       // labels (or boxes) behind it
  double x = 0, y = 0, w = 0, h = 0;  // box_clusters: the mean box
};

struct MemberSkill {
  uint64_t member_id = 0;
  std::string feature;
  std::optional<double> skill;  // majority vote: share of answers equal to the majority
  uint64_t answers = 0;
  // Dawid-Skene: confusion[true option][answered option], rows sum to 1.
  std::vector<std::vector<double>> confusion;
};

struct AggregateReport {
  std::vector<AggregateItem> items;  // by (feature order, asset id; boxes: cluster order)
  std::vector<MemberSkill> members;  // by (feature, member id)
  std::vector<std::string> notes;    // per feature: iterations / convergence (Dawid-Skene)
  std::string parameters;            // the method and its parameters, as stored in provenance
};

Status Aggregate(const ReadTxn& txn, const AggregateRequest& request, AggregateReport* out);
// Writes one label per asset with source aggregate, model name
// "annodb.<method>" and model version = report.parameters (so re-running
// with other parameters writes a separate label), holding every feature's
// aggregated annotation of that asset. Upserts: an unchanged result writes
// nothing. The transaction's actor is kept; its provenance note should name
// the method (the CLI and C ABI set it to report.parameters).
// *written receives the number of labels created or updated.
Status StoreAggregate(WriteTxn& txn, const AggregateRequest& request, const AggregateReport& report,
                      uint64_t* written);

}  // namespace annodb
