// Labels: one author's annotations of one asset in one project.
//
// An author is a member (source human or gold) or a model (source model,
// with a name and version); aggregated labels (source aggregate) are written
// by the consensus engine. A label holds annotations of the project's
// features; every annotation is validated against the ontology and the asset
// (its width/height and text, where known) before anything is written.
// Labels are versioned records with provenance: update writes a new version,
// delete a tombstone.
//
// At most one live label exists per (project, asset, source, author): for a
// member the author is the member id, for a model its name and version.
// PutLabel upserts on that key, so importing the same labels twice writes
// nothing new.
//
// Functions run inside the caller's transaction. Thread safety: as the
// transaction's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "annodb/assets.h"
#include "annodb/projects.h"
#include "annodb/schema/label_generated.h"
#include "annodb/store.h"

namespace annodb {

using LabelSource = fb::LabelSource;
using LabelStatus = fb::LabelStatus;
const char* LabelSourceName(LabelSource s);  // "human", "model", "gold", "aggregate"
bool ParseLabelSource(std::string_view name, LabelSource* out);
const char* LabelStatusName(LabelStatus s);  // "draft", "submitted", "accepted", "rejected"
bool ParseLabelStatus(std::string_view name, LabelStatus* out);

struct Point {
  double x = 0, y = 0;
  bool operator==(const Point&) const = default;
};

// One annotation. `kind` is taken from the ontology when the label is
// validated; which other fields matter depends on it.
struct AnnotationInput {
  std::string feature;
  FeatureKind kind = FeatureKind::Classification;
  std::string value;                // classification
  std::vector<std::string> values;  // multi_classification
  std::string class_name;           // bbox, polygon, polyline, point, mask, span
  double x = 0, y = 0, w = 0, h = 0;  // bbox: top-left corner, width, height (pixels)
  std::vector<Point> points;        // polygon, polyline, point
  uint32_t mask_height = 0, mask_width = 0;
  std::string mask_counts;          // COCO compressed RLE
  uint32_t span_start = 0, span_end = 0;  // [start, end) in Unicode code points
  std::string text;                 // text
  std::optional<float> score;
  bool operator==(const AnnotationInput&) const = default;
};

struct LabelInput {
  uint64_t project_id = 0;
  uint64_t asset_id = 0;
  uint64_t author_member_id = 0;  // human, gold
  std::string model_name;         // model
  std::string model_version;
  LabelSource source = LabelSource::Human;
  LabelStatus status = LabelStatus::Submitted;
  std::vector<AnnotationInput> annotations;
  uint64_t time_spent_ms = 0;
  uint64_t lease_id = 0;
};

// Checks `label` against the project's ontology and the asset: unknown
// feature, option not in the list, box with negative or zero size or outside
// the asset's known width/height, polygon with fewer than 3 points or
// self-intersecting, polyline with fewer than 2 points, point not exactly
// one, span outside the text, malformed RLE or mask size unlike the asset,
// a non-finite number or score. InvalidArgument names the annotation
// ("annotations[2] (vehicle): ..."). Fills each annotation's kind.
Status ValidateLabel(const ProjectInfo& project, const AssetInput& asset, LabelInput* label);
// The per-annotation part of ValidateLabel: `a` checked against `feature`
// (which must be a.feature's definition) and the asset. InvalidArgument
// messages start with `where`. Fills a->kind. For importers that check each
// converted annotation in the words of their own input format.
Status ValidateAnnotation(const FeatureDef& feature, const AssetInput& asset, const std::string& where,
                          AnnotationInput* a);

// Validates and writes the label (an upsert on (project, asset, source,
// author), see above). NotFound for an unknown project, asset (or one not in
// the project's datasets) or member; InvalidArgument for invalid content.
Status PutLabel(WriteTxn& txn, LabelInput label, uint64_t* id, PutOutcome* outcome);
// Writes a new version of label `id` with new annotations/status/time spent
// (project, asset, author and source stay).
Status UpdateLabel(WriteTxn& txn, uint64_t id, LabelInput label, PutOutcome* outcome);
Status DeleteLabel(WriteTxn& txn, uint64_t id);
Status GetLabel(const ReadTxn& txn, uint64_t id, uint64_t as_of, RecordView* out);
LabelInput DecodeLabel(const fb::Label* l);

struct LabelFilter {
  uint64_t project_id = 0;  // required
  uint64_t asset_id = 0;    // 0 = any
  uint64_t author_member_id = 0;  // 0 = any
  std::optional<LabelStatus> status;
};
// Live labels matching the filter in (asset, id) order — or id order when
// filtering by author or status — after label id `after` (0 = from the
// start), at most `limit` (0 = 1000). Index scans: cost grows with the
// result, not the project.
Status ListLabels(const ReadTxn& txn, const LabelFilter& filter, uint64_t after, size_t limit,
                  std::vector<uint64_t>* ids);

// COCO RLE helpers (compressed "counts" strings, column-major runs starting
// with zeros). DecodeRle fails on malformed strings; the runs must sum to
// height*width.
Status DecodeRle(std::string_view counts, uint32_t height, uint32_t width, std::vector<uint32_t>* runs);
std::string EncodeRle(const std::vector<uint32_t>& runs);

}  // namespace annodb
