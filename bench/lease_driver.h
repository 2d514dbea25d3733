// Runs lease+submit clients against one system: several threads in this
// process, or several processes at once (forked before opening, as LMDB
// requires: each opens the store itself).
#pragma once

#include <cstdint>

#include "bench.h"
#include "workloads.h"

namespace bench {

struct LeaseRun {
  int processes = 1;     // > 1: fork this many client processes (one client each)
  int threads = 1;       // clients on threads of this process (processes == 1)
  bool grouped = false;  // annodb: Store::WriteGrouped
  uint64_t cycles = 0;   // in all, split evenly between the clients
};

// `a` is open on the system's store (the queue prepared). Returns the cycles
// done. For processes > 1 it closes `a`, forks, waits until every client has
// opened the store, times the cycles alone (ctx.seconds) and reopens `a`.
// Puts the SQLite busy retries, when any, in ctx.note.
uint64_t RunLeaseSubmit(SystemAdapter& a, const Config& cfg, const LeaseRun& run, Context& ctx);

}  // namespace bench
