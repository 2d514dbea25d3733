// The files of a store directory before and around LMDB (see store_files.h).
#include "store_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "meta_pages.h"
#include "store_impl.h"

namespace annodb {
namespace fs = std::filesystem;

namespace {
// LMDB 0.9's lock file: a 192-byte header then one 64-byte slot per reader
// beyond the first (mdb_env_setup_locks), on a 64-bit build.
uint64_t LockFileBytes(unsigned max_readers) { return uint64_t{max_readers} * 64 + 128; }

// Below this much free space, a failed write is taken for a full disk.
constexpr uint64_t kNearlyFullBytes = uint64_t{1} << 20;
// What a new store writes before its first commit: two meta pages, a lock
// file, and the first commit's pages, with room to spare.
constexpr uint64_t kCreateNeedsBytes = uint64_t{256} << 10;

bool FreeBytes(const std::string& dir, uint64_t* out) {
  struct statvfs v;
  if (::statvfs(dir.c_str(), &v) != 0) return false;
  *out = static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
  return true;
}
}  // namespace

Status UnreadableStore(const std::string& dir, const std::string& detail) {
  return Status::Corruption("store '" + dir + "' exists but cannot be read (" + detail +
                            "); nothing was changed. `annodb recover --store " + dir +
                            " --out NEW_DIR` copies it as of its previous commit");
}

Status InspectStoreFiles(const std::string& dir, StoreFiles* out) {
  *out = StoreFiles::kNone;
  std::string data = (fs::path(dir) / "data.mdb").string();
  struct stat st;
  if (::stat(data.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::IOError("cannot stat '" + data + "': " + std::strerror(errno));
  }
  MetaPages pages;
  bool empty = false;
  Status s = ReadMetaPages(data, &pages, &empty);
  if (s.IsCorruption()) return UnreadableStore(dir, s.message());
  ANNODB_RETURN_IF_ERROR(s);
  if (empty) return Status::OK();
  for (int i = 0; i < 2; ++i)
    if (pages.fresh && !pages.page[i].problem.empty())
      return UnreadableStore(dir, "meta page " + std::to_string(i) + ": " + pages.page[i].problem);
  if (pages.fresh) return Status::OK();
  const MetaPage& cur = pages.page[pages.current];
  if (!cur.problem.empty())
    return UnreadableStore(dir, "meta page " + std::to_string(pages.current) + ", commit " +
                                    std::to_string(cur.txnid) + ": " + cur.problem);
  // LMDB itself refuses a file whose other meta page has a bad header.
  const MetaPage& prev = pages.page[pages.previous()];
  if (prev.header_bad)
    return UnreadableStore(dir, "meta page " + std::to_string(pages.previous()) + ": " + prev.problem);
  *out = StoreFiles::kPresent;
  return Status::OK();
}

Status PreallocateLockFile(const std::string& dir, unsigned max_readers) {
  std::string path = (fs::path(dir) / "lock.mdb").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return StoreIoStatus(errno, dir, "creating the store's lock file");
  struct stat st;
  int err = 0;
  if (::fstat(fd, &st) != 0) err = errno;
  else if (st.st_size == 0) err = ::posix_fallocate(fd, 0, static_cast<off_t>(LockFileBytes(max_readers)));
  ::close(fd);
  if (err != 0) {
    // Leave no half-sized lock file behind for LMDB to extend sparsely.
    int ignored = ::truncate(path.c_str(), 0);
    (void)ignored;
    return StoreIoStatus(err, dir, "allocating the store's lock file");
  }
  return Status::OK();
}

Status CheckSpaceToCreate(const std::string& dir) {
  uint64_t free_bytes = 0;
  if (FreeBytes(dir, &free_bytes) && free_bytes < kCreateNeedsBytes)
    return Status::IOError("no space left on device for a new store in '" + dir + "' (" +
                           std::to_string(free_bytes) + " bytes free, " + std::to_string(kCreateNeedsBytes) +
                           " needed)");
  return Status::OK();
}

Status StoreIoStatus(int rc, const std::string& dir, const std::string& what) {
  if (rc == 0) return Status::OK();
  uint64_t free_bytes = 0;
  bool full = rc == ENOSPC || rc == EDQUOT ||
              (rc == EIO && FreeBytes(dir, &free_bytes) && free_bytes < kNearlyFullBytes);
  if (full) {
    std::string why = rc == EDQUOT ? "disk quota exceeded" : "no space left on device";
    std::string detail = rc == EIO ? " (a write failed with an I/O error while the filesystem has " +
                                         std::to_string(free_bytes) + " bytes free)"
                                   : "";
    return Status::IOError(why + " in '" + dir + "' while " + what + detail);
  }
  return LmdbStatus(rc, what + " in '" + dir + "'");
}

}  // namespace annodb
