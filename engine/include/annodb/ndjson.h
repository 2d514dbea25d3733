// NDJSON export and restore: the whole labelled state, one line per record,
// from one read transaction.
//
// Format (docs/formats.md, "NDJSON export"):
//   {"type":"header","format":"annodb-ndjson","version":1}
//   {"type":"member","name":"alice","display_name":"Alice","role":"labeler","active":true,"provenance":{..}}
//   {"type":"dataset","name":"cams","description":"","provenance":{..}}
//   {"type":"project","name":"street","datasets":["cams"],"ontology":{"features":[..]},"settings":{..},"provenance":{..}}
//   {"type":"asset","dataset":"cams","asset":{<asset import line>},"provenance":{..},
//    "labels":[{<label import line without project/dataset/asset>,"project":"street","provenance":{..}}],
//    "comments":[{"author":"bob","body":"..","label":0,"annotation":1,"region":{..},
//                 "issue":"open","provenance":{..},"replies":[{..}]}]}
// Lines come in that order; members, datasets and projects by id, assets by
// id (the order they were first written; the lines of several datasets
// interleave), labels by id, comments by id. Ids, sequence
// numbers and version numbers are store-specific and left out; everything
// else is kept, including each record's current provenance. A comment's
// "label" is the index of its label in the same line's "labels".
//
// Exports are deterministic: exporting the same state (the same snapshot)
// twice gives the same bytes, and restoring an export into an empty store
// and exporting again gives the same bytes.
//
// Thread safety: an export runs one read transaction (writers go on); a
// restore takes the writer once per batch.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "annodb/store.h"

namespace annodb {

struct ExportOptions {
  std::string project;     // only this project's labels and the assets of its datasets
  std::string dataset;     // only this dataset's assets
  std::string snapshot;    // read as of this snapshot...
  uint64_t as_of = 0;      // ...or this sequence (0 = now)
};

struct ExportReport {
  uint64_t lines = 0, assets = 0, labels = 0, comments = 0;
  uint64_t sequence = 0;  // the sequence the export reflects
};

// Streams the export to `out` with memory independent of the store's size.
// NotFound for an unknown project, dataset or snapshot; IOError when `out`
// fails.
Status ExportNdjson(Store& store, const ExportOptions& options, std::ostream& out, ExportReport* report);

struct RestoreReport {
  uint64_t lines = 0, members = 0, datasets = 0, projects = 0, assets = 0, labels = 0, comments = 0;
  uint64_t comments_existing = 0;  // comments found already in the store, not added again
};

// Restores an NDJSON export (path, or "-" for standard input) with every
// record's provenance as exported. Existing records with the same names are
// updated (upsert), so restoring into an empty store reproduces the exported
// state. Comments have no name: one counts as already there when the store
// has a comment in the same place (asset threads or thread, label) with the
// same author, body and current provenance (actor and time); it is kept, not
// added again, so restoring the same export twice changes nothing. The whole file is checked first (JSON, types, references to names
// defined earlier in the file or in the store); a bad line refuses the
// restore with its line number and writes nothing. Members, datasets and
// projects are written in one transaction, assets in batches of 1000 lines.
Status RestoreNdjson(Store& store, const std::string& path, RestoreReport* report);

}  // namespace annodb
