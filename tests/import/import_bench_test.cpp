// Import throughput, measured on demand only (hidden tag; not a timed test):
//   test_import "[.benchmark]"
// Prints rows per second for 500k small rows like the example row:
// wall clock, and the CPU time of the importing thread (which does the
// checking pass and all writes; the helper thread's parsing overlaps it), a
// fair figure when other work shares the machine.
#include <time.h>

#include <chrono>
#include <cstdio>

#include "import_helpers.h"

using namespace annodb;
using namespace annodb::test;

namespace {
double Clock(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double Wall() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

TEST_CASE("bench: import 500k small rows", "[.benchmark]") {
  TempDir dir("bench-import");
  constexpr uint64_t kRows = 500000;
  std::filesystem::create_directories(dir.path());
  WriteRows(dir.sub("rows.jsonl"), 0, kRows);
  for (Durability d : {Durability::kFull, Durability::kProcessCrashSafe}) {
    std::filesystem::remove_all(dir.sub("store"));
    StoreOptions so;
    so.durability = d;
    so.initial_map_bytes = uint64_t{1} << 30;
    auto store = OpenNew(dir.sub("store"), so);
    for (const char* run : {"import", "re-import (unchanged)"}) {
      ImportReport rep;
      double w0 = Wall(), t0 = Clock(CLOCK_THREAD_CPUTIME_ID), p0 = Clock(CLOCK_PROCESS_CPUTIME_ID);
      REQUIRE(ImportJsonl(*store, "bench", dir.sub("rows.jsonl"), Importer(), {}, &rep).ok());
      double wall = Wall() - w0, thread = Clock(CLOCK_THREAD_CPUTIME_ID) - t0, proc = Clock(CLOCK_PROCESS_CPUTIME_ID) - p0;
      std::printf("durability %d, %s of %llu rows: wall %.2f s = %.0f rows/s; importing thread CPU %.2f s = %.0f rows/s; "
                  "process CPU %.2f s\n",
                  static_cast<int>(d), run, static_cast<unsigned long long>(kRows), wall, kRows / wall, thread,
                  kRows / thread, proc);
      CHECK(rep.created + rep.unchanged == kRows);
    }
  }
}
