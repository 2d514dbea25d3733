// ParseAssetJson (every field and type, every kind of bad input), RFC 3339
// times, and rendering stored versions back to JSON that re-imports exactly.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "annodb/asset_json.h"
#include "test_util.h"

using namespace annodb;

namespace {

Status Parse(std::string_view json, AssetInput* out) { return ParseAssetJson(json, out); }

// The message of a parse that must fail.
std::string ParseError(std::string_view json) {
  AssetInput in;
  Status s = ParseAssetJson(json, &in);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Code::kInvalidArgument);
  return s.message();
}

const MetaEntry* Meta(const AssetInput& in, const std::string& key) {
  for (const MetaEntry& m : in.metadata)
    if (m.key == key) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("json: every field of an import line is parsed with its type") {
  AssetInput in;
  REQUIRE(Parse(R"({"external_id": "img-0001", "uri": "file:///data/img-0001.jpg",
      "media_type": "image/jpeg", "width": 640, "height": 480, "duration_ms": 1500,
      "byte_size": 123456, "content_hash": "00112233445566778899AABBCCDDEEFF",
      "metadata": {"camera": "A", "night": true, "lux": 12.5, "n": -3, "big": 9223372036854775807,
                   "taken": {"$time": "2024-05-01T12:00:00Z"}, "esc": "a\"b\u00e9\n"},
      "embedding": [0.1, -2, 3e2], "text": "hello"})",
                &in)
              .ok());
  CHECK(in.external_id == "img-0001");
  CHECK(in.uri == "file:///data/img-0001.jpg");
  CHECK(in.media_type == "image/jpeg");
  CHECK(in.width == 640);
  CHECK(in.height == 480);
  CHECK(in.duration_ms == 1500);
  CHECK(in.byte_size == 123456);
  REQUIRE(in.content_hash);
  CHECK(in.content_hash->hi == 0x0011223344556677ull);
  CHECK(in.content_hash->lo == 0x8899aabbccddeeffull);
  REQUIRE(in.metadata.size() == 7);
  CHECK(Meta(in, "camera")->kind == MetaKind::kString);
  CHECK(Meta(in, "camera")->s == "A");
  CHECK(Meta(in, "night")->kind == MetaKind::kBool);
  CHECK(Meta(in, "night")->b);
  CHECK(Meta(in, "lux")->kind == MetaKind::kFloat);
  CHECK(Meta(in, "lux")->f == 12.5);
  CHECK(Meta(in, "n")->kind == MetaKind::kInt);
  CHECK(Meta(in, "n")->i == -3);
  CHECK(Meta(in, "big")->i == std::numeric_limits<int64_t>::max());
  CHECK(Meta(in, "taken")->kind == MetaKind::kTime);
  CHECK(Meta(in, "taken")->i == int64_t{1714564800} * 1000000);
  CHECK(Meta(in, "esc")->s == "a\"b\xc3\xa9\n");
  REQUIRE(in.embedding.size() == 3);
  CHECK(in.embedding[0] == 0.1f);
  CHECK(in.embedding[1] == -2.0f);
  CHECK(in.embedding[2] == 300.0f);
  CHECK(in.text == "hello");
  CHECK(ValidateAsset(in).ok());
}

TEST_CASE("json: minimal rows, null optional fields, and reuse of one AssetInput") {
  AssetInput in;
  REQUIRE(Parse(R"({"external_id":"a","uri":"u","metadata":{"k":1,"j":"x"},"embedding":[1],"content_hash":"00000000000000000000000000000001","text":"t","width":3})", &in).ok());
  // The same object, reused for a smaller row: nothing from the last row stays.
  REQUIRE(Parse(R"({"uri":"v","external_id":"b"})", &in).ok());
  CHECK(in.external_id == "b");
  CHECK(in.uri == "v");
  CHECK(in.metadata.empty());
  CHECK(in.embedding.empty());
  CHECK_FALSE(in.content_hash);
  CHECK(in.text.empty());
  CHECK(in.width == 0);
  REQUIRE(Parse(R"({"external_id":"c","uri":"w","metadata":{"k":1,"j":"x"}})", &in).ok());
  REQUIRE(Parse(R"({"external_id":"c","uri":"w","metadata":{"z":true}})", &in).ok());
  REQUIRE(in.metadata.size() == 1);
  CHECK(in.metadata[0] == MetaEntry{"z", MetaKind::kBool, "", 0, 0, true});
  // null means "not given" for optional top-level fields.
  REQUIRE(Parse(R"({"external_id":"d","uri":"w","media_type":null,"width":null,"content_hash":null,
                    "metadata":null,"embedding":null,"text":null})", &in).ok());
  CHECK(in.media_type.empty());
  CHECK(in.metadata.empty());
  // Keys of annodb's own output are accepted and ignored, so output re-imports.
  REQUIRE(Parse(R"({"id":5,"dataset_id":1,"dataset":"x","external_id":"e","uri":"w","version":2,
                    "sequence":9,"deleted":false,"provenance":{"actor":"a","model":{"name":"m"}}})", &in).ok());
  CHECK(in.external_id == "e");
  // Integer-valued floats stay floats; -0.0 too.
  REQUIRE(Parse(R"({"external_id":"f","uri":"w","metadata":{"a":1.0,"b":-0.0,"c":1e2}})", &in).ok());
  CHECK(Meta(in, "a")->kind == MetaKind::kFloat);
  CHECK(Meta(in, "c")->f == 100.0);
  CHECK(std::signbit(Meta(in, "b")->f));
}

