// Stored values with a correct checksum but a damaged payload (the fuzz_record
// findings, replayed from its corpus): verification refuses them and the
// renderers report a Corruption instead of crashing or leaking library text.
#include <catch2/catch.hpp>
#include <lmdb.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "annodb/keys.h"
#include "annodb/label_json.h"
#include "annodb/verify.h"
#include "envelope.h"
#include "labels/fixture.h"
#include "store_impl.h"

using namespace annodb;

namespace {

// A fuzz_record input (`[kind][flags][provenance size LE16][provenance][payload]`,
// see tests/fuzz/fuzz_record.cpp) sealed into an envelope, as a commit writes it.
struct Forged {
  RecordKind kind = RecordKind::Label;
  std::vector<uint64_t> payload;  // 8-byte aligned copy
  size_t payload_size = 0;
  std::vector<uint64_t> env;  // 8-byte aligned envelope
  size_t env_size = 0;

  explicit Forged(const std::string& corpus_file) {
    // Appended piece by piece: g++ 12 warns (-Warray-bounds, a false
    // positive) on a chain of operator+ here.
    std::string path = ANNODB_SOURCE_DIR;
    path += "/tests/fuzz/corpus/record/";
    path += corpus_file;
    std::ifstream in(path, std::ios::binary);
    std::string d((std::istreambuf_iterator<char>(in)), {});
    REQUIRE(d.size() > 4);
    kind = static_cast<RecordKind>(d[0]);
    size_t prov_size = static_cast<uint8_t>(d[2]) | (size_t{static_cast<uint8_t>(d[3])} << 8);
    REQUIRE(4 + prov_size <= d.size());
    const auto* prov = reinterpret_cast<const uint8_t*>(d.data()) + 4;
    payload_size = d.size() - 4 - prov_size;
    payload.assign(payload_size / 8 + 1, 0);
    std::memcpy(payload.data(), prov + prov_size, payload_size);
    envelope::Header h{kind, static_cast<uint8_t>(d[1]), 1, 1};
    env_size = envelope::EncodedSize(prov_size, payload_size);
    env.assign(env_size / 8 + 1, 0);
    envelope::Write(Bytes(env), h, prov, prov_size, prov + prov_size, payload_size);
  }

  static uint8_t* Bytes(std::vector<uint64_t>& v) { return reinterpret_cast<uint8_t*>(v.data()); }
};

// Stores the forged value as record `id` of its kind, bypassing the writers.
void PutRaw(Store& store, uint64_t id, Forged& f) {
  REQUIRE(store.Write(Actor::System(), [&](WriteTxn& t) {
    std::string key = EncodeU64(id);
    MDB_val k{key.size(), key.data()};
    MDB_val v{f.env_size, Forged::Bytes(f.env)};
    int rc = mdb_put(t.raw(), store.impl().records[static_cast<int>(f.kind)], &k, &v, 0);
    return rc == MDB_SUCCESS ? Status::OK() : Status::IOError(mdb_strerror(rc));
  }).ok());
}

bool Has(const std::vector<std::string>& problems, const std::string& text) {
  for (const std::string& p : problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("a label whose points vector is misaligned fails verification") {
  Forged f("finding-misaligned-point2");
  REQUIRE(f.kind == RecordKind::Label);
  // The FlatBuffers verifier accepts it (it checks the vector's length
  // field, not the alignment of its 8-byte Point2 elements); reading it
  // would load a double from a 4 mod 8 address.
  CHECK_FALSE(VerifyPayload(RecordKind::Label, Forged::Bytes(f.payload), f.payload_size));

  test::LabelFixture fx;
  PutRaw(*fx.store, 1000, f);
  VerifyReport r;
  REQUIRE(VerifyStore(*fx.store, &r).ok());
  INFO((r.problems.empty() ? "" : r.problems[0]));
  CHECK(Has(r.problems, "label 1000: payload is not a valid label record"));
}

TEST_CASE("a well-formed label passes the alignment check of its points") {
  // The seed corpus's label of the fixture store carries a polygon, a
  // polyline and a point: the same check must accept it.
  Forged f("label-0");
  REQUIRE(f.kind == RecordKind::Label);
  CHECK(VerifyPayload(RecordKind::Label, Forged::Bytes(f.payload), f.payload_size));
}

TEST_CASE("rendering a stored label with invalid UTF-8 names the label and field") {
  Forged f("finding-labeltojson-invalid-utf8");
  REQUIRE(f.kind == RecordKind::Label);
  REQUIRE(VerifyPayload(RecordKind::Label, Forged::Bytes(f.payload), f.payload_size));
  test::LabelFixture fx;
  RecordView v;
  v.Reset(1000, Forged::Bytes(f.env), f.env_size);
  std::string json;
  Status s = fx.store->Read([&](ReadTxn& t) { return LabelToJson(t, v, &json); });
  INFO(s.ToString());
  CHECK(s.IsCorruption());
  CHECK(s.message() == "label 1000: stored annotations[4].feature is not valid UTF-8");
  CHECK(s.message().find("exception") == std::string::npos);
}
