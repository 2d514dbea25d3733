// Stored values: the code that reads a record's envelope and FlatBuffers
// from LMDB, fed arbitrary bytes.
//
// Input layout (so that the fuzzer need not forge XXH3 checksums):
//   [0] record kind  [1] flags  [2..3] provenance size (little-endian)
//   [4 .. 4+size) provenance FlatBuffer  [rest] payload FlatBuffer
// The target seals them into an envelope (envelope::Write, as a commit
// does) and runs the read path on it: envelope checks, RecordView (at an
// 8-byte and at a 2-byte aligned address, as LMDB may place a value), the
// FlatBuffers verifiers of the provenance and of the payload's kind
// (VerifyPayload, as `verify` does), and, for buffers that pass, the
// decoders and renderers that read every field (provenance, asset, label,
// consensus view). The raw input itself is also checked as an envelope:
// envelope::Valid and envelope::Check must agree.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "annodb/asset_json.h"
#include "annodb/label_json.h"
#include "annodb/schema/asset_generated.h"
#include "annodb/schema/label_generated.h"
#include "annodb/verify.h"
#include "consensus_views.h"
#include "envelope.h"
#include "fuzz_util.h"
#include "labels/fixture.h"

using namespace annodb;

namespace {

test::LabelFixture& Fixture() {
  static test::LabelFixture f;
  return f;
}

// A copy of `n` bytes at `offset` (0 or 2) past an 8-byte boundary.
struct Placed {
  std::vector<uint64_t> words;
  uint8_t* p = nullptr;
  Placed(const uint8_t* data, size_t n, size_t offset) : words((n + offset + 7) / 8 + 1) {
    p = reinterpret_cast<uint8_t*>(words.data()) + offset;
    if (n && data) std::memcpy(p, data, n);
  }
};

void ReadRecord(const uint8_t* env, size_t size) {
  if (!envelope::Valid(env, size)) fuzz::Fail("an envelope just written fails its check");
  RecordView v;
  v.Reset(42, env, size);
  const RecordKind kind = v.kind();
  (void)RecordKindName(kind);
  Placed payload(v.payload(), v.payload_size(), 0);
  if (kind == RecordKind::Consensus) {
    // DecodeView verifies its bytes itself.
    consensus_internal::AssetView view;
    std::string_view bytes(reinterpret_cast<const char*>(payload.p), v.payload_size());
    (void)consensus_internal::DecodeView(bytes, &view, nullptr);
  }
  uint32_t prov_size;
  std::memcpy(&prov_size, env + 12, 4);
  // The provenance starts at offset 40 of the view's (aligned) copy.
  Placed prov(env + envelope::kHeaderSize, prov_size, 0);
  flatbuffers::Verifier pv(prov.p, prov_size);
  // Readers decode a record only once both parts passed (as `verify`
  // checks them; the ordinary read path trusts the checksum instead).
  if (!fb::VerifyProvenanceBuffer(pv)) return;
  (void)v.DecodeProvenance();
  (void)ProvenanceToJson(v);
  if (!VerifyPayload(kind, payload.p, v.payload_size())) return;
  if (kind == RecordKind::Asset) {
    (void)DecodeAsset(v.As<fb::Asset>());
    (void)AssetToJson(v, "cams");
  } else if (kind == RecordKind::Label) {
    (void)DecodeLabel(v.As<fb::Label>());
    Status s = Fixture().store->Read([&](ReadTxn& t) {
      std::string json;
      return LabelToJson(t, v, &json);
    });
    fuzz::CheckMessage(s, {});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The raw bytes as a stored value: both checks must agree.
  {
    Placed raw(data, size, 0);
    bool valid = envelope::Valid(raw.p, size);
    Status s = envelope::Check(raw.p, size, "asset 1");
    if (valid != s.ok()) fuzz::Fail("envelope::Valid and envelope::Check disagree");
    if (valid) {
      RecordView v;
      v.Reset(1, raw.p, size);
    }
  }
  if (size < 4) return 0;
  envelope::Header h;
  h.kind = static_cast<RecordKind>(data[0]);
  h.flags = data[1];
  h.version = 1;
  h.sequence = 1;
  size_t prov_size = std::min<size_t>(data[2] | (size_t{data[3]} << 8), size - 4);
  const uint8_t* prov = data + 4;
  const uint8_t* payload = prov + prov_size;
  size_t payload_size = size - 4 - prov_size;
  size_t total = envelope::EncodedSize(prov_size, payload_size);
  for (size_t offset : {size_t{0}, size_t{2}}) {
    Placed env(nullptr, total, offset);
    envelope::Write(env.p, h, prov, prov_size, payload, payload_size);
    ReadRecord(env.p, total);
  }
  return 0;
}
