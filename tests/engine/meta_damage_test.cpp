// A damaged newest LMDB meta page: opening says "cannot be read" (never "no
// store"), creation never writes over the file, and RecoverPreviousCommit
// brings back the previous commit. Also: what Store::Open leaves behind when
// it fails to create a store, and the lock file it preallocates.
#include <catch2/catch.hpp>
#include <lmdb.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "annodb/assets.h"
#include "annodb/recover.h"
#include "meta_pages.h"
#include "test_util.h"

using namespace annodb;
namespace fs = std::filesystem;

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void FlipByte(const std::string& path, uint64_t offset, unsigned char mask) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ static_cast<char>(mask));
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
  REQUIRE(f.good());
}

uint64_t Assets(Store& s) {
  StoreStats st;
  REQUIRE(s.Stats(&st).ok());
  return st.live[static_cast<int>(RecordKind::Asset)];
}

// A store with `first` assets in one commit and `second` more in the next:
// the newest meta page holds the second commit, the other the first.
void MakeStore(const std::string& dir, int first, int second) {
  auto store = test::OpenNew(dir);
  uint64_t ds = 0;
  REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) { return CreateDataset(t, "d", "", &ds); }).ok());
  int n = 0;
  for (int count : {first, second}) {
    REQUIRE(store->Write(Actor::System(), [&](WriteTxn& t) {
                   for (int i = 0; i < count; ++i) {
                     AssetInput in;
                     in.external_id = "a" + std::to_string(n++);
                     in.uri = "s3://b/" + in.external_id;
                     in.media_type = "image/png";
                     ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, in, nullptr, nullptr));
                   }
                   return Status::OK();
                 }).ok());
  }
}

// The byte offset of the newest meta page in dir's data.mdb.
uint64_t NewestMetaOffset(const std::string& dir) {
  MetaPages pages;
  bool empty = false;
  REQUIRE(ReadMetaPages(dir + "/data.mdb", &pages, &empty).ok());
  REQUIRE(!empty);
  REQUIRE(pages.page[0].problem.empty());
  REQUIRE(pages.page[1].problem.empty());
  return uint64_t{pages.page_size} * pages.current;
}

}  // namespace

TEST_CASE("meta pages of stores written by the linked LMDB pass the checks") {
  test::TempDir dir("meta-ok");
  MakeStore(dir.sub("s"), 5, 7);
  MetaPages pages;
  bool empty = false;
  REQUIRE(ReadMetaPages(dir.sub("s/data.mdb"), &pages, &empty).ok());
  CHECK(pages.page[0].problem == "");
  CHECK(pages.page[1].problem == "");
  CHECK(pages.page[pages.current].txnid == pages.page[pages.previous()].txnid + 1);
  std::unique_ptr<Store> s;
  REQUIRE(Store::Open(dir.sub("s"), StoreOptions(), &s).ok());
  CHECK(Assets(*s) == 12);
}

TEST_CASE("an LMDB file in which nothing was committed is no store, and may be created into") {
  // What an init interrupted between LMDB's creation of the file and the
  // first commit leaves.
  test::TempDir dir("meta-fresh");
  fs::create_directories(dir.path());
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_open(env, dir.path().c_str(), 0, 0644) == 0);
  mdb_env_close(env);
  REQUIRE(fs::file_size(dir.sub("data.mdb")) > 0);
  std::unique_ptr<Store> s;
  CHECK(Store::Open(dir.path(), StoreOptions(), &s).IsNotFound());
  StoreOptions create;
  create.create_if_missing = true;
  REQUIRE(Store::Open(dir.path(), create, &s).ok());
  CHECK(Assets(*s) == 0);
}

TEST_CASE("LMDB data without the annodb marker is refused, never initialised over") {
  test::TempDir dir("meta-foreign");
  fs::create_directories(dir.path());
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_open(env, dir.path().c_str(), 0, 0644) == 0);
  MDB_txn* txn = nullptr;
  MDB_dbi dbi;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
  MDB_val k{3, const_cast<char*>("key")}, v{5, const_cast<char*>("value")};
  REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
  std::string before = Slurp(dir.sub("data.mdb"));
  StoreOptions create;
  create.create_if_missing = true;
  std::unique_ptr<Store> s;
  Status st = Store::Open(dir.path(), create, &s);
  CHECK(st.IsCorruption());
  // Refused by the page walk (an annodb main table holds only named tables)
  // or, past it, by the missing format marker: either way as unreadable.
  INFO(st.ToString());
  CHECK((st.message().find("no annodb format marker") != std::string::npos ||
         st.message().find("cannot be read") != std::string::npos));
  CHECK(Slurp(dir.sub("data.mdb")) == before);
}

