// Asset import lines (docs/formats.md): the input is a JSON Lines text; each
// line goes through what the importer's check pass does with it,
// ParseAssetJson then ValidateAsset. A line that passes is serialised
// (BuildAssetPayload), verified as a stored Asset FlatBuffer and decoded
// back, which must give the same asset.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/schema/asset_generated.h"
#include "annodb/verify.h"
#include "fuzz_util.h"

using namespace annodb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  AssetInput row;  // reused from line to line, as the importer does
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    Status s = ParseAssetJson(line, &row);
    if (s.ok()) s = ValidateAsset(row);
    fuzz::CheckMessage(s, line);
    if (!s.ok()) continue;
    flatbuffers::FlatBufferBuilder b;
    BuildAssetPayload(1, row, &b);
    if (!VerifyPayload(RecordKind::Asset, b.GetBufferPointer(), b.GetSize()))
      fuzz::Fail("a valid asset serialises to a payload that fails verification");
    AssetInput back = DecodeAsset(flatbuffers::GetRoot<fb::Asset>(b.GetBufferPointer()));
    if (back.external_id != row.external_id || back.uri != row.uri || back.metadata.size() != row.metadata.size())
      fuzz::Fail("a valid asset does not decode to itself");
  }
  return 0;
}
