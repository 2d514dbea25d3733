// The page walk (page_walk.h): LMDB's on-disk structures checked with bounds
// checks, read with pread.
//
// LMDB 0.9 file layout (64-bit little-endian host; offsets in bytes):
//
// Every page starts with a 16-byte header:
//   0  u64 pgno    the page's own number (offset / page size)
//   8  u16 pad     0 (key size only on LEAF2 pages, which annodb never makes)
//   10 u16 flags   P_BRANCH 0x01, P_LEAF 0x02, P_OVERFLOW 0x04, P_META 0x08
//   12 u16 lower   branch/leaf: end of the node-offset array (16 + 2 * keys)
//   14 u16 upper   branch/leaf: start of the node area; lower <= upper <= page size
//   12 u32 pages   overflow pages instead: the length of the run
// After the header of a branch or leaf page: u16 offsets of its nodes, in
// key order, each even and >= upper. The nodes fill [upper, page size)
// exactly, each rounded up to an even size.
//
// A node (8-byte header, then the key, then the data):
//   0 u16 lo, 2 u16 hi  leaf: data size (lo | hi << 16); branch: child page
//   4 u16 flags         leaf: F_BIGDATA 0x01 (data = u64 number of the first
//                       overflow page), F_SUBDATA 0x02 (data = an MDB_db);
//                       branch: bits 32-47 of the child page number
//   6 u16 ksize         key size
// A branch's node 0 key is not compared (LMDB treats it as "below all").
//
// Pages 0 and 1 are meta pages; the one with the larger txnid is current
// (transaction N writes page N % 2). After the page header:
//   16 u32 magic 0xBEEFC0DE, 20 u32 version 1, 24 u64 fixed-map address (0),
//   32 u64 map size, 40 MDB_db free table, 88 MDB_db main table,
//   136 u64 last page number, 144 u64 txnid.
// The free table's MDB_db pad is the page size, its flags the environment
// flags (MDB_INTEGERKEY 0x08 for annodb).
//
// MDB_db (48 bytes): 0 u32 pad, 4 u16 flags, 6 u16 depth, 8 u64 branch pages,
//   16 u64 leaf pages, 24 u64 overflow pages, 32 u64 entries, 40 u64 root
//   (~0 for an empty table).
//
// The main table's leaves hold the named tables: key = name, data = MDB_db
// (F_SUBDATA). The free table maps a txnid (u64 key, integer order) to the
// pages that transaction freed: u64 count, then the page numbers.
// Every page up to the last one is a meta page, in exactly one tree (or
// overflow run), or listed free exactly once.
#include "page_walk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

namespace annodb::page_walk {

static_assert(std::endian::native == std::endian::little, "the page walk reads LMDB's little-endian layout");
static_assert(sizeof(size_t) == 8, "the page walk reads LMDB's 64-bit layout");

namespace {

constexpr uint32_t kMagic = 0xBEEFC0DE;
constexpr uint32_t kDataVersion = 1;
constexpr uint64_t kInvalidPage = ~uint64_t{0};
constexpr size_t kHeader = 16;
constexpr size_t kNodeHeader = 8;
constexpr size_t kDbSize = 48;
constexpr size_t kMetaEnd = 152;  // header + MDB_meta
constexpr size_t kMaxKey = 511;   // LMDB's default MDB_MAXKEYSIZE
constexpr uint16_t kBranch = 0x01, kLeaf = 0x02, kOverflow = 0x04, kMetaFlag = 0x08;
constexpr uint16_t kBigData = 0x01, kSubData = 0x02;
constexpr uint16_t kIntegerKey = 0x08;
// A snapshot may name pages past the end of the file (allocated, then freed
// before they were written); more than this many is a damaged last page.
constexpr uint64_t kMaxUnwrittenPages = uint64_t{1} << 20;
constexpr int kAttempts = 5;

uint16_t U16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t U32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t U64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

struct Db {
  uint32_t pad = 0;
  uint16_t flags = 0, depth = 0;
  uint64_t branch = 0, leaf = 0, overflow = 0, entries = 0, root = kInvalidPage;
};
Db ReadDb(const uint8_t* p) {
  Db d;
  d.pad = U32(p);
  d.flags = U16(p + 4);
  d.depth = U16(p + 6);
  d.branch = U64(p + 8);
  d.leaf = U64(p + 16);
  d.overflow = U64(p + 24);
  d.entries = U64(p + 32);
  d.root = U64(p + 40);
  return d;
}

struct Meta {
  bool usable = false;  // LMDB would accept it (flags, magic, version)
  uint32_t psize = 0;
  uint64_t mapsize = 0, last_pg = 0, txnid = 0, address = 0;
  Db free_db, main_db;
};

// Which tree a page belongs to, for the rules of its leaves and messages.
enum class TreeKind { kMain, kNamed, kFree };

struct TreeCount {
  uint64_t branch = 0, leaf = 0, overflow = 0, entries = 0;
};

class Walker {
 public:
  Walker(int fd, uint64_t file_size, size_t max_problems, Report* r)
      : fd_(fd), file_size_(file_size), max_(max_problems), r_(r) {}

