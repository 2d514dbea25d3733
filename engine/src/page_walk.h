// The page walk: checks the structure of an LMDB data.mdb by reading the file
// itself with pread, before any LMDB cursor touches it.
//
// Why: LMDB trusts its pages. One flipped byte of a leaf's mp_lower makes
// mdb_cursor_get read past the page and crash the process (issue 11, item 12).
// A store that passes this walk has pages whose every offset, size and page
// number LMDB follows stays inside the page and the file, so cursors on it
// cannot read out of bounds.
//
// The layout read here is LMDB 0.9's on-disk format on a 64-bit little-endian
// host (page_walk.cpp writes it down). Internal to engine/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "annodb/status.h"

namespace annodb::page_walk {

enum class Scope {
  // Both meta pages and the main table (the names and roots of the named
  // tables): a few pages, cheap enough for every open.
  kMainTable,
  // Every page reachable from the newest meta page: every table, every
  // overflow run, the free-page table, and the count of all pages.
  kAll,
  // What Store::Open checks: kAll for a file of at most kFullWalkOnOpenBytes
  // (about 0.5 ms of CPU per MiB: under 70 ms), kMainTable for larger ones
  // (their other pages are checked by verify, export and backup).
  kOnOpen,
};
inline constexpr uint64_t kFullWalkOnOpenBytes = uint64_t{128} << 20;

struct Report {
  uint64_t pages = 0;         // pages in the snapshot (its last page number + 1)
  uint64_t pages_read = 0;    // tree and overflow-run pages checked
  uint64_t tables = 0;        // named tables walked
  uint64_t txnid = 0;         // the snapshot walked (newest meta page's txnid)
  bool meta_unusable = false; // no walk was possible: a meta page is unreadable
  bool lmdb_refuses = false;  // a meta page's flags, magic or version make LMDB's own open refuse the file
  std::vector<std::string> problems;  // empty: the walk found nothing wrong
};

// Walks `dir`/data.mdb. Returns OK when the walk ran (problems, if any, are in
// report->problems, at most `max_problems` of them, 0 = no limit), IOError
// when the file cannot be read. When the walk finds problems and the newest
// meta page changed meanwhile (another process committed), it walks again
// (a few times), so a concurrent writer is not reported as damage.
Status Walk(const std::string& dir, Scope scope, size_t max_problems, Report* report);

// Walk with the problems as a Corruption status naming the first few, for
// commands that must refuse a damaged store (export, backup, open). With
// kOnOpen, meta pages that LMDB's own open refuses are left to it
// (Store::Open reports those).
Status Check(const std::string& dir, Scope scope);

}  // namespace annodb::page_walk