TEST_CASE("json: bad lines are refused with the field and the reason") {
  CHECK_THAT(ParseError("not json"), Catch::Contains("not valid JSON"));
  CHECK_THAT(ParseError(""), Catch::Contains("empty"));
  CHECK_THAT(ParseError("[1,2]"), Catch::Contains("expected a JSON object, got an array"));
  CHECK_THAT(ParseError(R"("text")"), Catch::Contains("expected a JSON object, got a string"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u")"), Catch::Contains("not valid JSON"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u"} {"x":1})"), Catch::Contains("unexpected text after"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u",})"), Catch::Contains("not valid JSON"));
  CHECK_THAT(ParseError(R"({"uri":"u"})"), Catch::Contains("external_id is required"));
  CHECK_THAT(ParseError(R"({"external_id":"a"})"), Catch::Contains("uri is required"));
  CHECK_THAT(ParseError(R"({"external_id":null,"uri":"u"})"), Catch::Contains("external_id: expected a string, got null"));
  CHECK_THAT(ParseError(R"({"external_id":7,"uri":"u"})"), Catch::Contains("external_id: expected a string, got a number"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":["u"]})"), Catch::Contains("uri: expected a string, got an array"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","external_id":"b"})"), Catch::Contains("external_id: given twice"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","colour":"red"})"), Catch::Contains("unknown key 'colour'"));
  // numbers
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","width":-1})"), Catch::Contains("width: must not be negative"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","width":4294967296})"), Catch::Contains("width: is larger than 4294967295"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","height":1.5})"), Catch::Contains("height: expected a non-negative integer"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","height":"480"})"), Catch::Contains("height: expected a non-negative integer, got a string"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","byte_size":-5})"), Catch::Contains("byte_size: must not be negative"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","byte_size":99999999999999999999})"), Catch::Contains("byte_size: is larger than"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","duration_ms":-9223372036854775809})"), Catch::Contains("duration_ms: must not be negative"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","width":01})"), Catch::Contains("width: not a valid number"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","content_hash":"xyz"})"), Catch::Contains("content_hash: expected 32 hexadecimal digits"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","content_hash":12})"), Catch::Contains("content_hash: expected a string"));
  // metadata
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":[1]})"), Catch::Contains("metadata: expected an object, got an array"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":null}})"), Catch::Contains("metadata.k: null is not a metadata value"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":[1,2]}})"), Catch::Contains("metadata.k: arrays are not supported"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":{"a":1}}})"), Catch::Contains("metadata.k: nested objects are not supported"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":{}}})"), Catch::Contains("metadata.k: nested objects"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":{"$time":"2024-05-01T12:00:00Z","x":1}}})"), Catch::Contains("metadata.k: nested objects"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":{"$time":"yesterday"}}})"), Catch::Contains("metadata.k: 'yesterday' is not an RFC 3339 time"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":{"$time":5}}})"), Catch::Contains("metadata.k.$time: expected an RFC 3339 time string, got a number"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":18446744073709551615}})"), Catch::Contains("metadata.k: integer out of the range"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":-9223372036854775809}})"), Catch::Contains("metadata.k: integer out of the range"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":1e400}})"), Catch::Contains("metadata.k: not a valid number"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","metadata":{"k":tru}})"), Catch::Contains("metadata.k"));
  // embedding
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","embedding":{"a":1}})"), Catch::Contains("embedding: expected an array of numbers, got an object"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","embedding":[1,"2"]})"), Catch::Contains("embedding[1]: expected a number, got a string"));
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","embedding":[1e39]})"), Catch::Contains("embedding[0]: out of the range of a 32-bit float"));
  // strings: bad UTF-8 bytes and bad escapes
  CHECK_THAT(ParseError("{\"external_id\":\"a\xff\",\"uri\":\"u\"}"), Catch::Contains("not valid UTF-8"));
  CHECK_THAT(ParseError("{\"external_id\":\"a\",\"uri\":\"u\",\"metadata\":{\"k\":\"\xc3\x28\"}}"), Catch::Contains("not valid UTF-8"));
  CHECK_THAT(ParseError(R"({"external_id":"\ud800","uri":"u"})"), Catch::Contains("external_id: a string has a bad escape"));
  CHECK_THAT(ParseError(R"({"external_id":"\q","uri":"u"})"), Catch::Contains("external_id"));
  // ignored output keys must still be valid JSON
  CHECK_THAT(ParseError(R"({"external_id":"a","uri":"u","provenance":{"x":tru}})"), Catch::Contains("provenance"));
}

