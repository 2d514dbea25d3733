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

using namespace annodb;

namespace {
fuzz::ScratchStore& GetWorld() {
  static fuzz::ScratchStore w("fuzz-restore", "in.ndjson");
  return w;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ScratchStore& w = GetWorld();
  fuzz::WriteFile(w.file(), data, size);
  RestoreReport r;
  Status s = RestoreNdjson(w.store(), w.file(), &r);
  fuzz::CheckMessage(s, fuzz::AsText(data, size));
  if (!s.ok()) return 0;
  std::ostringstream out;
  ExportReport er;
  s = ExportNdjson(w.store(), ExportOptions{}, out, &er);
  if (!s.ok()) fuzz::Fail("export after an accepted restore: " + s.ToString());
  std::string again = out.str();
  fuzz::WriteFile(w.file(), reinterpret_cast<const uint8_t*>(again.data()), again.size());
  s = RestoreNdjson(w.store(), w.file(), &r);
  if (!s.ok()) fuzz::Fail("the store's own export does not restore: " + s.ToString() + "\n" + again);
  w.Accepted();
  return 0;
}
