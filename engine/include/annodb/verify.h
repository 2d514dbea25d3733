// Store verification: first the file's page structure (read with pread, not
// through LMDB), then every checksum, every record's structure and every
// index entry checked against the records, in one read transaction.
//
// VerifyStore reads the whole store (cost: one pass over every table). It
// never writes. Thread safety: as Store::Read (it runs one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "annodb/store.h"

namespace annodb {

struct VerifyReport {
  uint64_t pages_checked = 0;         // B-tree and overflow pages the page walk read
  uint64_t records_checked = 0;       // current versions, all kinds
  uint64_t versions_checked = 0;      // superseded versions in history
  uint64_t index_entries_checked = 0;
  uint64_t changes_checked = 0;       // changefeed entries
  std::vector<std::string> problems;  // empty = the store is sound
  bool ok() const { return problems.empty(); }
};

// Checks the page structure of the store in `dir` without opening it: both
// meta pages, then every page reachable from the newest one (page numbers,
// flags, mp_lower/mp_upper, node offsets, key and data sizes, overflow runs,
// key order, page counts, no page used twice, every page accounted for).
// Each bad page is one problem naming its table, page number and what is
// wrong. A store with problems here must not be opened with LMDB: its
// cursors trust these pages and can read past them. Returns OK when the walk
// ran (look at report->problems), IOError when data.mdb cannot be read.
// Fills pages_checked and problems only. Reads the whole file once (about
// 0.1 s per 100k assets: docs/testing/corruption.md).
Status VerifyStoreFile(const std::string& dir, VerifyReport* report, size_t max_problems = 1000);

// Checks the store: VerifyStoreFile on its directory, then, when the pages
// are sound, every record and index. Returns OK when the check ran (even if
// it found problems: look at report->problems), or the error that stopped it
// (IOError; Corruption only when LMDB itself refuses to read its pages). At
// most `max_problems` problems are listed (0 = no limit).
Status VerifyStore(Store& store, VerifyReport* report, size_t max_problems = 1000);

// Verifies the FlatBuffer `payload` as the root type of `kind` (from an
// 8-byte-aligned buffer), including the alignment of its vectors of structs
// (which the FlatBuffers verifier leaves unchecked). Used by verify and at
// trust boundaries.
bool VerifyPayload(RecordKind kind, const uint8_t* payload, size_t size);

}  // namespace annodb
