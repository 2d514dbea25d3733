// Label Studio JSON exports: the input is the export file, imported whole
// (ImportLabelStudio) into a store that lives for the whole run. The parser
// is not reachable on its own (the import checks and writes in one
// transaction), so inputs that are accepted commit, and later inputs see
// their tasks, members and the ontology they inferred: re-import and
// ontology-extension paths get exercised too. The store does not fsync
// (kProcessCrashSafe) to keep the run fast.
#include <cstddef>
#include <cstdint>

#include "annodb/ls_import.h"
#include "fuzz_util.h"

using namespace annodb;

namespace {
fuzz::ScratchStore& GetWorld() {
  static fuzz::ScratchStore w("fuzz-ls", "export.json");
  return w;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ScratchStore& w = GetWorld();
  fuzz::WriteFile(w.file(), data, size);
  LsImportOptions o;
  o.project = "ls";
  o.dataset = "ls-tasks";
  // The first byte picks the optional keys, so both the defaults and the
  // named-key paths are covered.
  if (size > 0 && (data[0] & 1)) o.data_key = "image";
  if (size > 0 && (data[0] & 2)) o.external_id_key = "name";
  LsImportReport r;
  Status s = ImportLabelStudio(w.store(), w.file(), Actor::System("fuzz"), o, &r);
  fuzz::CheckMessage(s, fuzz::AsText(data, size));
  if (s.ok()) w.Accepted();
  return 0;
}
