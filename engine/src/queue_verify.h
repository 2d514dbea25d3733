// The queue's part of VerifyStore (verify.cpp calls it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "annodb/store.h"

namespace annodb::queue {

// Appends a line to *problems for each inconsistency between tasks, lanes,
// touches, counters and active leases; *checked grows by the entries read.
// Returns an error only when reading fails.
Status VerifyQueue(const ReadTxn& txn, std::vector<std::string>* problems, uint64_t* checked);

}  // namespace annodb::queue
