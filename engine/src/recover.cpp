// Recovery of a store as of its previous commit (see annodb/recover.h).
#include "annodb/recover.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "annodb/store.h"
#include "meta_pages.h"
#include "store_files.h"

namespace annodb {
namespace fs = std::filesystem;

namespace {

Status SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return StoreIoStatus(errno, fs::path(path).parent_path().string(), "opening the copy");
  int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return StoreIoStatus(rc, fs::path(path).parent_path().string(), "syncing the copy");
}

// Copies data.mdb and rewinds the copy to the previous commit.
Status CopyAtPreviousCommit(const std::string& src, const std::string& out_dir, RecoverReport* report) {
  MetaPages pages;
  bool empty = false;
  ANNODB_RETURN_IF_ERROR(ReadMetaPages(src, &pages, &empty));
  if (empty || pages.fresh) return Status::InvalidArgument("'" + src + "' holds no commit to recover");
  const MetaPage& cur = pages.page[pages.current];
  const MetaPage& prev = pages.page[pages.previous()];
  report->damaged_commit = cur.txnid;
  report->damage = cur.problem;
  if (prev.txnid == 0) return Status::InvalidArgument("the store holds no commit before its newest one");
  if (!prev.problem.empty())
    return Status::Corruption("the previous commit (" + std::to_string(prev.txnid) + ") is damaged too: meta page " +
                              std::to_string(pages.previous()) + ": " + prev.problem);
  std::string copy = (fs::path(out_dir) / "data.mdb").string();
  std::error_code ec;
  fs::copy_file(src, copy, ec);
  if (ec) return StoreIoStatus(ec.value(), out_dir, "copying '" + src + "'");
  ANNODB_RETURN_IF_ERROR(SyncFile(copy));
  // Judge the copy, not the source: it is what gets changed.
  MetaPages copied;
  ANNODB_RETURN_IF_ERROR(ReadMetaPages(copy, &copied, &empty));
  if (copied.page[copied.previous()].txnid != prev.txnid)
    return Status::Corruption("'" + src + "' changed while it was being copied");
  ANNODB_RETURN_IF_ERROR(DemoteMetaPage(copy, copied, copied.previous()));
  report->recovered_commit = prev.txnid;
  return Status::OK();
}

Status OpenAndVerify(const std::string& out_dir, RecoverReport* report) {
  std::unique_ptr<Store> store;
  Status s = Store::Open(out_dir, StoreOptions(), &store);
  if (!s.ok()) return Status::Corruption("the previous commit cannot be opened either: " + s.message());
  ANNODB_RETURN_IF_ERROR(store->Sequence(&report->sequence));
  ANNODB_RETURN_IF_ERROR(VerifyStore(*store, &report->verify));
  if (!report->verify.ok())
    return Status::Corruption("the previous commit does not verify (" + std::to_string(report->verify.problems.size()) +
                              " problems; first: " + report->verify.problems.front() + ")");
  return Status::OK();
}

}  // namespace

Status RecoverPreviousCommit(const std::string& dir, const std::string& out_dir, RecoverReport* report) {
  *report = RecoverReport();
  if (dir.empty() || out_dir.empty()) return Status::InvalidArgument("recover needs a store and an output directory");
  std::string src = (fs::path(dir) / "data.mdb").string();
  std::error_code ec;
  if (!fs::exists(src, ec)) return Status::NotFound("no store at '" + dir + "' (no data.mdb)");
  bool made_dir = false;
  if (fs::exists(out_dir, ec)) {
    if (!fs::is_directory(out_dir, ec)) return Status::InvalidArgument("'" + out_dir + "' is not a directory");
    if (fs::equivalent(dir, out_dir, ec)) return Status::InvalidArgument("the output directory is the store itself");
    if (!fs::is_empty(out_dir, ec)) return Status::InvalidArgument("output directory '" + out_dir + "' is not empty");
  } else {
    fs::create_directories(out_dir, ec);
    if (ec) return Status::IOError("cannot create '" + out_dir + "': " + ec.message());
    made_dir = true;
  }
  Status s = CopyAtPreviousCommit(src, out_dir, report);
  if (s.ok()) s = OpenAndVerify(out_dir, report);
  if (!s.ok()) {
    // Leave nothing that could be taken for a recovered store.
    fs::remove(fs::path(out_dir) / "data.mdb", ec);
    fs::remove(fs::path(out_dir) / "lock.mdb", ec);
    if (made_dir) fs::remove(out_dir, ec);
  }
  return s;
}

}  // namespace annodb
