// Reading the record an index entry names.
//
// Some indexes keep deleted records (labels by asset, for as-of reads): their
// entries point at tombstones. Others drop a record's entries when it is
// deleted. Either way, an entry whose record is absent from its kind's record
// table is damage (a lost page, a torn copy), never a deletion: a reader that
// walks an index must fail on it rather than skip it, or an export exits 0
// with records missing (issue 11, item 2). Only a tombstone is a deletion.
#pragma once

#include <string>

#include "annodb/store.h"

namespace annodb {

// The current version of record `id` of `kind`, reached through `index`,
// tombstones included (out->deleted() tells). Corruption naming the record
// and the index when the record is missing; other errors as
// ReadTxn::GetIncludingDeleted (Corruption on a bad checksum, IOError).
inline Status GetIndexedRecord(const ReadTxn& txn, Index index, RecordKind kind, uint64_t id, RecordView* out) {
  Status s = txn.GetIncludingDeleted(kind, id, out);
  if (!s.IsNotFound()) return s;
  return Status::Corruption(std::string("index ") + IndexName(index) + " lists " + RecordKindName(kind) + " " +
                            std::to_string(id) + ", which is missing from the store (the store is damaged: run `annodb verify`)");
}

}  // namespace annodb