TEST_CASE("json: oversized values are refused by ValidateAsset with the field") {
  AssetInput in;
  std::string big_id(kMaxExternalIdBytes + 1, 'x');
  REQUIRE(Parse(R"({"external_id":")" + big_id + R"(","uri":"u"})", &in).ok());
  Status s = ValidateAsset(in);
  CHECK(s.IsInvalidArgument());
  CHECK_THAT(s.message(), Catch::Contains("external_id is 401 bytes"));
  std::string big_value(kMaxMetadataStringBytes + 1, 'v');
  REQUIRE(Parse(R"({"external_id":"a","uri":"u","metadata":{"note":")" + big_value + R"("}})", &in).ok());
  CHECK_THAT(ValidateAsset(in).message(), Catch::Contains("metadata.note is 65537 bytes"));
  REQUIRE(Parse(R"({"external_id":"","uri":"u"})", &in).ok());
  CHECK_THAT(ValidateAsset(in).message(), Catch::Contains("external_id is required"));
  REQUIRE(Parse(R"({"external_id":"a","uri":"u","metadata":{"k":1,"k":2}})", &in).ok());
  CHECK_THAT(ValidateAsset(in).message(), Catch::Contains("appears twice"));
  // More than the allowed number of metadata keys stops the parser early.
  std::string many = R"({"external_id":"a","uri":"u","metadata":{)";
  for (size_t i = 0; i <= kMaxMetadataEntries; ++i) many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":1";
  many += "}}";
  CHECK_THAT(ParseError(many), Catch::Contains("metadata: more than 256 keys"));
}