TEST_CASE("one damaged byte in the newest meta page: never 'no store', never overwritten, recoverable") {
  test::TempDir dir("meta-damage");
  std::string pristine = dir.sub("pristine");
  MakeStore(pristine, 5, 7);
  uint64_t meta = NewestMetaOffset(pristine);
  MetaPages good;
  bool empty = false;
  REQUIRE(ReadMetaPages(pristine + "/data.mdb", &good, &empty).ok());
  uint64_t previous_commit = good.page[good.previous()].txnid;
  // Every byte of the page header and the meta fields LMDB reads
  // (16 + 136 bytes), flipped whole.
  int refused = 0, opened = 0;
  for (uint64_t off = 0; off < 152; ++off) {
    std::string s = dir.sub("s");
    fs::remove_all(s);
    fs::create_directories(s);
    fs::copy_file(pristine + "/data.mdb", s + "/data.mdb");
    FlipByte(s + "/data.mdb", meta + off, 0xFF);
    std::string damaged = Slurp(s + "/data.mdb");
    INFO("byte " << off << " of the newest meta page");
    std::unique_ptr<Store> store;
    Status st = Store::Open(s, StoreOptions(), &store);
    CHECK(!st.IsNotFound());
    if (st.ok()) {
      // The byte was one LMDB does not rely on (an address, a count): the
      // store must be whole.
      ++opened;
      CHECK(Assets(*store) == 12);
      VerifyReport r;
      REQUIRE(VerifyStore(*store, &r).ok());
      CHECK(r.ok());
      continue;
    }
    ++refused;
    CHECK(st.IsCorruption());
    CHECK(st.message().find("cannot be read") != std::string::npos);
    CHECK(st.message().find("annodb recover") != std::string::npos);
    CHECK(st.message().find(s) != std::string::npos);
    // Creation refuses too and changes nothing.
    StoreOptions create;
    create.create_if_missing = true;
    CHECK(Store::Open(s, create, &store).IsCorruption());
    CHECK(Slurp(s + "/data.mdb") == damaged);
    // Recovery: the previous commit (5 assets), verified; the source intact.
    RecoverReport rep;
    std::string out = dir.sub("out");
    fs::remove_all(out);
    Status rs = RecoverPreviousCommit(s, out, &rep);
    REQUIRE(rs.ok());
    CHECK(rep.verify.ok());
    CHECK(rep.recovered_commit == previous_commit);
    CHECK(Slurp(s + "/data.mdb") == damaged);
    std::unique_ptr<Store> rec;
    REQUIRE(Store::Open(out, StoreOptions(), &rec).ok());
    CHECK(Assets(*rec) == 5);
    // The recovered copy takes new commits.
    REQUIRE(rec->Write(Actor::System(), [&](WriteTxn& t) {
                 uint64_t ds = 0;
                 return CreateDataset(t, "after", "", &ds);
               }).ok());
  }
  WARN(refused << " damaged bytes refused and recovered, " << opened << " harmless");
  CHECK(refused > 100);
}

TEST_CASE("recover refuses what it cannot do and leaves no output behind") {
  test::TempDir dir("recover-refuse");
  RecoverReport rep;
  CHECK(RecoverPreviousCommit(dir.sub("none"), dir.sub("out"), &rep).IsNotFound());
  MakeStore(dir.sub("s"), 3, 4);
  fs::create_directories(dir.sub("full"));
  std::ofstream(dir.sub("full/x")) << "x";
  CHECK(RecoverPreviousCommit(dir.sub("s"), dir.sub("full"), &rep).IsInvalidArgument());
  CHECK(RecoverPreviousCommit(dir.sub("s"), dir.sub("s"), &rep).IsInvalidArgument());
  // Both meta pages damaged: nothing to fall back to.
  std::string data = dir.sub("s/data.mdb");
  MetaPages pages;
  bool empty = false;
  REQUIRE(ReadMetaPages(data, &pages, &empty).ok());
  FlipByte(data, 16, 0xFF);                          // page 0's magic
  FlipByte(data, uint64_t{pages.page_size} + 16, 0xFF);  // page 1's magic
  Status s = RecoverPreviousCommit(dir.sub("s"), dir.sub("out"), &rep);
  CHECK(s.IsCorruption());
  CHECK(!fs::exists(dir.sub("out")));
}

TEST_CASE("a new store's lock file is allocated before LMDB maps it, at LMDB's own size") {
  test::TempDir dir("lockfile");
  StoreOptions o;
  o.max_readers = 300;
  {
    auto s = test::OpenNew(dir.path(), o);
  }
  // LMDB extends a smaller file with ftruncate (sparse: SIGBUS on a full
  // disk); ours must already be the size LMDB wants, with blocks behind it.
  struct stat st;
  REQUIRE(::stat(dir.sub("lock.mdb").c_str(), &st) == 0);
  CHECK(st.st_size == 300 * 64 + 128);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 >= static_cast<uint64_t>(st.st_size));
}
