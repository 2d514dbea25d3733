// Store: opening, the transaction runners, map growth, durability, backup.
#include "annodb/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>
#include <utility>

#include "annodb/keys.h"
#include "store_files.h"
#include "page_walk.h"
#include "store_impl.h"
#include "exception_status.h"

namespace annodb {
namespace fs = std::filesystem;

namespace {
// Directories open in this process, by (device, inode): LMDB must never open
// the same environment twice in one process (its locks are per process).
std::mutex g_registry_mu;
std::set<std::pair<uint64_t, uint64_t>> g_open_stores;

constexpr uint64_t kMinMapBytes = uint64_t{256} << 10;

int64_t SystemNowUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

Status LmdbStatus(int rc, const std::string& what) {
  if (rc == MDB_SUCCESS) return Status::OK();
  std::string msg = what + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_NOTFOUND: return Status::NotFound(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID: return Status::Corruption(msg);
    case MDB_VERSION_MISMATCH: return Status::Incompatible(msg);
    case MDB_READERS_FULL:
    case EBUSY:
    case EAGAIN: return Status::Busy(msg);
    case MDB_BAD_VALSIZE:
    case EINVAL: return Status::InvalidArgument(msg);
    default: return Status::IOError(msg);
  }
}

std::string MetaIdKey(RecordKind kind) { return KeyBuilder().Tail("next_id.").U8(static_cast<uint8_t>(kind)).str(); }
std::string MetaLiveKey(RecordKind kind) { return KeyBuilder().Tail("live.").U8(static_cast<uint8_t>(kind)).str(); }

Status ReadMetaU64(MDB_txn* txn, MDB_dbi meta, std::string_view key, uint64_t* out) {
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn, meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    *out = 0;
    return Status::OK();
  }
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "reading meta");
  if (v.mv_size != 8) return Status::Corruption("meta value '" + std::string(key) + "' has the wrong size");
  *out = DecodeU64(v.mv_data);
  return Status::OK();
}

Status WriteMetaU64(MDB_txn* txn, MDB_dbi meta, std::string_view key, uint64_t value) {
  std::string enc = EncodeU64(value);
  MDB_val k = Val(key), v = Val(enc);
  return LmdbStatus(mdb_put(txn, meta, &k, &v, 0), "writing meta");
}

StoreImpl::~StoreImpl() {
  if (flusher.joinable()) {
    {
      std::lock_guard<std::mutex> g(flush_mu);
      stopping = true;
    }
    flush_cv.notify_all();
    flusher.join();
  }
  if (env) {
    if (options.durability != Durability::kFull) mdb_env_sync(env, 1);
    mdb_env_close(env);
  }
  if (registry_key_ino) {
    std::lock_guard<std::mutex> g(g_registry_mu);
    g_open_stores.erase({registry_key_dev, registry_key_ino});
  }
}

Status StoreImpl::Begin(unsigned flags, MDB_txn** txn, std::shared_lock<std::shared_mutex>* lock) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    *lock = std::shared_lock<std::shared_mutex>(resize_mu);
    if (!unusable.empty()) {
      lock->unlock();
      return Status::IOError(unusable);
    }
    int rc = mdb_txn_begin(env, nullptr, flags, txn);
    if (rc == MDB_SUCCESS) return Status::OK();
    lock->unlock();
    if (rc != MDB_MAP_RESIZED) return StoreIoStatus(rc, dir, "beginning a transaction on the store");
    // Another process grew the map: adopt its size with no transaction open.
    std::unique_lock<std::shared_mutex> excl(resize_mu);
    rc = mdb_env_set_mapsize(env, 0);
    if (rc != MDB_SUCCESS) return MarkUnusable(StoreIoStatus(rc, dir, "adopting the map size grown by another process"));
  }
  return Status::Busy("the map kept being resized by other processes");
}

Status StoreImpl::Grow() {
  std::unique_lock<std::shared_mutex> excl(resize_mu);
  MDB_envinfo info;
  int rc = mdb_env_info(env, &info);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "reading the map size");
  uint64_t cur = info.me_mapsize;
  uint64_t step = cur < (uint64_t{4} << 30) ? cur : (uint64_t{4} << 30);
  rc = mdb_env_set_mapsize(env, cur + step);
  if (rc != MDB_SUCCESS)
    return MarkUnusable(StoreIoStatus(rc, dir, "growing the store's map from " + std::to_string(cur) + " to " +
                                                   std::to_string(cur + step) + " bytes"));
  return Status::OK();
}

