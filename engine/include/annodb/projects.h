// Projects and their ontologies.
//
// A project labels one or more datasets against an ontology: an ordered list
// of features, each with a name and a kind (classification, multi-label,
// bbox, polygon, polyline, point, mask, span, text). Options and classes are
// ordered and the order is meaningful (ordinal statistics, tie-breaking). An
// ontology may gain features, options and classes later (a new project
// version); nothing may be removed or change kind, so existing labels stay
// valid. Projects are versioned records with provenance, like assets.
//
// Functions run inside the caller's transaction (see store.h); inputs are
// validated before anything is written. Thread safety: as the transaction's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "annodb/schema/project_generated.h"
#include "annodb/store.h"

namespace annodb {

using FeatureKind = fb::FeatureKind;
// "classification", "multi_classification", "bbox", "polygon", "polyline",
// "point", "mask", "span", "text".
const char* FeatureKindName(FeatureKind kind);
bool ParseFeatureKind(std::string_view name, FeatureKind* out);

struct FeatureDef {
  std::string name;
  FeatureKind kind = FeatureKind::Classification;
  std::vector<std::string> options;  // classification, multi_classification
  std::vector<std::string> classes;  // geometric kinds and span (optional)
  bool required = false;
  bool operator==(const FeatureDef&) const = default;
};

struct ProjectSettings {
  uint32_t overlap = 1;          // labels needed per asset from distinct members (1..100)
  uint32_t lease_ttl_s = 1800;   // 1..7 days
  float review_fraction = 0;     // 0..1
  float gold_rate = 0;           // 0..1
  uint32_t max_leases = 0;       // per member, 0 = unlimited
  std::string instructions;
};

struct ProjectInfo {
  uint64_t id = 0;
  std::string name;
  std::vector<uint64_t> dataset_ids;
  std::vector<FeatureDef> features;
  ProjectSettings settings;
  uint64_t version = 0;
  uint64_t sequence = 0;
  // The feature named `name`, or null.
  const FeatureDef* Feature(std::string_view name) const;
};

// Parses an ontology file: {"features": [{"name": "weather", "kind":
// "classification", "options": ["sunny", "rain"]}, {"name": "vehicle",
// "kind": "bbox", "classes": ["car", "truck"]}, ...]}. InvalidArgument names
// the feature and the problem. Checks what ValidateOntology checks.
Status ParseOntologyJson(std::string_view json, std::vector<FeatureDef>* out);
// Names unique and 1..200 bytes; options/classes unique, non-empty, valid
// UTF-8; classification kinds need options; at most 1000 features.
Status ValidateOntology(const std::vector<FeatureDef>& features);
// Checks that `next` only adds to `prev` (features, options, classes
// appended; nothing removed, reordered or re-kinded).
Status CheckOntologyExtension(const std::vector<FeatureDef>& prev, const std::vector<FeatureDef>& next);
Status ValidateProjectSettings(const ProjectSettings& s);

// AlreadyExists when the name is taken; NotFound for an unknown dataset id.
Status CreateProject(WriteTxn& txn, const std::string& name, const std::vector<uint64_t>& dataset_ids,
                     const std::vector<FeatureDef>& features, const ProjectSettings& settings, uint64_t* id);
Status FindProject(const ReadTxn& txn, const std::string& name, uint64_t* id);
// The project as of `as_of` (kCurrent from assets.h = now).
Status GetProject(const ReadTxn& txn, uint64_t id, uint64_t as_of, ProjectInfo* out);
Status ListProjects(const ReadTxn& txn, std::vector<ProjectInfo>* out);
// Writes a new version with `features` (must extend the current ontology),
// `settings` and `dataset_ids` (may only gain datasets).
Status UpdateProject(WriteTxn& txn, uint64_t id, const std::vector<uint64_t>& dataset_ids,
                     const std::vector<FeatureDef>& features, const ProjectSettings& settings, PutOutcome* outcome);

}  // namespace annodb
