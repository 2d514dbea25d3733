// JSON forms of labels: one label per line for import, and rendering.
//
// Import line (docs/formats.md):
//   {"project": "street", "dataset": "cams", "asset": "img-0001",
//    "author": "alice", "source": "human", "status": "submitted",
//    "time_spent_ms": 5300,
//    "annotations": [
//      {"feature": "weather", "value": "rain"},
//      {"feature": "tags", "values": ["wet", "night"]},
//      {"feature": "vehicle", "class": "car", "bbox": [10, 20, 100, 50], "score": 0.91},
//      {"feature": "road", "polygon": [[0, 0], [10, 0], [10, 10]]},
//      {"feature": "lane", "polyline": [[0, 0], [5, 5]]},
//      {"feature": "head", "point": [3, 4]},
//      {"feature": "sky", "mask": {"size": [h, w], "counts": "..."}},
//      {"feature": "person", "class": "PER", "span": [0, 5]},
//      {"feature": "caption", "text": "a red car"}]}
// A model prediction has "source": "model", "model": {"name": "..",
// "version": ".."} and no author. Names (project, dataset, asset external id,
// author) are resolved in the given transaction; an unknown name is an error.
//
// Thread safety: reentrant; the transaction rules are store.h's.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "annodb/labels.h"

namespace annodb {

// Parses one label line and resolves its names. InvalidArgument or NotFound
// names the field. Does not validate against the ontology (PutLabel does).
Status ParseLabelJson(const ReadTxn& txn, std::string_view json, LabelInput* out);

// Parses a JSON array of annotations (the "annotations" value above), or a
// label object whose "annotations" are taken (a queue submit file). When the
// object has "time_spent_ms" (a non-negative integer) and time_spent_ms is
// not null, *time_spent_ms receives it.
Status ParseAnnotationsJson(std::string_view json, std::vector<AnnotationInput>* out,
                            uint64_t* time_spent_ms = nullptr);

// Renders a label version as one JSON object in the import format, with
// names resolved, plus "id", "project_id", "asset_id", "version",
// "sequence", "deleted" and "provenance".
Status LabelToJson(const ReadTxn& txn, const RecordView& label, std::string* out);

struct LabelImportReport {
  uint64_t lines = 0, created = 0, updated = 0, unchanged = 0;
  uint64_t job_id = 0;   // 0 when nothing changed (nothing was written)
  uint64_t batches = 0;  // write batches run (a batch that changes nothing commits nothing)
};

// Imports a JSON Lines file of labels ("-" = standard input), all or
// nothing for bad lines: a first pass parses, resolves and validates every
// line against its project's ontology and asset without writing; a bad line
// is refused with its line number and nothing is written. A second pass
// writes in batches of `batch_rows` (one commit each). Upserts: importing
// the same file twice changes nothing, and an import that changes nothing
// writes nothing (no commit, no job id). Errors: NotFound (no such file),
// InvalidArgument (a directory, an input without labels, a bad line), and
// the store's errors.
Status ImportLabelsJsonl(Store& store, const std::string& path, const Actor& actor, size_t batch_rows,
                         LabelImportReport* report);

}  // namespace annodb