Status StoreImpl::MarkUnusable(const Status& why) {
  // LMDB unmaps the file before mapping it at the new size; when the new
  // mapping fails the environment has no map, and any transaction on it
  // would crash. Refuse every later one with the cause.
  unusable = why.message() + "; the store was not changed, and must be reopened";
  return Status::IOError(unusable);
}

void StoreImpl::StartFlusher() {
  flusher = std::thread([this] {
    std::unique_lock<std::mutex> g(flush_mu);
    while (!stopping) {
      flush_cv.wait_for(g, std::chrono::milliseconds(options.flush_interval_ms));
      if (stopping) break;
      g.unlock();
      mdb_env_sync(env, 1);
      g.lock();
    }
  });
}

Store::Store() : impl_(std::make_unique<StoreImpl>()) {}
Store::~Store() = default;

const std::string& Store::dir() const { return impl_->dir; }
const StoreOptions& Store::options() const { return impl_->options; }
int64_t Store::NowUs() const { return impl_->options.clock_us ? impl_->options.clock_us() : SystemNowUs(); }

namespace {
// Removes what a failed creation made: the files that were not there before
// and the directory when this call created it. Errors are ignored: the
// creation's own error is what the caller reports.
void RemoveCreated(const std::string& dir, bool made_dir, bool had_data, bool had_lock) {
  std::error_code ec;
  if (!had_data) fs::remove(fs::path(dir) / "data.mdb", ec);
  if (!had_lock) fs::remove(fs::path(dir) / "lock.mdb", ec);
  if (made_dir) fs::remove(dir, ec);  // only when empty
}

// A Corruption status from LMDB while opening names the store and recovery.
Status OpenStatus(const Status& s, const std::string& dir) {
  return s.IsCorruption() ? UnreadableStore(dir, s.message()) : s;
}
}  // namespace

// The checks made before LMDB maps the file: the meta pages
// (InspectStoreFiles), then the page walk (LMDB follows pages without bounds
// checks, from the open's table look-ups on: every page of a file up to
// 128 MiB, else the meta pages and the table list; issue 11, item 12).
// Other processes may commit while the file is read with plain reads, and a
// meta page or tree read half before and half after their commit looks
// damaged: only damage seen on every attempt is reported.
static Status CheckStoreFiles(const std::string& dir, bool exists, StoreFiles* files) {
  constexpr int kAttempts = 8;
  Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2 * attempt));
    *files = StoreFiles::kNone;
    if (!exists) return Status::OK();
    last = InspectStoreFiles(dir, files);
    if (last.ok() && *files != StoreFiles::kNone) {
      last = page_walk::Check(dir, page_walk::Scope::kOnOpen);
      if (last.IsCorruption()) last = UnreadableStore(dir, last.message());
    }
    if (!last.IsCorruption()) return last;
  }
  return last;
}

Status Store::Open(const std::string& dir, const StoreOptions& options, std::unique_ptr<Store>* out) {
  if (!out) return Status::InvalidArgument("Store::Open: out is null");
  out->reset();
  if (dir.empty()) return Status::InvalidArgument("store directory is empty");
  std::error_code ec;
  bool exists = fs::exists(dir, ec);
  if (exists && !fs::is_directory(dir, ec)) return Status::InvalidArgument("'" + dir + "' is not a directory");
  // A data.mdb that cannot be read is reported as such and never
  // initialised over: it may hold the only copy of the data.
  StoreFiles files = StoreFiles::kNone;
  ANNODB_RETURN_IF_ERROR(CheckStoreFiles(dir, exists, &files));
  bool creating = files == StoreFiles::kNone;
  if (creating && !options.create_if_missing)
    return Status::NotFound("no store at '" + dir + "' (create it with `annodb init`)");
  bool had_data = exists && fs::exists(fs::path(dir) / "data.mdb", ec);
  bool had_lock = exists && fs::exists(fs::path(dir) / "lock.mdb", ec);
  if (!exists) {
    // Another process may create it at the same moment: only an error counts.
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create '" + dir + "': " + ec.message());
  }
  Status s = creating ? CheckSpaceToCreate(dir) : Status::OK();
  if (s.ok()) s = OpenEnv(dir, options, out);
  if (!s.ok()) {
    out->reset();  // closes the environment before its files are removed
    if (creating) RemoveCreated(dir, !exists, had_data, had_lock);
  }
  return s;
}

