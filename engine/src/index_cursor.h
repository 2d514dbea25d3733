// IndexCursor: one LMDB cursor over an index, kept open across many
// look-ups that come in ascending key order (a merge of two ordered walks).
//
// Why: ReadTxn::IndexScan opens a cursor, positions it with a full B-tree
// descent and closes it on every call. The export asks each index for the
// entries of one asset after another, in asset id order; most assets have
// no labels or comments, and with one cursor kept at the next entry the
// answer for such an asset is a key comparison, with no LMDB call at all.
//
// Valid while the transaction it was opened in is open; one thread.
#pragma once

#include <lmdb.h>

#include <string_view>

#include "annodb/store.h"
#include "store_impl.h"

namespace annodb {

class IndexCursor {
 public:
  IndexCursor() = default;
  IndexCursor(const IndexCursor&) = delete;
  IndexCursor& operator=(const IndexCursor&) = delete;
  ~IndexCursor() {
    if (cur_) mdb_cursor_close(cur_);
  }

  Status Open(const ReadTxn& txn, Index index) {
    int rc = mdb_cursor_open(txn.raw(), txn.store().impl().indexes[static_cast<int>(index)], &cur_);
    return rc == MDB_SUCCESS ? Status::OK() : LmdbStatus(rc, "opening an index cursor");
  }

  // Moves to the first entry with a key >= `key`; valid() is false when
  // there is none.
  Status Seek(std::string_view key) {
    k_ = Val(key);
    return Moved(mdb_cursor_get(cur_, &k_, &v_, MDB_SET_RANGE));
  }
  Status Next() { return Moved(mdb_cursor_get(cur_, &k_, &v_, MDB_NEXT)); }

  bool positioned() const { return positioned_; }
  bool valid() const { return valid_; }
  std::string_view key() const { return View(k_); }
  std::string_view value() const { return View(v_); }

 private:
  Status Moved(int rc) {
    positioned_ = true;
    valid_ = rc == MDB_SUCCESS;
    if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND) return Status::OK();
    return LmdbStatus(rc, "reading an index");
  }

  MDB_cursor* cur_ = nullptr;
  MDB_val k_{}, v_{};
  bool positioned_ = false, valid_ = false;
};

}  // namespace annodb
