// Recovery of a store whose newest commit cannot be read.
//
// LMDB keeps two meta pages, one per commit in turn, and never reuses the
// pages of the previous commit before the next one. When the newest meta
// page is damaged (Store::Open reports Corruption naming `annodb recover`),
// the previous commit is still whole on disk. RecoverPreviousCommit copies
// the store to a new directory and makes that copy open at the previous
// commit. It never writes to the damaged store: the copy is made first, and
// only the copy is changed.
#pragma once

#include <cstdint>
#include <string>

#include "annodb/status.h"
#include "annodb/verify.h"

namespace annodb {

struct RecoverReport {
  uint64_t damaged_commit = 0;    // LMDB transaction id of the newest meta page
  std::string damage;             // what is wrong with it ("" when it looked sound)
  uint64_t recovered_commit = 0;  // LMDB transaction id the copy opens at
  uint64_t sequence = 0;          // the copy's annodb sequence (its last change)
  VerifyReport verify;            // VerifyStore on the copy (ok() on success)
};

// Copies the store in `dir` into `out_dir` (new, or an empty directory) as of
// the commit before its newest, then opens the copy and verifies it.
// `dir` is only read. On success the copy is a sound store at *report's
// sequence; on failure whatever was written to out_dir is removed.
// Errors: NotFound (no data.mdb in dir), InvalidArgument (out_dir is not new
// or empty, or is dir itself; the store holds no previous commit),
// Corruption (the previous commit is damaged too, or the copy does not
// verify: the message gives the first problem), IOError (reading or writing;
// a full disk says "no space left on device").
// Thread safety: no other process or thread may write to `dir` meanwhile
// (one that could would not need recovering).
Status RecoverPreviousCommit(const std::string& dir, const std::string& out_dir, RecoverReport* report);

}  // namespace annodb
