// Raw LMDB's lease+submit: the ceiling, with none of annodb's queue logic.
#pragma once

#include <lmdb.h>

#include <cstdint>

#include "bench.h"

namespace bench {

// Tables in the adapter's environment:
//   "ready":  inverted priority (u64 BE) + asset id (u64 BE) -> empty: the
//             ready tasks, highest priority first, then the lowest id;
//   "leases": lease id = fencing token (u64 BE) -> asset, member, expiry, state;
//   "labels": asset id + member id (u64 BE each) -> the label's JSON annotations.
// Lease (one write transaction): the first "ready" entry is deleted and a
// lease appended (MDB_APPEND: ids ascend). Submit (one write transaction):
// the lease is read and checked (active, this member, not expired), marked
// submitted and the label put. No reclaiming, versions, counters, changefeed.
class LmdbQueue {
 public:
  explicit LmdbQueue(MDB_env* env) : env_(env) {}
  // Opens the tables, filling "ready" with assets 1..rows (priority id mod
  // 10) when it is empty and no lease exists yet.
  void Prepare(const Config& cfg);
  uint64_t LeaseSubmit(const Config& cfg, int client, uint64_t cycles);

 private:
  MDB_env* env_;
  MDB_dbi ready_ = 0, leases_ = 0, labels_ = 0;
};

}  // namespace bench