Status Store::OpenEnv(const std::string& dir, const StoreOptions& options, std::unique_ptr<Store>* out) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return Status::IOError("cannot stat '" + dir + "': " + std::strerror(errno));
  std::unique_ptr<Store> store(new Store());
  StoreImpl& s = *store->impl_;
  {
    std::lock_guard<std::mutex> g(g_registry_mu);
    if (!g_open_stores.insert({st.st_dev, st.st_ino}).second)
      return Status::Busy("store '" + dir + "' is already open in this process; share that Store");
    s.registry_key_dev = st.st_dev;
    s.registry_key_ino = st.st_ino;
  }
  s.dir = dir;
  s.options = options;
  if (s.options.flush_interval_ms == 0) s.options.flush_interval_ms = 1000;

  int rc = mdb_env_create(&s.env);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "creating the LMDB environment");
  unsigned max_readers = options.max_readers ? options.max_readers : 256;
  mdb_env_set_maxdbs(s.env, 64);
  mdb_env_set_maxreaders(s.env, max_readers);
  uint64_t map = options.initial_map_bytes < kMinMapBytes ? kMinMapBytes : options.initial_map_bytes;
  mdb_env_set_mapsize(s.env, map);
  unsigned flags = MDB_NOTLS;
  if (options.durability == Durability::kLastCommitMayDrop) flags |= MDB_NOMETASYNC;
  if (options.durability == Durability::kProcessCrashSafe) flags |= MDB_NOSYNC;
  ANNODB_RETURN_IF_ERROR(PreallocateLockFile(dir, max_readers));
  rc = mdb_env_open(s.env, dir.c_str(), flags, 0644);
  if (rc != MDB_SUCCESS) {
    Status err = OpenStatus(StoreIoStatus(rc, dir, "opening the store"), dir);
    mdb_env_close(s.env);
    s.env = nullptr;
    return err;
  }
  // Clear reader slots left by processes that died holding a read transaction.
  int dead = 0;
  mdb_reader_check(s.env, &dead);
  // A map grown by another process is larger than ours: adopt it.
  rc = mdb_env_set_mapsize(s.env, 0);
  if (rc != MDB_SUCCESS) return StoreIoStatus(rc, dir, "mapping the store");

  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(s.env, nullptr, 0, &txn);
  // Another process may grow the map between our open and this transaction:
  // adopt its size (no transaction is open in this store yet) and retry.
  for (int attempt = 0; rc == MDB_MAP_RESIZED && attempt < 8; ++attempt) {
    rc = mdb_env_set_mapsize(s.env, 0);
    if (rc != MDB_SUCCESS) return StoreIoStatus(rc, dir, "mapping the store");
    rc = mdb_txn_begin(s.env, nullptr, 0, &txn);
  }
  if (rc != MDB_SUCCESS) return OpenStatus(StoreIoStatus(rc, dir, "beginning the open transaction"), dir);
  auto fail = [&](Status st2) {
    mdb_txn_abort(txn);
    return OpenStatus(st2, dir);
  };
  // A table name that leads to something that is not a table
  // (MDB_INCOMPATIBLE) means damaged pages.
  auto open_dbi = [&](const std::string& name, MDB_dbi* dbi) {
    int r = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, dbi);
    if (r == MDB_INCOMPATIBLE) return Status::Corruption("table " + name + " is not a table");
    return LmdbStatus(r, "opening table " + name);
  };
  Status st2 = open_dbi("meta", &s.meta);
  if (!st2.ok()) return fail(st2);
  uint64_t format = 0;
  st2 = ReadMetaU64(txn, s.meta, kMetaFormat, &format);
  if (!st2.ok()) return fail(st2);
  if (format == 0) {
    // Only an environment in which nothing was ever committed may become a
    // store; anything else holds data this build does not know.
    MDB_envinfo info;
    mdb_env_info(s.env, &info);
    if (info.me_last_txnid != 0)
      return fail(Status::Corruption("its LMDB data holds no annodb format marker"));
    if (!options.create_if_missing)
      return fail(Status::NotFound("'" + dir + "' is not an annodb store (create it with `annodb init`)"));
    st2 = WriteMetaU64(txn, s.meta, kMetaFormat, kFormatVersion);
    if (st2.ok()) st2 = WriteMetaU64(txn, s.meta, kMetaCreated, static_cast<uint64_t>(store->NowUs()));
    if (!st2.ok()) return fail(st2);
  } else if (format > kFormatVersion) {
    return fail(Status::Incompatible("store '" + dir + "' has format " + std::to_string(format) +
                                     ", newer than this annodb build reads (" + std::to_string(kFormatVersion) +
                                     "); upgrade annodb to open it"));
  } else if (format < kFormatVersion) {
    // No older format exists yet; a future format bump adds its migration here.
    return fail(Status::Incompatible("store '" + dir + "' has format " + std::to_string(format) +
                                     " and this build has no migration from it"));
  }
  st2 = open_dbi("snapshots", &s.snapshots);
  if (st2.ok()) st2 = open_dbi("changes", &s.changes);
  for (int k = 1; k < kRecordKindCount && st2.ok(); ++k) {
    std::string kn = RecordKindName(static_cast<RecordKind>(k));
    st2 = open_dbi("rec." + kn, &s.records[k]);
    if (st2.ok()) st2 = open_dbi("hist." + kn, &s.history[k]);
  }
  for (int i = 0; i < static_cast<int>(Index::kCount) && st2.ok(); ++i)
    st2 = open_dbi(IndexName(static_cast<Index>(i)), &s.indexes[i]);
  if (!st2.ok()) return fail(st2);
  rc = mdb_txn_commit(txn);
  if (rc != MDB_SUCCESS) return StoreIoStatus(rc, dir, "committing the open transaction");
  if (options.durability == Durability::kProcessCrashSafe) s.StartFlusher();
  *out = std::move(store);
  return Status::OK();
}

