// The page walk (issue 11, item 12): sound stores pass; a damaged page header
// or meta page is reported with its page number, and verify, export, backup
// and open refuse the store instead of letting LMDB's cursors read past a page.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "annodb/assets.h"
#include "annodb/ndjson.h"
#include "annodb/verify.h"
#include "page_walk.h"
#include "test_util.h"

using namespace annodb;

namespace {
constexpr size_t kPage = 4096;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
// Overwrites the file in place (no truncation: a store may have it mapped).
void WriteAll(const std::string& path, const std::string& bytes) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  if (!out) out.open(path, std::ios::binary | std::ios::out);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
uint16_t U16At(const std::string& b, size_t off) {
  uint16_t v;
  std::memcpy(&v, b.data() + off, 2);
  return v;
}

// A store with several pages per table, a few overflow records (long text),
// superseded versions and a deletion.
void Fill(Store& store, int n) {
  uint64_t ds = 0;
  REQUIRE(store.Write(Actor::System(), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
    for (int i = 0; i < n; ++i) {
      AssetInput in;
      in.external_id = "e" + std::to_string(i);
      in.uri = "file:///x/" + std::to_string(i);
      if (i % 50 == 0) in.text = std::string(9000, static_cast<char>('a' + i % 26));
      in.content_hash = HashBytes(&i, sizeof i);
      ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, in, nullptr, nullptr));
    }
    return Status::OK();
  }).ok());
  REQUIRE(store.Write(Actor::System(), [&](WriteTxn& t) {
    uint64_t id;
    ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, "e3", &id));
    ANNODB_RETURN_IF_ERROR(UpdateAssetMetadata(t, id, {{"k", MetaKind::kInt, "", 5, 0, false}}, {}, nullptr));
    ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, "e4", &id));
    return DeleteAsset(t, id);
  }).ok());
}

// A compacted copy of a filled store: every page past the metas is in use
// (no free pages), so every header byte matters.
std::string CompactStore(test::TempDir& dir, int n) {
  {
    auto store = test::OpenNew(dir.sub("live"));
    Fill(*store, n);
    REQUIRE(store->Backup(dir.sub("compact")).ok());
  }
  return dir.sub("compact");
}

VerifyReport Walk(const std::string& dir) {
  VerifyReport r;
  REQUIRE(VerifyStoreFile(dir, &r, 0).ok());
  return r;
}