  // Reads and checks both meta pages; false when no walk is possible.
  bool Metas() {
    if (file_size_ == 0) {  // LMDB initialises an empty file as a new store
      Problem("data.mdb is empty");
      r_->meta_unusable = r_->lmdb_refuses = true;
      return false;
    }
    uint8_t buf[kMetaEnd];
    for (int i = 0; i < 2; ++i) {
      // Meta page 1 sits at meta page 0's page size, as LMDB reads it.
      uint64_t off = i == 0 ? 0 : metas_[0].psize;
      if (i == 1 && !PageSizeOk(metas_[0].psize)) {
        r_->meta_unusable = true;
        return false;
      }
      if (!ReadAt(buf, sizeof buf, off)) {
        Problem("meta page " + std::to_string(i) + " is missing: the file has only " + std::to_string(file_size_) + " bytes");
        r_->meta_unusable = true;
        return false;
      }
      metas_[i] = CheckMeta(i, buf);
    }
    if (!metas_[0].usable || !metas_[1].usable) {
      r_->meta_unusable = true;
      return false;
    }
    cur_ = metas_[0].txnid < metas_[1].txnid ? 1 : 0;
    const Meta& m = metas_[cur_];
    const Meta& old = metas_[1 - cur_];
    if (old.psize != m.psize)
      Problem("the meta pages disagree on the page size (" + std::to_string(metas_[0].psize) + " and " +
              std::to_string(metas_[1].psize) + ")");
    // Transaction N writes meta page N % 2, so the newest is the other one's
    // txnid + 1 (both 0 in a fresh file). A flip that raised the older page's
    // txnid would make LMDB open that older snapshot: data silently gone.
    if (m.txnid % 2 != static_cast<uint64_t>(cur_))
      Problem("meta page " + std::to_string(cur_) + " has txnid " + std::to_string(m.txnid) + ", which belongs on meta page " +
              std::to_string(m.txnid % 2));
    if (!(m.txnid == 0 && old.txnid == 0) && old.txnid + 1 != m.txnid)
      Problem("the meta pages' txnids " + std::to_string(metas_[0].txnid) + " and " + std::to_string(metas_[1].txnid) +
              " are not consecutive");
    psize_ = m.psize;
    last_pg_ = m.last_pg;
    r_->txnid = m.txnid;
    r_->pages = last_pg_ + 1;
    uint64_t file_pages = file_size_ / psize_;
    if (last_pg_ < 1 || last_pg_ >= file_pages + kMaxUnwrittenPages) {
      Problem("meta page " + std::to_string(cur_) + ": last page " + std::to_string(last_pg_) + " does not fit a file of " +
              std::to_string(file_pages) + " pages");
      return false;
    }
    if (m.mapsize / psize_ < last_pg_ + 1)
      Problem("meta page " + std::to_string(cur_) + ": map size " + std::to_string(m.mapsize) + " is smaller than its " +
              std::to_string(last_pg_ + 1) + " pages");
    seen_.assign(last_pg_ + 1, false);
    seen_[0] = seen_[1] = true;
    return r_->problems.empty();
  }

  void Run(Scope scope) {
    const Meta& m = metas_[cur_];
    std::vector<std::pair<std::string, Db>> named;
    WalkTree("the main table", TreeKind::kMain, m.main_db, &named);
    if (scope == Scope::kMainTable || !r_->problems.empty()) return;
    for (const auto& [name, db] : named) {
      ++r_->tables;
      WalkTree("table " + name, TreeKind::kNamed, db, nullptr);
    }
    WalkTree("the free-page table", TreeKind::kFree, m.free_db, nullptr);
    if (!r_->problems.empty()) return;
    uint64_t unseen = 0, first = 0;
    for (uint64_t p = 0; p <= last_pg_; ++p)
      if (!seen_[p] && unseen++ == 0) first = p;
    if (unseen)
      Problem(std::to_string(unseen) + " page" + (unseen == 1 ? " is" : "s are") + " in no table and not free (first: page " +
              std::to_string(first) + ")");
  }