Status Store::Read(const std::function<Status(ReadTxn&)>& fn) {
  MDB_txn* txn = nullptr;
  std::shared_lock<std::shared_mutex> lock;
  ANNODB_RETURN_IF_ERROR(impl_->Begin(MDB_RDONLY, &txn, &lock));
  ReadTxn rt(this, txn);
  Status s;
  try {
    s = fn(rt);
  } catch (const std::bad_alloc&) {
    s = Status::IOError("out of memory");
  } catch (const std::exception& e) {
    s = ExceptionStatus("read", e);
  }
  mdb_txn_abort(txn);
  rt.txn_ = nullptr;
  return s;
}

Status Store::Write(const Actor& actor, const std::function<Status(WriteTxn&)>& fn, uint64_t* committed_sequence) {
  if (committed_sequence) *committed_sequence = 0;
  std::lock_guard<std::mutex> writer(impl_->write_mu);
  for (int attempt = 0; attempt < 64; ++attempt) {
    MDB_txn* txn = nullptr;
    std::shared_lock<std::shared_mutex> lock;
    ANNODB_RETURN_IF_ERROR(impl_->Begin(0, &txn, &lock));
    WriteTxn wt(this, txn, actor);
    Status s;
    try {
      s = fn(wt);
    } catch (const std::bad_alloc&) {
      s = Status::IOError("out of memory");
    } catch (const std::exception& e) {
      s = ExceptionStatus("write", e);
    }
    if (s.ok() && !wt.map_full_) s = wt.Finish();
    int rc = MDB_SUCCESS;
    if (s.ok() && !wt.map_full_) {
      rc = mdb_txn_commit(txn);
      wt.txn_ = nullptr;
      if (rc == MDB_SUCCESS) {
        if (committed_sequence) *committed_sequence = wt.n_.pending_seq;
        return Status::OK();
      }
      if (rc != MDB_MAP_FULL) return StoreIoStatus(rc, impl_->dir, "committing to the store");
    } else {
      mdb_txn_abort(txn);
      wt.txn_ = nullptr;
      if (!wt.map_full_) return s;
    }
    // The map is full: grow it with no transaction open, then run fn again.
    lock.unlock();
    ANNODB_RETURN_IF_ERROR(impl_->Grow());
  }
  return Status::IOError("the map could not be grown enough for this transaction");
}

