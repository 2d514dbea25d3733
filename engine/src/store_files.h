// The files of a store directory before and around LMDB: what is there,
// space for them, and errors of the disk named for people. Internal to
// engine/.
#pragma once

#include <cstdint>
#include <string>

#include "annodb/status.h"

namespace annodb {

// What a store directory holds, judged before LMDB maps anything.
enum class StoreFiles {
  kNone,     // no data.mdb, or one in which nothing was ever committed
  kPresent,  // data.mdb whose newest meta page passed every check
};

// Inspects dir/data.mdb (meta_pages.h). Corruption, naming the directory,
// the bad page and `annodb recover`, when the file exists but its newest
// commit cannot be read; nothing is ever written.
Status InspectStoreFiles(const std::string& dir, StoreFiles* out);

// The message for a store that exists but cannot be read: names the
// directory, says nothing was changed and how to recover.
Status UnreadableStore(const std::string& dir, const std::string& detail);

// Makes sure lock.mdb's pages exist on disk before LMDB maps it: LMDB sizes
// a new lock file with ftruncate (a sparse file) and then writes to it
// through the map, which on a full filesystem kills the process with SIGBUS.
// Allocates only a lock file that is missing or empty (one in use by other
// processes keeps its size). `max_readers` as given to LMDB.
Status PreallocateLockFile(const std::string& dir, unsigned max_readers);

// Refuses to create a store where the filesystem lacks room for its first
// pages, with a "no space left on device" message.
Status CheckSpaceToCreate(const std::string& dir);

// The Status for an OS or LMDB error `rc` while `what` (e.g. "committing to
// the store") in the directory `dir`.
// ENOSPC and EDQUOT, and EIO when the filesystem is (nearly) full (LMDB turns
// a short write into EIO), become "no space left on device" naming the
// directory; other codes as LmdbStatus, with the directory named.
Status StoreIoStatus(int rc, const std::string& dir, const std::string& what);

}  // namespace annodb
