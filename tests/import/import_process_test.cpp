// Imports across processes: two processes importing into one store at once,
// and a process killed with SIGKILL in the middle of an import (the rules
// for forking with LMDB are in process_util.h).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "import_helpers.h"
#include "process_util.h"

using namespace annodb;
using namespace annodb::test;

namespace {

// In a child: import `file` and send the report through `fd`.
int ChildImport(const std::string& store_dir, const std::string& file, size_t batch_rows, int fd) {
  StoreOptions so;
  so.initial_map_bytes = 1 << 20;  // both processes grow the map while the other writes
  std::unique_ptr<Store> store;
  if (!Store::Open(store_dir, so, &store).ok()) return 2;
  ImportOptions opt;
  opt.batch_rows = batch_rows;
  ImportReport rep;
  Status s = ImportJsonl(*store, "shared", file, Actor::Person("p" + std::to_string(::getpid())), opt, &rep);
  if (!s.ok()) {
    std::string m = s.ToString() + "\n";
    (void)!::write(2, m.data(), m.size());
    return 3;
  }
  if (::write(fd, &rep, sizeof rep) != static_cast<ssize_t>(sizeof rep)) return 4;
  return 0;
}

ImportReport ReadReport(int fd) {
  ImportReport rep;
  REQUIRE(::read(fd, &rep, sizeof rep) == static_cast<ssize_t>(sizeof rep));
  return rep;
}

}  // namespace

TEST_CASE("process: two processes import into the same store at once") {
  TempDir dir("proc-two");
  std::string store_dir = dir.sub("store");
  { OpenNew(store_dir); }  // create it, then close before forking
  // Overlapping inputs: rows 10000..19999 are in both files, identical.
  WriteRows(dir.sub("a.jsonl"), 0, 20000);
  WriteRows(dir.sub("b.jsonl"), 10000, 30000);
  int pa[2], pb[2];
  REQUIRE(::pipe(pa) == 0);
  REQUIRE(::pipe(pb) == 0);
  pid_t a = Spawn([&] { return ChildImport(store_dir, dir.sub("a.jsonl"), 500, pa[1]); });
  pid_t b = Spawn([&] { return ChildImport(store_dir, dir.sub("b.jsonl"), 700, pb[1]); });
  ::close(pa[1]);
  ::close(pb[1]);
  REQUIRE(WaitExit(a) == 0);
  REQUIRE(WaitExit(b) == 0);
  ImportReport ra = ReadReport(pa[0]), rb = ReadReport(pb[0]);
  ::close(pa[0]);
  ::close(pb[0]);
  CHECK(ra.lines == 20000);
  CHECK(rb.lines == 20000);
  // Whoever wrote a shared row first created it; the other found it unchanged.
  CHECK(ra.created + rb.created == 30000);
  CHECK(ra.unchanged + rb.unchanged == 10000);
  CHECK(ra.updated + rb.updated == 0);
  CHECK(ra.job_id != rb.job_id);

  auto store = OpenNew(store_dir);
  StoreStats st;
  REQUIRE(store->Stats(&st).ok());
  CHECK(st.live[static_cast<int>(RecordKind::Asset)] == 30000);
  CHECK(st.live[static_cast<int>(RecordKind::Dataset)] == 1);  // created once, found by the other
  CHECK(st.versions[static_cast<int>(RecordKind::Asset)] == 0);
  CHECK(ListExternalIds(*store, DatasetId(*store, "shared")).size() == 30000);
  // The last commit in the store is one of the two importers' last batches.
  CHECK(st.sequence == std::max(ra.last_sequence, rb.last_sequence));
  CHECK(ra.first_sequence != rb.first_sequence);
}

TEST_CASE("process: kill -9 during an import leaves a valid store and re-running completes it") {
  TempDir dir("proc-kill");
  std::string store_dir = dir.sub("store");
  { OpenNew(store_dir); }
  constexpr uint64_t kRows = 60000;
  constexpr size_t kBatch = 300;
  WriteRows(dir.sub("big.jsonl"), 0, kRows);
  int progress[2];
  REQUIRE(::pipe(progress) == 0);
  pid_t child = Spawn([&] {
    ::close(progress[0]);
    StoreOptions so;
    so.initial_map_bytes = 1 << 20;  // the map also grows while we kill
    std::unique_ptr<Store> store;
    if (!Store::Open(store_dir, so, &store).ok()) return 2;
    ImportOptions opt;
    opt.batch_rows = kBatch;
    opt.progress = [&](const ImportProgress& p) {
      if (p.phase != ImportProgress::Phase::kWriting) return;
      char c = 1;
      (void)!::write(progress[1], &c, 1);
      if (p.batches >= 4) ::usleep(2000);  // keep going, slowly enough to be killed mid-way
    };
    ImportJsonl(*store, "big", dir.sub("big.jsonl"), Importer(), opt, nullptr);
    return 0;
  });
  ::close(progress[1]);
  // Wait for four committed batches, then kill at an arbitrary point.
  for (int i = 0; i < 4; ++i) {
    char c;
    REQUIRE(::read(progress[0], &c, 1) == 1);
  }
  ::usleep(3000);
  REQUIRE(::kill(child, SIGKILL) == 0);
  CHECK(WaitExit(child) == 1000 + SIGKILL);
  ::close(progress[0]);

  auto store = OpenNew(store_dir);
  StoreStats st;
  REQUIRE(store->Stats(&st).ok());
  uint64_t live = st.live[static_cast<int>(RecordKind::Asset)];
  INFO("rows committed before the kill: " << live);
  CHECK(live >= 4 * kBatch);
  CHECK(live < kRows);
  CHECK(live % kBatch == 0);  // batches are atomic: all of one or none
  // Every record that is there reads back with a good checksum.
  uint64_t scanned = 0;
  REQUIRE(store->Read([&](ReadTxn& t) {
    return t.Scan(RecordKind::Asset, 1, [&](const RecordView& v) {
      ++scanned;
      return v.As<fb::Asset>()->external_id() != nullptr;
    });
  }).ok());
  CHECK(scanned == live);

  ImportOptions opt;
  opt.batch_rows = kBatch;
  ImportReport rep;
  REQUIRE(ImportJsonl(*store, "big", dir.sub("big.jsonl"), Importer(), opt, &rep).ok());
  CHECK(rep.unchanged == live);
  CHECK(rep.created == kRows - live);
  CHECK(rep.updated == 0);
  REQUIRE(store->Stats(&st).ok());
  CHECK(st.live[static_cast<int>(RecordKind::Asset)] == kRows);
  CHECK(st.live[static_cast<int>(RecordKind::Dataset)] == 1);
  std::vector<std::string> ids = ListExternalIds(*store, DatasetId(*store, "big"));  // each exactly once
  CHECK(ids.size() == kRows);
}
