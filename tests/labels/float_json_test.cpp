// Stored 32-bit floats (scores, embeddings, settings) render as their
// shortest decimal form and read back as exactly the same float.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "annodb/asset_json.h"
#include "annodb/label_json.h"
#include "fixture.h"

using namespace annodb;
using namespace annodb::test;

TEST_CASE("FloatForJson: shortest decimal, exact round trip") {
  CHECK(nlohmann::json(FloatForJson(0.91f)).dump() == "0.91");
  CHECK(nlohmann::json(FloatForJson(0.1f)).dump() == "0.1");
  CHECK(nlohmann::json(FloatForJson(1.0f)).dump() == "1.0");
  CHECK(nlohmann::json(FloatForJson(-2.5e-7f)).dump() == "-2.5e-07");
  std::mt19937 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    if (!std::isfinite(f)) continue;
    INFO("bits " << bits);
    REQUIRE(static_cast<float>(FloatForJson(f)) == f);
    // And through JSON text, as an export and re-import would.
    double back = nlohmann::json::parse(nlohmann::json(FloatForJson(f)).dump()).get<double>();
    REQUIRE(static_cast<float>(back) == f);
  }
  for (float f : {std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
                  std::numeric_limits<float>::denorm_min(), -0.0f})
    CHECK(static_cast<float>(FloatForJson(f)) == f);
}

TEST_CASE("a label's score renders as written") {
  LabelFixture f;
  uint64_t id = 0;
  Status s = f.store->Write(Actor::System(), [&](WriteTxn& t) {
    LabelInput l = f.Label(f.img, 0);
    l.source = LabelSource::Model;
    l.model_name = "detr";
    l.model_version = "1";
    AnnotationInput a;
    a.feature = "vehicle";
    a.class_name = "car";
    a.x = 1;
    a.y = 2;
    a.w = 3;
    a.h = 4;
    a.score = 0.91f;
    l.annotations.push_back(a);
    return PutLabel(t, l, &id, nullptr);
  });
  REQUIRE(s.ok());
  std::string text;
  REQUIRE(f.store->Read([&](ReadTxn& t) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Label, id, &v));
    return LabelToJson(t, v, &text);
  }).ok());
  CHECK(text.find("\"score\":0.91") != std::string::npos);
  CHECK(text.find("0.910000") == std::string::npos);
}