bool Mentions(const VerifyReport& r, const std::string& needle) {
  for (const std::string& p : r.problems)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("the page walk passes on sound stores: fresh, filled, with free pages, compacted") {
  test::TempDir dir("walk-ok");
  {
    auto store = test::OpenNew(dir.sub("fresh"));
  }
  VerifyReport fresh = Walk(dir.sub("fresh"));
  INFO((fresh.problems.empty() ? "" : fresh.problems[0]));
  CHECK(fresh.ok());

  std::string compact = CompactStore(dir, 600);
  for (const std::string& d : {dir.sub("live"), compact}) {
    VerifyReport r = Walk(d);
    INFO(d << ": " << (r.problems.empty() ? "" : r.problems[0]));
    CHECK(r.ok());
    CHECK(r.pages_checked > 20);
    std::unique_ptr<Store> store;
    REQUIRE(Store::Open(d, StoreOptions{}, &store).ok());
    VerifyReport full;
    REQUIRE(VerifyStore(*store, &full).ok());
    CHECK(full.ok());
    CHECK(full.pages_checked == r.pages_checked);
    CHECK(full.records_checked == 601);
  }
}

TEST_CASE("a flipped mp_lower in a leaf is reported with its page and every reader refuses the store") {
  test::TempDir dir("walk-lower");
  std::string store_dir = CompactStore(dir, 300);
  std::string path = store_dir + "/data.mdb";
  const std::string good = ReadAll(path);
  // The leaf holding asset e123's record (its URI is in the page).
  size_t at = good.find("file:///x/123");
  REQUIRE(at != std::string::npos);
  size_t page = at / kPage;
  REQUIRE(U16At(good, page * kPage + 10) == 0x02);  // a leaf
  std::string bad = good;
  bad[page * kPage + 12] = static_cast<char>(bad[page * kPage + 12] ^ 0x40);
  const std::string where = "table rec.asset, page " + std::to_string(page) + ":";

  // Open refuses it (a small file: open walks every page).
  WriteAll(path, bad);
  VerifyReport r = Walk(store_dir);
  REQUIRE_FALSE(r.ok());
  INFO(r.problems[0]);
  CHECK(Mentions(r, where));
  std::unique_ptr<Store> store;
  Status os = Store::Open(store_dir, StoreOptions{}, &store);
  CHECK(os.IsCorruption());
  CHECK(os.message().find(where) != std::string::npos);

  // A page damaged under an open store: verify, export and backup walk the
  // pages again and stop before a cursor reads it.
  WriteAll(path, good);
  REQUIRE(Store::Open(store_dir, StoreOptions{}, &store).ok());
  WriteAll(path, bad);
  VerifyReport full;
  REQUIRE(VerifyStore(*store, &full).ok());
  CHECK_FALSE(full.ok());
  CHECK(full.records_checked == 0);  // no cursor was opened
  std::ostringstream out;
  ExportReport er;
  Status es = ExportNdjson(*store, ExportOptions{}, out, &er);
  CHECK(es.IsCorruption());
  CHECK(es.message().find(where) != std::string::npos);
  CHECK(out.str().empty());
  Status bs = store->Backup(dir.sub("bk"));
  CHECK(bs.IsCorruption());
  CHECK_FALSE(std::filesystem::exists(dir.sub("bk")));  // nothing made
  WriteAll(path, good);
}

TEST_CASE("a damaged main table or meta page makes open refuse the store") {
  test::TempDir dir("walk-main");
  std::string store_dir = CompactStore(dir, 100);
  std::string path = store_dir + "/data.mdb";
  const std::string good = ReadAll(path);
  // The newest meta page (compact copies use page 1) names the main root.
  uint64_t root;
  std::memcpy(&root, good.data() + kPage + 16 + 72 + 40, 8);
  REQUIRE(root >= 2);
  REQUIRE(root * kPage < good.size());

  SECTION("the main table's leaf") {
    std::string bad = good;
    bad[root * kPage + 14] = static_cast<char>(bad[root * kPage + 14] ^ 0x10);  // mp_upper
    WriteAll(path, bad);
  }
  SECTION("the older meta page's txnid raised above the newest") {
    std::string bad = good;
    bad[16 + 128 + 1] = static_cast<char>(bad[16 + 128 + 1] ^ 0x01);  // meta 0's txnid + 256
    WriteAll(path, bad);
    VerifyReport r = Walk(store_dir);
    CHECK(Mentions(r, "not consecutive"));
  }
  SECTION("the newest meta page's last page number") {
    std::string bad = good;
    bad[kPage + 16 + 120 + 3] = static_cast<char>(bad[kPage + 16 + 120 + 3] ^ 0x01);
    WriteAll(path, bad);
  }
  VerifyReport r = Walk(store_dir);
  CHECK_FALSE(r.ok());
  std::unique_ptr<Store> store;
  Status s = Store::Open(store_dir, StoreOptions{}, &store);
  INFO(s.ToString());
  CHECK(s.IsCorruption());
  // Found by the meta page checks ("cannot be read") or by the walk ("damaged").
  CHECK((s.message().find("damaged") != std::string::npos || s.message().find("cannot be read") != std::string::npos));
  CHECK(s.message().find("annodb recover") != std::string::npos);
}

TEST_CASE("every flip of every page header byte of a compacted store is found") {
  // In a compacted store every page is in use and every header byte has a
  // required value (page number, pad 0, flags, lower/upper or run length,
  // zero lower/upper on meta pages), so each flip must be reported.
  test::TempDir dir("walk-headers");
  std::string store_dir = CompactStore(dir, 300);
  std::string path = store_dir + "/data.mdb";
  const std::string good = ReadAll(path);
  const size_t pages = good.size() / kPage;
  REQUIRE(pages > 10);
  // The pages after the first of an overflow run have no header: their
  // bytes are the record's (its checksum covers them).
  std::vector<bool> continuation(pages, false);
  size_t runs = 0;
  for (size_t p = 2; p < pages; ++p) {
    if (continuation[p] || U16At(good, p * kPage + 10) != 0x04) continue;
    uint32_t n;
    std::memcpy(&n, good.data() + p * kPage + 12, 4);
    for (size_t q = p + 1; q < p + n && q < pages; ++q) continuation[q] = true;
    ++runs;
  }
  REQUIRE(runs >= 5);
  size_t flips = 0, found = 0;
  for (size_t p = 0; p < pages; ++p) {
    if (continuation[p]) continue;
    for (size_t b = 0; b < 16; ++b) {
      for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}}) {
        std::string bad = good;
        bad[p * kPage + b] = static_cast<char>(bad[p * kPage + b] ^ mask);
        WriteAll(path, bad);
        page_walk::Report r;
        REQUIRE(page_walk::Walk(store_dir, page_walk::Scope::kAll, 0, &r).ok());
        ++flips;
        if (!r.problems.empty()) ++found;
        else FAIL_CHECK("page " << p << " byte " << b << " mask " << int(mask) << " went unnoticed");
      }
    }
  }
  WriteAll(path, good);
  CHECK(Walk(store_dir).ok());
  CHECK(found == flips);
}

TEST_CASE("the page walk reports a missing store and an empty file") {
  test::TempDir dir("walk-missing");
  VerifyReport r;
  CHECK(VerifyStoreFile(dir.sub("none"), &r).IsNotFound());
  std::filesystem::create_directories(dir.sub("empty"));
  WriteAll(dir.sub("empty/data.mdb"), "");
  REQUIRE(VerifyStoreFile(dir.sub("empty"), &r).ok());
  CHECK(Mentions(r, "empty"));
  WriteAll(dir.sub("empty/data.mdb"), std::string(100, 'x'));
  REQUIRE(VerifyStoreFile(dir.sub("empty"), &r).ok());
  CHECK_FALSE(r.ok());
}