Status Store::Sequence(uint64_t* out) {
  return Read([&](ReadTxn& t) {
    *out = t.sequence();
    return Status::OK();
  });
}

Status Store::Stats(StoreStats* out) {
  *out = StoreStats();
  Status s = Read([&](ReadTxn& t) {
    out->sequence = t.sequence();
    for (int k = 1; k < kRecordKindCount; ++k) {
      out->live[k] = t.LiveCount(static_cast<RecordKind>(k));
      MDB_stat ms;
      if (mdb_stat(t.raw(), impl_->history[k], &ms) == MDB_SUCCESS) out->versions[k] = ms.ms_entries;
    }
    MDB_stat ms;
    if (mdb_stat(t.raw(), impl_->snapshots, &ms) == MDB_SUCCESS) out->snapshots = ms.ms_entries;
    uint64_t format = 0;
    ANNODB_RETURN_IF_ERROR(ReadMetaU64(t.raw(), impl_->meta, kMetaFormat, &format));
    out->format_version = static_cast<uint32_t>(format);
    return Status::OK();
  });
  ANNODB_RETURN_IF_ERROR(s);
  MDB_envinfo info;
  if (mdb_env_info(impl_->env, &info) == MDB_SUCCESS) out->map_bytes = info.me_mapsize;
  std::error_code ec;
  auto size = fs::file_size(fs::path(impl_->dir) / "data.mdb", ec);
  if (!ec) out->file_bytes = size;
  return Status::OK();
}

Status Store::Sync() { return StoreIoStatus(mdb_env_sync(impl_->env, 1), impl_->dir, "syncing the store"); }

Status Store::Backup(const std::string& dest_dir) {
  if (dest_dir.empty()) return Status::InvalidArgument("backup destination is empty");
  // LMDB's copy follows every page without bounds checks: a damaged page
  // would crash it or copy garbage (issue 11, item 12).
  ANNODB_RETURN_IF_ERROR(page_walk::Check(impl_->dir, page_walk::Scope::kAll));
  std::error_code ec;
  bool made_dir = false;
  if (fs::exists(dest_dir, ec)) {
    if (!fs::is_directory(dest_dir, ec)) return Status::InvalidArgument("'" + dest_dir + "' is not a directory");
    if (!fs::is_empty(dest_dir, ec)) return Status::InvalidArgument("backup destination '" + dest_dir + "' is not empty");
  } else if (!fs::create_directories(dest_dir, ec)) {
    return Status::IOError("cannot create '" + dest_dir + "': " + ec.message());
  } else {
    made_dir = true;
  }
  // The copy is written under a temporary name and renamed to data.mdb only
  // once it is complete and on disk: a backup cut short (a crash, kill -9, a
  // full disk) leaves no data.mdb that could pass for a store.
  const std::string tmp = dest_dir + "/data.mdb.partial", final_path = dest_dir + "/data.mdb";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    if (made_dir) fs::remove(dest_dir, ec);
    return StoreIoStatus(err, dest_dir, "writing a backup of store '" + impl_->dir + "'");
  }
  int rc;
  {
    // mdb_env_copyfd2 runs its own read transaction; hold resize_mu shared so
    // the map is not resized under it.
    std::shared_lock<std::shared_mutex> lock(impl_->resize_mu);
    rc = impl_->unusable.empty() ? mdb_env_copyfd2(impl_->env, fd, MDB_CP_COMPACT) : EIO;
  }
  if (!impl_->unusable.empty()) {
    ::close(fd);
    ::unlink(tmp.c_str());
    if (made_dir) fs::remove(dest_dir, ec);
    return Status::IOError(impl_->unusable);
  }
  if (rc == MDB_SUCCESS && ::fsync(fd) != 0) rc = errno;
  if (::close(fd) != 0 && rc == MDB_SUCCESS) rc = errno;
  if (rc == MDB_SUCCESS && ::rename(tmp.c_str(), final_path.c_str()) != 0) rc = errno;
  if (rc != MDB_SUCCESS) {
    // A partial copy must not pass for a backup: remove what was written.
    ::unlink(tmp.c_str());
    if (made_dir) fs::remove(dest_dir, ec);
    return StoreIoStatus(rc, dest_dir, "writing a backup of store '" + impl_->dir + "'");
  }
  // The rename itself is durable once the directory is synced.
  int dfd = ::open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

}  // namespace annodb
