// LMDB's two meta pages, read from data.mdb with plain file reads, before
// LMDB maps the file. Internal to engine/.
//
// Why: LMDB 0.9 trusts the meta page with the higher transaction id. One bad
// byte there (a root page number, the last page) sends every reader into the
// wrong pages: the store then looks empty ("not a store") or LMDB reads past
// the end of the file (SIGBUS). Checking both pages first lets Store::Open tell
// "no store here" from "a store that cannot be read", and lets recovery fall
// back to the previous commit, which LMDB keeps intact (its pages are not
// reused until two commits later). Debian 12's LMDB (0.9.24) has no
// MDB_PREVSNAPSHOT flag, so the fallback is done here on a copy.
//
// The layout is LMDB 0.9's on a 64-bit build (mdb.c: MDB_page, MDB_meta,
// MDB_db); the tests check it against stores written by the linked LMDB.
#pragma once

#include <cstdint>
#include <string>

#include "annodb/status.h"

namespace annodb {

struct MetaPage {
  std::string problem;  // empty when the page passed every check
  bool header_bad = false;  // a header check LMDB itself makes failed (it refuses the file)
  uint64_t txnid = 0;
  uint32_t page_size = 0;
  uint64_t last_page = 0;  // highest page number in use
  uint64_t map_bytes = 0;
};

struct MetaPages {
  MetaPage page[2];
  uint64_t file_bytes = 0;
  uint32_t page_size = 0;  // the page size used to locate page 1
  // Both pages hold transaction 0: LMDB created the file and nothing was
  // ever committed (an interrupted first open). Nothing can be lost by
  // initialising such a file.
  bool fresh = false;
  // Index of the page LMDB will use (the higher transaction id).
  int current = 0;
  int previous() const { return 1 - current; }
};

// Reads and checks both meta pages of the LMDB data file at `data_path`.
// A file shorter than two meta pages is Corruption unless it is empty
// (*empty set; LMDB initialises an empty file). Checks of each page: page
// number and flags, magic, version, page size, last page within the file,
// each root page number within the last page and the root page's own header
// (page number, branch/leaf flag, bounds, and for a leaf root its
// entry count). Checks of the pair: transaction ids
// one apart, each on the page of its parity (LMDB writes commit t to page
// t % 2). Returns OK with per-page problems filled in; IOError when the file
// cannot be read.
Status ReadMetaPages(const std::string& data_path, MetaPages* out, bool* empty);

// Byte offset of a meta page's transaction id within the page.
inline constexpr uint64_t kMetaTxnidOffset = 16 + 128;

// Makes `dst_page` (0 or 1) of the data file at `data_path` a copy of
// `src_page` whose transaction id is one lower, so that LMDB opens the file at
// src_page's commit and the pair keeps LMDB's parity. Writes and fsyncs the
// file. For recovery, on a copy of a store only.
Status DemoteMetaPage(const std::string& data_path, const MetaPages& pages, int src_page);

}  // namespace annodb