 private:
  bool Full() const { return max_ && r_->problems.size() >= max_; }
  void Problem(std::string p) {
    if (!Full()) r_->problems.push_back(std::move(p));
  }

  bool ReadAt(uint8_t* buf, size_t n, uint64_t off) {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, buf + done, n - done, static_cast<off_t>(off + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  }

  static bool PageSizeOk(uint32_t ps) { return ps >= 512 && ps <= 32768 && std::has_single_bit(ps); }

  Meta CheckMeta(int i, const uint8_t* p) {
    Meta m;
    std::string what = "meta page " + std::to_string(i);
    uint16_t flags = U16(p + 10);
    if (flags != kMetaFlag) Problem(what + ": page flags are " + std::to_string(flags) + ", not a meta page's 8");
    if (U64(p) != static_cast<uint64_t>(i)) Problem(what + ": its header names page " + std::to_string(U64(p)));
    if (U16(p + 8) != 0 || U32(p + 12) != 0) Problem(what + ": header bytes 8-9 and 12-15 are not zero");
    uint32_t magic = U32(p + 16), version = U32(p + 20);
    if (magic != kMagic) Problem(what + ": magic is " + std::to_string(magic) + ", not LMDB's");
    if (version != kDataVersion) Problem(what + ": data version is " + std::to_string(version) + ", not 1");
    m.address = U64(p + 24);
    m.mapsize = U64(p + 32);
    m.free_db = ReadDb(p + 40);
    m.main_db = ReadDb(p + 88);
    m.last_pg = U64(p + 136);
    m.txnid = U64(p + 144);
    m.psize = m.free_db.pad;
    m.usable = (flags & kMetaFlag) && magic == kMagic && version == kDataVersion;
    if (!m.usable) r_->lmdb_refuses = true;
    if (!PageSizeOk(m.psize)) {
      Problem(what + ": page size " + std::to_string(m.psize) + " is not a power of two from 512 to 32768");
      m.usable = false;
    }
    if (m.address != 0) Problem(what + ": a fixed map address is set (annodb never uses one)");
    if (m.free_db.flags != kIntegerKey)
      Problem(what + ": environment flags are " + std::to_string(m.free_db.flags) + ", not 8");
    if (m.main_db.pad != 0 || m.main_db.flags != 0)
      Problem(what + ": the main table's record has flags " + std::to_string(m.main_db.flags) + " and pad " +
              std::to_string(m.main_db.pad) + " (annodb sets neither)");
    return m;
  }

  // Compares keys as LMDB does: bytes (memcmp, then length), or, for the
  // free table, as native u64 integers.
  static int Compare(TreeKind kind, std::string_view a, std::string_view b) {
    if (kind == TreeKind::kFree && a.size() == 8 && b.size() == 8) {
      uint64_t x = U64(reinterpret_cast<const uint8_t*>(a.data())), y = U64(reinterpret_cast<const uint8_t*>(b.data()));
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
  }

  // Claims `n` pages from `first` for one tree; false (with a problem) when
  // one is out of range or already claimed.
  bool Claim(const std::string& what, uint64_t first, uint64_t n, bool must_be_in_file) {
    if (first < 2 || n == 0 || first > last_pg_ || n - 1 > last_pg_ - first) {
      Problem(what + ": page " + std::to_string(first) + (n > 1 ? " (+" + std::to_string(n - 1) + ")" : std::string()) +
              " is outside pages 2-" + std::to_string(last_pg_));
      return false;
    }
    if (must_be_in_file && (first + n) > file_size_ / psize_) {
      Problem(what + ": page " + std::to_string(first + n - 1) + " is past the end of the file");
      return false;
    }
    for (uint64_t p = first; p < first + n; ++p) {
      if (seen_[p]) {
        Problem(what + ": page " + std::to_string(p) + " is used twice");
        return false;
      }
    }
    for (uint64_t p = first; p < first + n; ++p) seen_[p] = true;
    return true;
  }

  void WalkTree(const std::string& name, TreeKind kind, const Db& db, std::vector<std::pair<std::string, Db>>* named) {
    if (Full()) return;
    if (kind == TreeKind::kNamed && (db.pad != 0 || db.flags != 0))
      Problem(name + ": its record has flags " + std::to_string(db.flags) + " and pad " + std::to_string(db.pad) +
              " (annodb sets neither)");
    if (db.root == kInvalidPage) {
      if (db.depth || db.branch || db.leaf || db.overflow || db.entries)
        Problem(name + " has no root page but its record counts pages or entries");
      return;
    }
    if (db.depth == 0 || db.depth > 32) {
      Problem(name + ": depth " + std::to_string(db.depth) + " is impossible");
      return;
    }
    TreeCount c;
    bool ok = Page(name, kind, db, db.root, 1, std::nullopt, std::nullopt, &c, named);
    if (!ok || Full()) return;
    if (c.branch != db.branch || c.leaf != db.leaf || c.overflow != db.overflow || c.entries != db.entries)
      Problem(name + ": its record counts " + std::to_string(db.branch) + "/" + std::to_string(db.leaf) + "/" +
              std::to_string(db.overflow) + " branch/leaf/overflow pages and " + std::to_string(db.entries) +
              " entries; the tree has " + std::to_string(c.branch) + "/" + std::to_string(c.leaf) + "/" +
              std::to_string(c.overflow) + " and " + std::to_string(c.entries));
  }

  // Checks page `pgno` at `level` (root = 1) of a tree, its keys within
  // [lo, hi), then its children. False when the page is bad.
  // The keys bounding a subtree are views into its ancestors' page buffers,
  // which stay untouched while the subtree is walked (one buffer per level).
  bool Page(const std::string& tree, TreeKind kind, const Db& db, uint64_t pgno, unsigned level,
            std::optional<std::string_view> lo, std::optional<std::string_view> hi, TreeCount* c,
            std::vector<std::pair<std::string, Db>>* named) {
    if (Full()) return false;
    // The page's name, built only for a message.
    auto what = [&] { return tree + ", page " + std::to_string(pgno); };
    if (!Claim(tree, pgno, 1, true)) return false;
    ++r_->pages_read;
    if (levels_.size() <= level) levels_.resize(level + 1);
    std::vector<uint8_t>& buf = levels_[level];
    buf.resize(psize_);
    if (!ReadAt(buf.data(), psize_, pgno * psize_)) {
      Problem(what() + ": cannot be read");
      return false;
    }
    const uint8_t* p = buf.data();
    const uint16_t flags = U16(p + 10), lower = U16(p + 12), upper = U16(p + 14);
    bool bad = false;
    auto fail = [&](const std::string& why) {
      Problem(what() + ": " + why);
      bad = true;
    };
    if (U64(p) != pgno) fail("its header names page " + std::to_string(U64(p)));
    if (U16(p + 8) != 0) fail("header pad is " + std::to_string(U16(p + 8)) + ", not 0");
    const bool leaf = flags == kLeaf;
    if (flags != kLeaf && flags != kBranch) fail("page flags are " + std::to_string(flags) + ", not a branch's 1 or a leaf's 2");
    else if (leaf != (level == db.depth))
      fail(std::string("a ") + (leaf ? "leaf" : "branch") + " at level " + std::to_string(level) + " of a tree of depth " +
           std::to_string(db.depth));
    if (lower < kHeader + 2 || (lower - kHeader) % 2 != 0)
      fail("mp_lower " + std::to_string(lower) + " is not 16 plus a positive even number");
    if (upper > psize_ || upper % 2 != 0) fail("mp_upper " + std::to_string(upper) + " is odd or past the page end");
    if (lower > upper) fail("mp_lower " + std::to_string(lower) + " is above mp_upper " + std::to_string(upper));
    if (bad) return false;
    const size_t n = (lower - kHeader) / 2;
    if (leaf) ++c->leaf;
    else ++c->branch;

    // Nodes: each inside [upper, page end), even offset, sizes within the page.
    std::vector<std::string_view> keys(n);
    std::vector<uint64_t> children;
    if (!leaf) children.reserve(n);
    size_t used = 0;
    for (size_t i = 0; i < n; ++i) {
      auto node = [&] { return "node " + std::to_string(i); };
      const size_t off = U16(p + kHeader + 2 * i);
      if (off < upper || off % 2 != 0 || off + kNodeHeader > psize_) {
        fail(node() + " is at offset " + std::to_string(off) + ", outside the node area [" + std::to_string(upper) + ", " +
             std::to_string(psize_) + ") or odd");
        return false;
      }
      const uint8_t* nd = p + off;
      const size_t ksize = U16(nd + 6);
      const uint16_t nflags = U16(nd + 4);
      if (off + kNodeHeader + ksize > psize_) {
        fail(node() + ": key size " + std::to_string(ksize) + " runs past the page end");
        return false;
      }
      if (ksize > kMaxKey || (ksize == 0 && (leaf || i > 0))) {
        fail(node() + ": key size " + std::to_string(ksize) + " is impossible");
        return false;
      }
      keys[i] = std::string_view(reinterpret_cast<const char*>(nd + kNodeHeader), ksize);
      size_t size = kNodeHeader + ksize;
      if (!leaf) {
        children.push_back(U16(nd) | uint64_t{U16(nd + 2)} << 16 | uint64_t{nflags} << 32);
      } else {
        const uint64_t dsize = U16(nd) | uint64_t{U16(nd + 2)} << 16;
        const uint8_t* data = nd + kNodeHeader + ksize;
        if (nflags & ~(kBigData | kSubData) || (nflags & kBigData && nflags & kSubData)) {
          fail(node() + ": node flags " + std::to_string(nflags) + " are not ones annodb's tables use");
          return false;
        }
        if ((kind == TreeKind::kMain) != (nflags == kSubData)) {
          fail(node() + (kind == TreeKind::kMain ? ": the main table holds a plain value" : ": a table inside a table"));
          return false;
        }
        size_t dspace = nflags & kBigData ? 8 : dsize;
        if (off + kNodeHeader + ksize + dspace > psize_) {
          fail(node() + ": data size " + std::to_string(dsize) + " runs past the page end");
          return false;
        }
        size += dspace;
        if (nflags == kSubData) {
          if (dsize != kDbSize) {
            fail(node() + ": a table record of " + std::to_string(dsize) + " bytes, not 48");
            return false;
          }
          if (named) named->emplace_back(std::string(keys[i]), ReadDb(data));
        } else if (nflags & kBigData) {
          if (!Overflow(what() + ", " + node(), U64(data), dsize, c)) return false;
          if (kind == TreeKind::kFree && !FreeList(what() + ", " + node(), keys[i], nullptr, dsize, U64(data))) return false;
        } else if (kind == TreeKind::kFree && !FreeList(what() + ", " + node(), keys[i], data, dsize, 0)) {
          return false;
        }
        ++c->entries;
      }
      used += (size + 1) & ~size_t{1};
    }
    if (used != psize_ - upper) {
      fail("its nodes take " + std::to_string(used) + " bytes but mp_upper " + std::to_string(upper) + " leaves " +
           std::to_string(psize_ - upper));
      return false;
    }
    // Keys in strictly ascending order, inside the range the parent gave.
    const size_t first_key = leaf ? 0 : 1;
    for (size_t i = first_key; i < n; ++i) {
      if ((i > first_key && Compare(kind, keys[i - 1], keys[i]) >= 0) || (lo && Compare(kind, *lo, keys[i]) > 0) ||
          (hi && Compare(kind, keys[i], *hi) >= 0)) {
        fail("key " + std::to_string(i) + " is out of order");
        return false;
      }
    }
    if (leaf) return true;
    for (size_t i = 0; i < n && !Full(); ++i) {
      std::optional<std::string_view> clo = i == 0 ? lo : std::optional<std::string_view>(keys[i]);
      std::optional<std::string_view> chi = i + 1 < n ? std::optional<std::string_view>(keys[i + 1]) : hi;
      if (children[i] > last_pg_) {
        fail("child " + std::to_string(i) + " is page " + std::to_string(children[i]) + ", past the last page " +
             std::to_string(last_pg_));
        return false;
      }
      if (!Page(tree, kind, db, children[i], level + 1, clo, chi, c, named)) return false;
    }
    return true;
  }

  // An overflow run: in range, unclaimed, its header right for `dsize` bytes.
  bool Overflow(const std::string& what, uint64_t first, uint64_t dsize, TreeCount* c) {
    const uint64_t n = (kHeader - 1 + dsize) / psize_ + 1;
    if (!Claim(what + "'s overflow run", first, n, true)) return false;
    ++r_->pages_read;
    c->overflow += n;
    uint8_t h[kHeader];
    if (!ReadAt(h, sizeof h, first * psize_)) {
      Problem(what + ": overflow page " + std::to_string(first) + " cannot be read");
      return false;
    }
    const std::string page = what + ": overflow page " + std::to_string(first);
    if (U64(h) != first) Problem(page + ": its header names page " + std::to_string(U64(h)));
    else if (U16(h + 8) != 0) Problem(page + ": header pad is " + std::to_string(U16(h + 8)) + ", not 0");
    else if (U16(h + 10) != kOverflow) Problem(page + ": page flags are " + std::to_string(U16(h + 10)) + ", not an overflow page's 4");
    else if (U32(h + 12) != n) Problem(page + ": the run has " + std::to_string(U32(h + 12)) + " pages; " + std::to_string(dsize) + " bytes take " + std::to_string(n));
    else return true;
    return false;
  }

  // A free-table entry: txnid key, then u64 count and that many page
  // numbers, each claimed as free. The data is in the page (`data`) or in an
  // overflow run at page `ov`.
  bool FreeList(const std::string& what, std::string_view key, const uint8_t* data, uint64_t dsize, uint64_t ov) {
    if (key.size() != 8 || U64(reinterpret_cast<const uint8_t*>(key.data())) > r_->txnid) {
      Problem(what + ": free-table key is not a past txnid");
      return false;
    }
    std::vector<uint8_t> big;
    if (!data) {
      big.resize(dsize);
      if (!ReadAt(big.data(), dsize, ov * psize_ + kHeader)) {
        Problem(what + ": its overflow data cannot be read");
        return false;
      }
      data = big.data();
    }
    if (dsize < 8 || dsize % 8 != 0 || U64(data) != dsize / 8 - 1) {
      Problem(what + ": a free list of " + std::to_string(dsize) + " bytes does not match its count");
      return false;
    }
    for (uint64_t i = 1; i < dsize / 8; ++i)
      if (!Claim(what + " (free list)", U64(data + 8 * i), 1, false)) return false;
    return true;
  }

  int fd_;
  uint64_t file_size_;
  size_t max_;
  Report* r_;
  Meta metas_[2];
  int cur_ = 0;
  uint32_t psize_ = 0;
  uint64_t last_pg_ = 0;
  std::vector<bool> seen_;
  std::vector<std::vector<uint8_t>> levels_;  // a page buffer per tree level
};

// The newest txnid in the meta pages, 0 when they cannot be read.
uint64_t NewestTxnid(int fd) {
  uint8_t a[kMetaEnd], b[kMetaEnd];
  if (::pread(fd, a, sizeof a, 0) != static_cast<ssize_t>(sizeof a)) return 0;
  uint32_t ps = U32(a + 40);
  if (ps < 512 || ps > 32768) return 0;
  if (::pread(fd, b, sizeof b, ps) != static_cast<ssize_t>(sizeof b)) return 0;
  return std::max(U64(a + 144), U64(b + 144));
}

}  // namespace

Status Walk(const std::string& dir, Scope scope, size_t max_problems, Report* report) {
  if (!report) return Status::InvalidArgument("report is null");
  const std::string path = dir + "/data.mdb";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return Status::NotFound("no store at '" + dir + "' (create it with `annodb init`)");
  if (fd < 0) return Status::IOError("cannot open '" + path + "': " + std::strerror(errno));
  Status st;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    *report = Report();
    struct stat sb;
    if (::fstat(fd, &sb) != 0) {
      st = Status::IOError("cannot stat '" + path + "': " + std::strerror(errno));
      break;
    }
    const uint64_t size = static_cast<uint64_t>(sb.st_size);
    Scope effective = scope;
    if (scope == Scope::kOnOpen) effective = size <= kFullWalkOnOpenBytes ? Scope::kAll : Scope::kMainTable;
    Walker w(fd, size, max_problems, report);
    if (w.Metas()) w.Run(effective);
    // A writer in another process may have committed (and reused pages of
    // the snapshot being walked) meanwhile, or rewritten a meta page while
    // it was read: walk once more, and again while the snapshot changes.
    if (report->problems.empty() || (attempt > 0 && NewestTxnid(fd) == report->txnid)) break;
  }
  ::close(fd);
  return st;
}

Status Check(const std::string& dir, Scope scope) {
  Report r;
  ANNODB_RETURN_IF_ERROR(Walk(dir, scope, 3, &r));
  if (r.problems.empty() || (scope == Scope::kOnOpen && r.lmdb_refuses)) return Status::OK();
  std::string msg = "the store's file '" + dir + "/data.mdb' is damaged: " + r.problems[0];
  for (size_t i = 1; i < r.problems.size(); ++i) msg += "; " + r.problems[i];
  return Status::Corruption(msg + " (run `annodb verify` for the full list)");
}

}  // namespace annodb::page_walk
