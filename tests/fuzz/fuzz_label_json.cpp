// Label import lines and queue submit files (docs/formats.md): the input is a
// JSON Lines text; each line is parsed with its names resolved
// (ParseLabelJson, in a read transaction of a store made by the label
// tests' fixture) and, when it names the fixture's project and one of its
// assets, validated against the ontology and the asset (ValidateLabel, what
// PutLabel runs before writing). A write transaction per input would cut
// the speed by five, so nothing is written. The whole input also goes to
// ParseAnnotationsJson, the parser of `lease submit` files.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

#include "annodb/label_json.h"
#include "annodb/schema/asset_generated.h"
#include "fuzz_util.h"
#include "labels/fixture.h"

using namespace annodb;

namespace {
struct World {
  test::LabelFixture f;
  ProjectInfo project;
  std::map<uint64_t, AssetInput> assets;
  World() {
    Status s = f.store->Read([&](ReadTxn& t) {
      ANNODB_RETURN_IF_ERROR(GetProject(t, f.project, kCurrent, &project));
      for (uint64_t id : {f.img, f.doc}) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Asset, id, &v));
        assets[id] = DecodeAsset(v.As<fb::Asset>());
      }
      return Status::OK();
    });
    if (!s.ok()) fuzz::Fail("setup: " + s.ToString());
  }
};
World& GetWorld() {
  static World w;
  return w;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = GetWorld();
  std::string_view text = fuzz::AsText(data, size);

  std::vector<AnnotationInput> annotations;
  uint64_t time_spent = 0;
  fuzz::CheckMessage(ParseAnnotationsJson(text, &annotations, &time_spent), text);

  Status s = w.f.store->Read([&](ReadTxn& t) {
    std::string_view rest = text;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      LabelInput label;
      Status st = ParseLabelJson(t, line, &label);
      if (st.ok() && label.project_id == w.project.id && w.assets.count(label.asset_id))
        st = ValidateLabel(w.project, w.assets[label.asset_id], &label);
      fuzz::CheckMessage(st, line);
    }
    return Status::OK();
  });
  if (!s.ok()) fuzz::Fail("read transaction: " + s.ToString());
  return 0;
}
