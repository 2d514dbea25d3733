// Synthetic labels for the label, queue, export and statistics workloads,
// generated deterministically from (seed, asset id, member) so that every
// system stores the same annotations.
//
// The ontology: "category", a classification with 5 options, and "object",
// boxes of 5 classes. A label holds 1 to 5 annotations: the classification
// first, then 0 to 4 boxes inside 640x480 (the smallest generated asset).
// Members agree on an asset's category about 80 % of the time (so
// Krippendorff's alpha is about 0.7, not a degenerate 0 or 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "annodb/labels.h"
#include "annodb/projects.h"

namespace bench {

inline constexpr int kLabelsPerAsset = 3;  // issue 6: 3 labels per asset
inline constexpr int kQueueMembers = 32;   // members of the queue project (one per client)

std::vector<annodb::FeatureDef> BenchOntology();
const std::vector<std::string>& CategoryOptions();

struct GenLabel {
  std::vector<annodb::AnnotationInput> annotations;  // annodb's input
  std::string json;      // the same annotations as a JSON array (the SQLite peer's column)
  int category = 0;      // index of the classification's option
};

// The label member `member` gives asset `asset_id` (1-based). `with_json`
// false leaves out->json empty: annodb's label workload does not use the
// text, and formatting it (about 16,000 instructions a label, more than a
// third of a draft PutLabel) would dilute the views-against-draft ratio.
void MakeLabel(uint64_t seed, uint64_t asset_id, uint32_t member, GenLabel* out, bool with_json = true);

// Assets labelled by the label workloads: labels / kLabelsPerAsset, rounded up.
inline uint64_t LabelledAssets(uint64_t labels) { return (labels + kLabelsPerAsset - 1) / kLabelsPerAsset; }

}  // namespace bench
