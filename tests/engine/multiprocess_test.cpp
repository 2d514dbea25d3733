// Several processes writing one store at once, each growing the map: LMDB's
// single writer serialises them and every process adopts the others' growth
// (MDB_MAP_RESIZED). Children fork before any store is opened and open their
// own, as LMDB requires (never use an environment across fork()).
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "annodb/assets.h"
#include "annodb/verify.h"
#include "test_util.h"

using namespace annodb;

namespace {
// Child body: opens the store and writes `rows` assets in small transactions.
int WriterChild(const std::string& dir, int child, int rows) {
  StoreOptions o;
  o.create_if_missing = true;
  o.initial_map_bytes = 256 << 10;
  std::unique_ptr<Store> store;
  Status open = Store::Open(dir, o, &store);
  if (!open.ok()) {
    fprintf(stderr, "child %d: %s\n", child, open.ToString().c_str());
    return 2;
  }
  uint64_t ds = 0;
  Status st = store->Write(Actor::System(), [&](WriteTxn& t) {
    Status f = FindDataset(t, "shared", &ds);
    if (f.IsNotFound()) return CreateDataset(t, "shared", "", &ds);
    return f;
  });
  if (!st.ok()) return 3;
  for (int start = 0; start < rows; start += 50) {
    st = store->Write(Actor::Person("w" + std::to_string(child)), [&](WriteTxn& t) {
      for (int i = start; i < start + 50 && i < rows; ++i) {
        AssetInput in;
        in.external_id = "c" + std::to_string(child) + "-" + std::to_string(i);
        in.uri = "file:///x";
        in.text.assign(300, 'a' + child);
        ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, in, nullptr, nullptr));
      }
      return Status::OK();
    });
    if (!st.ok()) {
      fprintf(stderr, "child %d: %s\n", child, st.ToString().c_str());
      return 4;
    }
  }
  return 0;
}
}  // namespace

TEST_CASE("four processes write one store at once and grow its map") {
  test::TempDir dir("mp");
  const int kChildren = 4, kRows = 3000;
  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) _exit(WriterChild(dir.path(), c, kRows));
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open(dir.path(), StoreOptions{}, &store).ok());
  StoreStats stats;
  REQUIRE(store->Stats(&stats).ok());
  CHECK(stats.live[static_cast<int>(RecordKind::Asset)] == uint64_t{kChildren} * kRows);
  CHECK(stats.live[static_cast<int>(RecordKind::Dataset)] == 1);
  VerifyReport r;
  REQUIRE(VerifyStore(*store, &r).ok());
  INFO((r.problems.empty() ? "" : r.problems[0]));
  CHECK(r.ok());
  // Ids are unique and dense: every commit allocated under the one writer lock.
  REQUIRE(store->Read([&](ReadTxn& t) {
    uint64_t n = 0, max_id = 0;
    ANNODB_RETURN_IF_ERROR(t.Scan(RecordKind::Asset, 1, [&](const RecordView& v) {
      ++n;
      max_id = v.id();
      return true;
    }));
    CHECK(n == uint64_t{kChildren} * kRows);
    CHECK(max_id == n);
    return Status::OK();
  }).ok());
}

TEST_CASE("a process killed holding a read transaction does not block others") {
  test::TempDir dir("mp-reader");
  test::OpenNew(dir.path()).reset();
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::unique_ptr<Store> s;
    if (!Store::Open(dir.path(), StoreOptions{}, &s).ok()) _exit(2);
    s->Read([&](ReadTxn&) {
      char c = 'r';
      if (write(ready[1], &c, 1) != 1) _exit(3);
      pause();  // hold the reader slot until killed
      return Status::OK();
    });
    _exit(0);
  }
  char c;
  REQUIRE(read(ready[0], &c, 1) == 1);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  close(ready[0]);
  close(ready[1]);
  // Open clears the dead reader's slot (mdb_reader_check); writes proceed.
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open(dir.path(), StoreOptions{}, &store).ok());
  uint64_t ds;
  CHECK(store->Write(Actor::System(), [&](WriteTxn& t) { return CreateDataset(t, "after", "", &ds); }).ok());
}