TEST_CASE("json: RFC 3339 times parse with offsets and fractions, and print back") {
  int64_t us = 0;
  REQUIRE(ParseRfc3339("1970-01-01T00:00:00Z", &us));
  CHECK(us == 0);
  REQUIRE(ParseRfc3339("2024-05-01T14:00:00+02:00", &us));
  CHECK(us == int64_t{1714564800} * 1000000);
  REQUIRE(ParseRfc3339("2024-05-01t12:00:00.5z", &us));
  CHECK(us == int64_t{1714564800} * 1000000 + 500000);
  REQUIRE(ParseRfc3339("2024-05-01 12:00:00.123456000Z", &us));  // zeros below a microsecond
  CHECK(us == int64_t{1714564800} * 1000000 + 123456);
  CHECK_FALSE(ParseRfc3339("2024-05-01 12:00:00.123456789Z", &us));  // would print as .123456: refused
  REQUIRE(ParseRfc3339("1969-12-31T23:59:59.999999Z", &us));
  CHECK(us == -1);
  REQUIRE(ParseRfc3339("2024-02-29T00:00:00-00:30", &us));
  REQUIRE(ParseRfc3339("2016-12-31T23:59:60Z", &us));  // a leap second
  for (const char* bad : {"", "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                          "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:00.Z",
                          "2024-05-01T12:00:00+2:00", "2024-05-01T12:00:00Zx", "24-05-01T12:00:00Z",
                          "2024-05-01T12:00:00.1234567890Z", "2024-05-01X12:00:00Z"})
    CHECK_FALSE(ParseRfc3339(bad, &us));
  CHECK(FormatRfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(FormatRfc3339(int64_t{1714564800} * 1000000 + 500000) == "2024-05-01T12:00:00.500000Z");
  for (int64_t t : {int64_t{0}, int64_t{-86400000001}, int64_t{951782400123456}, int64_t{253402300799999999}}) {
    REQUIRE(ParseRfc3339(FormatRfc3339(t), &us));
    CHECK(us == t);
  }
}

TEST_CASE("json: a stored asset renders to JSON that re-imports to the same values") {
  test::TempDir dir("json-render");
  auto store = test::OpenNew(dir.path());
  std::string line = R"({"external_id":"img-1","uri":"file:///x.jpg","media_type":"image/jpeg","width":640,
      "height":480,"duration_ms":7,"byte_size":99,"content_hash":"0123456789abcdef0123456789abcdef",
      "metadata":{"camera":"A","night":true,"lux":0.1,"third":0.3333333333333333,"n":-42,
                  "tiny":5e-324,"huge":1.7976931348623157e308,"when":{"$time":"2024-05-01T12:00:00.25Z"}},
      "embedding":[0.1,0.2,1e-45,3.4028234663852886e38,-0.0,16777217],"text":"caf\u00e9 \"q\""})";
  AssetInput in;
  REQUIRE(ParseAssetJson(line, &in).ok());
  uint64_t ds = 0, id = 0;
  Actor alice = Actor::Person("alice");
  alice.model_name = "m";
  alice.model_version = "1";
  alice.note = "first";
  REQUIRE(store->Write(alice, [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "cams", "", &ds));
    return PutAsset(t, ds, in, &id, nullptr);
  }).ok());
  std::string json, prov;
  REQUIRE(store->Read([&](ReadTxn& t) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetAsset(t, id, kCurrent, &v));
    json = AssetToJson(v, "cams");
    prov = ProvenanceToJson(v);
    return Status::OK();
  }).ok());
  INFO(json);
  CHECK(json.rfind(R"({"id":1,"dataset_id":1,"dataset":"cams","external_id":"img-1")", 0) == 0);
  CHECK_THAT(json, Catch::Contains(R"("embedding":[0.1,0.2,1e-45,3.4028235e+38,-0.0,16777216.0])"));
  CHECK_THAT(json, Catch::Contains(R"("lux":0.1)"));
  CHECK_THAT(json, Catch::Contains(R"("when":{"$time":"2024-05-01T12:00:00.250000Z"})"));
  CHECK_THAT(json, Catch::Contains(R"("version":1,"sequence":1,"deleted":false,"provenance":{"actor_kind":"person","actor":"alice")"));
  auto pj = nlohmann::json::parse(prov);
  CHECK(pj["model"]["name"] == "m");
  CHECK(pj["model"]["version"] == "1");
  CHECK(pj["note"] == "first");
  CHECK(pj["replaces_version"] == 0);
  CHECK(pj.count("job_id") == 0);  // absent fields are left out
  CHECK(pj["time"].get<std::string>().size() >= 20);

  // Re-import the rendered line: the same values, bit for bit.
  AssetInput back;
  REQUIRE(ParseAssetJson(json, &back).ok());
  CHECK(back.external_id == in.external_id);
  CHECK(back.uri == in.uri);
  CHECK(back.media_type == in.media_type);
  CHECK(back.width == in.width);
  CHECK(back.height == in.height);
  CHECK(back.duration_ms == in.duration_ms);
  CHECK(back.byte_size == in.byte_size);
  CHECK(back.content_hash == in.content_hash);
  CHECK(back.text == in.text);
  REQUIRE(back.embedding.size() == in.embedding.size());
  for (size_t i = 0; i < in.embedding.size(); ++i) {
    CHECK(std::memcmp(&back.embedding[i], &in.embedding[i], sizeof(float)) == 0);
  }
  REQUIRE(back.metadata.size() == in.metadata.size());
  for (const MetaEntry& m : in.metadata) {
    const MetaEntry* b = Meta(back, m.key);
    REQUIRE(b);
    CHECK(b->kind == m.kind);
    CHECK(b->s == m.s);
    CHECK(b->i == m.i);
    CHECK(std::memcmp(&b->f, &m.f, sizeof(double)) == 0);
    CHECK(b->b == m.b);
  }
  // And storing it again is "unchanged".
  REQUIRE(store->Write(alice, [&](WriteTxn& t) {
    PutOutcome o;
    ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, back, &id, &o));
    CHECK(o == PutOutcome::kUnchanged);
    return Status::OK();
  }).ok());
}

TEST_CASE("json: a deleted version renders with deleted true") {
  test::TempDir dir("json-deleted");
  auto store = test::OpenNew(dir.path());
  uint64_t ds = 0, id = 0;
  AssetInput in;
  REQUIRE(ParseAssetJson(R"({"external_id":"a","uri":"u"})", &in).ok());
  REQUIRE(store->Write(Actor::Person("bob"), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
    ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, in, &id, nullptr));
    return Status::OK();
  }).ok());
  REQUIRE(store->Write(Actor::Person("bob"), [&](WriteTxn& t) { return DeleteAsset(t, id); }).ok());
  REQUIRE(store->Read([&](ReadTxn& t) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(t.GetIncludingDeleted(RecordKind::Asset, id, &v));
    auto j = nlohmann::json::parse(AssetToJson(v, ""));
    CHECK(j["deleted"] == true);
    CHECK(j["version"] == 2);
    CHECK(j.count("dataset") == 0);
    CHECK(j.count("metadata") == 0);
    CHECK(j["provenance"]["replaces_version"] == 1);
    return Status::OK();
  }).ok());
}
