// NDJSON restore (docs/formats.md, "NDJSON export"): the input is an export
// file, restored (RestoreNdjson) into a store that lives for the whole run.
// The checks and the writes share one transaction, so the parser is only
// reachable through a restore; accepted inputs commit, and later inputs
// restore over them (the upsert paths). When a restore is accepted, the
// store is exported again and that export must restore too: whatever a
// restore accepts, the store can give back.
#include <cstddef>
#include <cstdint>
#include <sstream>

#include "annodb/ndjson.h"
#include "fuzz_util.h"
#include "test_util.h"

using namespace annodb;

namespace {
struct World {
  test::TempDir dir{"fuzz-restore"};
  std::unique_ptr<Store> store;
  std::string file = dir.sub("in.ndjson");
  int accepted = 0;
  World() { Reset(); }
  // A fresh store (every few hundred accepted inputs, so that the store and
  // the time per input stay small over a long run).
  void Reset() {
    store.reset();
    std::filesystem::remove_all(dir.sub("store"));
    StoreOptions o;
    o.durability = Durability::kProcessCrashSafe;
    store = test::OpenNew(dir.sub("store"), o);
    accepted = 0;
  }
  void Accepted() {
    if (++accepted >= 256) Reset();
  }
};
World& GetWorld() {
  static World w;
  return w;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = GetWorld();
  fuzz::WriteFile(w.file, data, size);
  RestoreReport r;
  Status s = RestoreNdjson(*w.store, w.file, &r);
  fuzz::CheckMessage(s, fuzz::AsText(data, size));
  if (!s.ok()) return 0;
  std::ostringstream out;
  ExportReport er;
  s = ExportNdjson(*w.store, ExportOptions{}, out, &er);
  if (!s.ok()) fuzz::Fail("export after an accepted restore: " + s.ToString());
  std::string again = out.str();
  fuzz::WriteFile(w.file, reinterpret_cast<const uint8_t*>(again.data()), again.size());
  s = RestoreNdjson(*w.store, w.file, &r);
  if (!s.ok()) fuzz::Fail("the store's own export does not restore: " + s.ToString() + "\n" + again);
  w.Accepted();
  return 0;
}
