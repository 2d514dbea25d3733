// Issue 11, item 8: two imports into a dataset that does not exist yet both
// reported "dataset_created": true (the CLI looked before the import). The
// import now reports what its own write transaction did: exactly one of
// them created the dataset.
#include <catch2/catch.hpp>

#include <thread>

#include "import_helpers.h"

using namespace annodb;
using namespace annodb::test;

TEST_CASE("import: of two concurrent imports into a missing dataset, exactly one created it") {
  TempDir dir("created");
  auto store = OpenNew(dir.path());
  WriteRows(dir.sub("a.jsonl"), 0, 300, 0, "a-");
  WriteRows(dir.sub("b.jsonl"), 0, 300, 0, "b-");
  for (int round = 0; round < 5; ++round) {
    std::string dataset = "cams" + std::to_string(round);
    ImportReport ra, rb;
    Status sa, sb;
    ImportOptions opt;
    opt.batch_rows = 50;
    std::thread ta([&] { sa = ImportJsonl(*store, dataset, dir.sub("a.jsonl"), Importer(), opt, &ra); });
    std::thread tb([&] { sb = ImportJsonl(*store, dataset, dir.sub("b.jsonl"), Importer(), opt, &rb); });
    ta.join();
    tb.join();
    REQUIRE(sa.ok());
    REQUIRE(sb.ok());
    CHECK(ra.created == 300);
    CHECK(rb.created == 300);
    CHECK(int{ra.dataset_created} + int{rb.dataset_created} == 1);
  }
  // Into an existing dataset: not created.
  ImportReport again;
  REQUIRE(ImportJsonl(*store, "cams0", dir.sub("a.jsonl"), Importer(), {}, &again).ok());
  CHECK_FALSE(again.dataset_created);
  CHECK(again.unchanged == 300);
}
