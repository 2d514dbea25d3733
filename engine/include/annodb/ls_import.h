// Import of a Label Studio JSON export: tasks become assets, annotations
// become human (or gold) labels, predictions become model labels.
//
// The file is Label Studio's "JSON" export (or a task import file): an array of tasks
//   {"id": 7, "data": {"image": "s3://bucket/a.jpg"},
//    "annotations": [{"completed_by": {"id": 1, "email": "ann@x.org"}, "lead_time": 4.2,
//                     "ground_truth": false, "was_cancelled": false,
//                     "result": [{"from_name": "vehicle", "type": "rectanglelabels",
//                                 "original_width": 640, "original_height": 480,
//                                 "value": {"x": 10, "y": 20, "width": 30, "height": 40,
//                                           "rotation": 0, "rectanglelabels": ["car"]}}]}],
//    "predictions": [{"model_version": "yolo-8", "score": 0.8, "result": [...]}]}
// Result types: choices (classification, or multi_classification when the
// feature is multi-label), rectanglelabels (percent coordinates converted to
// pixels with original_width/height; rotated boxes are refused),
// polygonlabels, keypointlabels (points), labels (text spans), textarea
// (free text), taxonomy (the leaf of each chosen path, as options). Other
// result types (relation, brushlabels, ...) are skipped and counted.
//
// Mapping (docs/formats.md, "Label Studio JSON export", has every rule): a
// result's from_name is the feature name. The asset's external id is
// "ls-<task id>" ("ls-index-<position>" for a task without id, or the value
// of options.external_id_key in the task's data), its URI the value of
// options.data_key, else of the data key the results' source/to_name point
// at, else the first string in data; the media type follows the URI's
// extension; a "text" value becomes the asset's inline text. A stored asset
// keeps its fields and gains only a missing size or text. Authors become
// members named after their e-mail's local part (or "ls-user-<id>";
// options.default_author or "ls-unknown-author" without completed_by),
// created when missing. A prediction is a model label named "label-studio"
// with the prediction's model_version as its version. A file holding one
// task object is one task.
//
// When the project does not exist it is created, with the dataset, and an
// ontology inferred from the results (feature kinds from result types,
// options and classes in first-seen order).
//
// Nothing is changed on the way: a value that cannot be kept exactly (two
// classes on one region, a non-string in a list, an out-of-range size or
// lead_time, a box outside the image unless clamp_boxes allows it) refuses
// the import. The whole file is imported in one write transaction: any bad
// task refuses the import, naming the task, annotation, result, field and
// value ("task 7: annotations[0]: result[2] (vehicle, rectanglelabels):
// ..."), and writes nothing. The file is read into memory whole. Re-importing
// the same file changes nothing. Thread safety: as Store::Write.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "annodb/store.h"

namespace annodb {

// What to do with several annotations (or predictions of one model
// version) on one task that map to the same label key (project, asset,
// source, author): the store keeps one live label per key.
enum class LsSameAuthor : uint8_t {
  kRefuse = 0,    // refuse the import, naming the task and the annotations
  kVersions = 1,  // keep each as a version of one label, in file order (the last is current)
};

// Default of LsImportOptions::clamp_tolerance_percent.
inline constexpr double kLsDefaultClampTolerancePercent = 2.0;

struct LsImportOptions {
  std::string project;          // required
  std::string dataset;          // required
  std::string data_key;         // task data key holding the asset URI (empty: the key the results point at)
  std::string external_id_key;  // task data key holding the external id (empty: "ls-<id>")
  std::string default_author;   // member for annotations without completed_by (empty: "ls-unknown-author")
  bool clamp_boxes = false;     // clamp boxes a little outside the image instead of refusing them
  double clamp_tolerance_percent = kLsDefaultClampTolerancePercent;  // how far outside (0 < t <= 10)
  LsSameAuthor same_author = LsSameAuthor::kRefuse;
};

// Counts. Each annotation or prediction of the file is counted once, in
// labels, predictions, earlier_versions, unchanged or cancelled_skipped.
struct LsImportReport {
  uint64_t tasks = 0, assets_created = 0, labels = 0, predictions = 0, unchanged = 0;
  uint64_t earlier_versions = 0;    // stored as earlier versions (LsSameAuthor::kVersions)
  uint64_t members_created = 0, cancelled_skipped = 0, results_skipped = 0;
  uint64_t boxes_clamped = 0;       // boxes of the file clamped to the image (clamp_boxes)
  uint64_t default_author_used = 0; // annotations without completed_by
  bool project_created = false;
  std::map<std::string, uint64_t> skipped_types;  // result type -> count
};

// Imports the file at `path` as `actor` (a system actor is recorded as an
// import job). *report is reset, then filled on success. Errors:
// InvalidArgument (not a Label Studio file, bad options, a bad task), IOError
// (the file cannot be read), NotFound/Corruption from the store.
Status ImportLabelStudio(Store& store, const std::string& path, const Actor& actor, const LsImportOptions& options,
                         LsImportReport* report);

}  // namespace annodb
