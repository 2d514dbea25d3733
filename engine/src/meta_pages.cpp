// Reading and checking LMDB's meta pages from the file (see meta_pages.h).
#include "meta_pages.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace annodb {
namespace {

// LMDB 0.9 constants and offsets (mdb.c), 64-bit build.
constexpr uint32_t kMagic = 0xBEEFC0DE;
constexpr uint32_t kDataVersion = 1;
constexpr uint16_t kPageBranch = 0x01, kPageLeaf = 0x02, kPageMeta = 0x08;
constexpr uint16_t kIntegerKey = 0x08;  // the free-page table's flags
constexpr uint64_t kInvalidPage = ~uint64_t{0};
constexpr uint64_t kMaxMapBytes = uint64_t{1} << 47;
constexpr size_t kPageHeader = 16;      // pgno u64, pad u16, flags u16, lower u16, upper u16
constexpr size_t kDbSize = 48;          // MDB_db
constexpr size_t kMetaBytes = kPageHeader + 136;
// Within MDB_meta: magic u32, version u32, address u64, mapsize u64,
// dbs[2] (free, main), last_pg u64, txnid u64.
constexpr size_t kOffMagic = 0, kOffVersion = 4, kOffMapsize = 16, kOffDbs = 24, kOffLastPg = 120, kOffTxnid = 128;
// Within MDB_db: pad u32 (the page size, in the free table's), flags u16,
// depth u16, branch, leaf, overflow pages u64, entries u64, root u64.
constexpr size_t kDbPad = 0, kDbFlags = 4, kDbDepth = 6, kDbBranch = 8, kDbLeaf = 16, kDbOverflow = 24, kDbEntries = 32, kDbRoot = 40;
static_assert(kPageHeader + kOffTxnid == kMetaTxnidOffset);

template <typename T>
T Load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

class File {
 public:
  explicit File(int fd) : fd_(fd) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

Status ReadAt(int fd, uint64_t off, size_t n, std::vector<unsigned char>* buf, const std::string& path) {
  buf->assign(n, 0);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf->data() + got, n - got, static_cast<off_t>(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::IOError("reading '" + path + "': " + std::strerror(errno));
    if (r == 0) return Status::Corruption("'" + path + "' ends inside page data at byte " + std::to_string(off + got));
    got += static_cast<size_t>(r);
  }
  return Status::OK();
}

bool ValidPageSize(uint32_t ps) { return ps >= 256 && ps <= 65536 && (ps & (ps - 1)) == 0; }

// The header checks LMDB itself makes (a failure makes mdb_env_open refuse).
std::string CheckHeader(const unsigned char* p, int index) {
  if (Load<uint64_t>(p) != static_cast<uint64_t>(index))
    return "page number " + std::to_string(Load<uint64_t>(p)) + " instead of " + std::to_string(index);
  if ((Load<uint16_t>(p + 10) & kPageMeta) == 0) return "not flagged as a meta page";
  const unsigned char* m = p + kPageHeader;
  if (Load<uint32_t>(m + kOffMagic) != kMagic) return "bad magic number";
  if (Load<uint32_t>(m + kOffVersion) != kDataVersion)
    return "LMDB data version " + std::to_string(Load<uint32_t>(m + kOffVersion)) + " instead of 1";
  return "";
}

// The checks of one table's description (MDB_db) against the file.
std::string CheckDb(int fd, const unsigned char* db, const char* name, const MetaPage& mp, const std::string& path) {
  uint64_t root = Load<uint64_t>(db + kDbRoot);
  uint16_t depth = Load<uint16_t>(db + kDbDepth);
  uint64_t pages = Load<uint64_t>(db + kDbBranch) + Load<uint64_t>(db + kDbLeaf) + Load<uint64_t>(db + kDbOverflow);
  std::string t = std::string(name) + " table: ";
  if (root == kInvalidPage) {
    if (depth != 0 || pages != 0) return t + "empty, but depth " + std::to_string(depth) + " and " + std::to_string(pages) + " pages";
    return "";
  }
  if (root < 2 || root > mp.last_page)
    return t + "root page " + std::to_string(root) + " outside pages 2.." + std::to_string(mp.last_page);
  if (depth == 0 || depth > 64) return t + "depth " + std::to_string(depth);
  if (pages == 0 || pages > mp.last_page + 1) return t + std::to_string(pages) + " pages in a file of " + std::to_string(mp.last_page + 1);
  std::vector<unsigned char> hdr;
  if (!ReadAt(fd, root * mp.page_size, kPageHeader, &hdr, path).ok()) return t + "root page unreadable";
  uint64_t pgno = Load<uint64_t>(hdr.data());
  uint16_t flags = Load<uint16_t>(hdr.data() + 10);
  uint16_t lower = Load<uint16_t>(hdr.data() + 12), upper = Load<uint16_t>(hdr.data() + 14);
  if (pgno != root) return t + "root page " + std::to_string(root) + " says it is page " + std::to_string(pgno);
  uint16_t want = depth == 1 ? kPageLeaf : kPageBranch;
  if ((flags & (kPageBranch | kPageLeaf)) != want)
    return t + "root page " + std::to_string(root) + " is not a " + (depth == 1 ? "leaf" : "branch") + " page";
  if (lower < kPageHeader || lower > upper || upper > mp.page_size)
    return t + "root page " + std::to_string(root) + " has bounds " + std::to_string(lower) + ".." + std::to_string(upper);
  // A leaf root holds every entry: one 2-byte slot each.
  uint64_t entries = Load<uint64_t>(db + kDbEntries);
  if (depth == 1 && (lower - kPageHeader) / 2 != entries)
    return t + std::to_string(entries) + " entries, but its root page holds " + std::to_string((lower - kPageHeader) / 2);
  return "";
}

// The full check of one page, given the page size and file size.
void CheckPage(int fd, const unsigned char* p, int index, uint64_t file_bytes, const std::string& path, MetaPage* mp) {
  mp->problem = CheckHeader(p, index);
  mp->header_bad = !mp->problem.empty();
  const unsigned char* m = p + kPageHeader;
  mp->txnid = Load<uint64_t>(m + kOffTxnid);
  mp->page_size = Load<uint32_t>(m + kOffDbs + kDbPad);
  mp->last_page = Load<uint64_t>(m + kOffLastPg);
  mp->map_bytes = Load<uint64_t>(m + kOffMapsize);
  if (!mp->problem.empty()) return;
  const unsigned char* free_db = m + kOffDbs;
  const unsigned char* main_db = m + kOffDbs + kDbSize;
  if (!ValidPageSize(mp->page_size)) {
    mp->problem = "page size " + std::to_string(mp->page_size);
  } else if (mp->last_page < 1 || (mp->last_page + 1) > file_bytes / mp->page_size) {
    mp->problem = "last page " + std::to_string(mp->last_page) + " outside a file of " +
                  std::to_string(file_bytes / mp->page_size) + " pages";
  } else if (mp->map_bytes < (mp->last_page + 1) * mp->page_size || mp->map_bytes > kMaxMapBytes) {
    // Past 2^47 bytes (x86-64's and arm64's user address space) LMDB's
    // mmap can only fail.
    mp->problem = "map size " + std::to_string(mp->map_bytes) + " outside " +
                  std::to_string((mp->last_page + 1) * mp->page_size) + ".." + std::to_string(kMaxMapBytes);
  } else if (Load<uint16_t>(free_db + kDbFlags) != kIntegerKey) {
    mp->problem = "free-page table flags " + std::to_string(Load<uint16_t>(free_db + kDbFlags));
  } else if (Load<uint16_t>(main_db + kDbFlags) != 0) {
    // annodb opens the main table with no flags.
    mp->problem = "main table flags " + std::to_string(Load<uint16_t>(main_db + kDbFlags));
  } else if (std::string e = CheckDb(fd, free_db, "free-page", *mp, path); !e.empty()) {
    mp->problem = e;
  } else if (std::string e2 = CheckDb(fd, main_db, "main", *mp, path); !e2.empty()) {
    mp->problem = e2;
  }
}

}  // namespace

Status ReadMetaPages(const std::string& data_path, MetaPages* out, bool* empty) {
  *out = MetaPages();
  *empty = false;
  File f(::open(data_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd() < 0) return Status::IOError("cannot open '" + data_path + "': " + std::strerror(errno));
  struct stat st;
  if (::fstat(f.fd(), &st) != 0) return Status::IOError("cannot stat '" + data_path + "': " + std::strerror(errno));
  out->file_bytes = static_cast<uint64_t>(st.st_size);
  if (out->file_bytes == 0) {
    *empty = true;
    return Status::OK();
  }
  std::vector<unsigned char> p0;
  if (out->file_bytes < kMetaBytes)
    return Status::Corruption("'" + data_path + "' is " + std::to_string(out->file_bytes) +
                              " bytes, shorter than an LMDB meta page");
  ANNODB_RETURN_IF_ERROR(ReadAt(f.fd(), 0, kMetaBytes, &p0, data_path));
  // LMDB locates page 1 with page 0's page size; fall back to the OS's.
  uint32_t ps = Load<uint32_t>(p0.data() + kPageHeader + kOffDbs + kDbPad);
  if (!ValidPageSize(ps)) ps = static_cast<uint32_t>(::sysconf(_SC_PAGESIZE));
  out->page_size = ps;
  if (out->file_bytes < uint64_t{ps} + kMetaBytes)
    return Status::Corruption("'" + data_path + "' is " + std::to_string(out->file_bytes) +
                              " bytes, shorter than LMDB's two meta pages");
  std::vector<unsigned char> p1;
  ANNODB_RETURN_IF_ERROR(ReadAt(f.fd(), ps, kMetaBytes, &p1, data_path));
  out->fresh = Load<uint64_t>(p0.data() + kMetaTxnidOffset) == 0 && Load<uint64_t>(p1.data() + kMetaTxnidOffset) == 0;
  if (out->fresh) {
    // LMDB's initial pages: no table has a root yet.
    for (int i = 0; i < 2; ++i) {
      out->page[i].problem = CheckHeader(i == 0 ? p0.data() : p1.data(), i);
      out->page[i].header_bad = !out->page[i].problem.empty();
      out->page[i].page_size = ps;
    }
    return Status::OK();
  }
  CheckPage(f.fd(), p0.data(), 0, out->file_bytes, data_path, &out->page[0]);
  CheckPage(f.fd(), p1.data(), 1, out->file_bytes, data_path, &out->page[1]);
  out->current = out->page[1].txnid > out->page[0].txnid ? 1 : 0;
  for (int i = 0; i < 2; ++i) {
    MetaPage& mp = out->page[i];
    if (!mp.problem.empty()) continue;
    if (mp.txnid % 2 != static_cast<uint64_t>(i))
      mp.problem = "transaction id " + std::to_string(mp.txnid) + " on the page of the other parity";
    else if (mp.page_size != ps)
      mp.problem = "page size " + std::to_string(mp.page_size) + " differs from page 0's " + std::to_string(ps);
  }
  uint64_t hi = out->page[out->current].txnid, lo = out->page[out->previous()].txnid;
  if (hi - lo != 1 && out->page[out->current].problem.empty())
    out->page[out->current].problem = "transaction id " + std::to_string(hi) + " is not one after the other page's " +
                                      std::to_string(lo);
  return Status::OK();
}

Status DemoteMetaPage(const std::string& data_path, const MetaPages& pages, int src_page) {
  int dst = 1 - src_page;
  uint64_t txnid = pages.page[src_page].txnid;
  if (txnid == 0) return Status::InvalidArgument("the previous meta page holds no commit");
  File f(::open(data_path.c_str(), O_RDWR | O_CLOEXEC));
  if (f.fd() < 0) return Status::IOError("cannot open '" + data_path + "': " + std::strerror(errno));
  std::vector<unsigned char> page;
  ANNODB_RETURN_IF_ERROR(ReadAt(f.fd(), uint64_t{pages.page_size} * src_page, pages.page_size, &page, data_path));
  uint64_t pgno = static_cast<uint64_t>(dst), demoted = txnid - 1;
  std::memcpy(page.data(), &pgno, sizeof pgno);
  std::memcpy(page.data() + kMetaTxnidOffset, &demoted, sizeof demoted);
  size_t done = 0;
  off_t off = static_cast<off_t>(uint64_t{pages.page_size} * dst);
  while (done < page.size()) {
    ssize_t w = ::pwrite(f.fd(), page.data() + done, page.size() - done, off + static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Status::IOError("writing '" + data_path + "': " + std::strerror(errno));
    done += static_cast<size_t>(w);
  }
  if (::fsync(f.fd()) != 0) return Status::IOError("syncing '" + data_path + "': " + std::strerror(errno));
  return Status::OK();
}

}  // namespace annodb
