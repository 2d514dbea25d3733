// JsonWriter writes the bytes nlohmann::json::dump() writes for the same
// value (the NDJSON export's format depends on it; see json_writer.h).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "json_writer.h"

using annodb::JsonBuffer;
using annodb::JsonWriter;

namespace {
std::string Quoted(std::string_view s) {
  JsonBuffer out;
  JsonWriter::AppendQuoted(&out, s);
  return std::string(out.view());
}
std::string OfDouble(double d) {
  JsonBuffer out;
  JsonWriter(&out).Double(d);
  return std::string(out.view());
}
}  // namespace

TEST_CASE("strings are escaped as nlohmann escapes them") {
  // Every ASCII byte on its own, including all control characters.
  for (int c = 0; c < 0x80; ++c) {
    std::string s(1, static_cast<char>(c));
    INFO("byte " << c);
    CHECK(Quoted(s) == nlohmann::json(s).dump());
  }
  CHECK(Quoted("") == R"("")");
  CHECK(Quoted("a\"b\\c\nd\x01") == R"("a\"b\\c\nd\u0001")");
  // UTF-8 passes through unescaped (2, 3 and 4 byte sequences).
  const std::string utf8 = "Z\xC3\xBCrich \xE6\xBC\xA2\xE5\xAD\x97 \xF0\x9F\x9A\x97";
  CHECK(Quoted(utf8) == nlohmann::json(utf8).dump());
  CHECK(Quoted(utf8) == "\"" + utf8 + "\"");
  // Short and word-sized strings with one byte to escape at every position
  // (the writer tests 8 bytes at a time and short strings as two halves).
  for (size_t len = 1; len <= 17; ++len)
    for (size_t at = 0; at < len; ++at)
      for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string t(len, 'x');
        t[at] = special;
        INFO("length " << len << ", position " << at);
        REQUIRE(Quoted(t) == nlohmann::json(t).dump());
      }
  // Random mixes of escapes, ASCII and UTF-8.
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {"a", "\"", "\\", "\n", "\t", "\x1f", "\x7f", "/", "\xC3\xA9", "\xE2\x82\xAC", " "};
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    for (int n = rng() % 40; n > 0; --n) s += pieces[rng() % pieces.size()];
    INFO(nlohmann::json(s).dump());
    CHECK(Quoted(s) == nlohmann::json(s).dump());
  }
}

TEST_CASE("long strings are quoted in blocks without losing an escape") {
  // Longer than the writer's 4096-byte block, escapes on and across the
  // block and word boundaries.
  std::string s;
  for (int i = 0; i < 10000; ++i) s += (i % 4095 == 0 || i % 8 == 7) ? '\n' : static_cast<char>('a' + i % 26);
  s += "\"\xC3\xA9";
  CHECK(Quoted(s) == nlohmann::json(s).dump());
  const std::string plain(20000, 'x');
  CHECK(Quoted(plain) == nlohmann::json(plain).dump());
}

TEST_CASE("numbers are written as nlohmann writes them") {
  for (double d : {0.0, -0.0, 1.0, -1.5, 0.1, 1e21, 1e22, 1e-7, 123456789012345680.0, 5e-324, 2.2250738585072014e-308,
                   std::numeric_limits<double>::max(), 10.5, 100.0, 0.91})
    CHECK(OfDouble(d) == nlohmann::json(d).dump());
  // Whole numbers (the writer's fast path) up to and beyond 10^15.
  for (double d = -2000; d <= 2000; d += 1) REQUIRE(OfDouble(d) == nlohmann::json(d).dump());
  for (double d : {999999999999999.0, -999999999999999.0, 1e15, -1e15, 1e15 + 2, 123456789012345.0, 4503599627370496.0})
    CHECK(OfDouble(d) == nlohmann::json(d).dump());
  CHECK(OfDouble(-0.0) == "-0.0");
  std::mt19937_64 ints(5);
  for (int i = 0; i < 100000; ++i) {
    double d = static_cast<double>(static_cast<int64_t>(ints() % 2000000000000000ULL) - 1000000000000000LL);
    REQUIRE(OfDouble(d) == nlohmann::json(d).dump());
  }
  CHECK(OfDouble(std::nan("")) == "null");
  CHECK(OfDouble(std::numeric_limits<double>::infinity()) == "null");
  CHECK(nlohmann::json(std::numeric_limits<double>::infinity()).dump() == "null");
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    REQUIRE(OfDouble(d) == nlohmann::json(d).dump());
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{42}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    JsonBuffer out;
    JsonWriter(&out).Int(v);
    CHECK(out.view() == nlohmann::json(v).dump());
  }
  JsonBuffer out;
  JsonWriter(&out).Uint(std::numeric_limits<uint64_t>::max());
  CHECK(out.view() == nlohmann::json(std::numeric_limits<uint64_t>::max()).dump());
}

TEST_CASE("commas and colons are placed for nested objects and arrays") {
  JsonBuffer buf;
  JsonWriter w(&buf);
  w.BeginObject().Field("type", "asset").FieldInt("n", -3).Key("empty").BeginArray().EndArray();
  w.Key("obj").BeginObject().EndObject();
  w.Key("list").BeginArray().BeginArray().Double(1).Double(2).EndArray().BeginObject().FieldBool("b", false);
  w.Key("deep").BeginArray().BeginArray().BeginArray().String("x").EndArray().EndArray().EndArray();
  w.EndObject().Uint(7).EndArray().FieldBool("last", true).EndObject();
  nlohmann::ordered_json expected = {{"type", "asset"}, {"n", -3}, {"empty", nlohmann::ordered_json::array()},
                                     {"obj", nlohmann::ordered_json::object()}};
  expected["list"] = nlohmann::ordered_json::array();
  expected["list"].push_back({1.0, 2.0});
  expected["list"].push_back({{"b", false}, {"deep", {{{"x"}}}}});
  expected["list"].push_back(7u);
  expected["last"] = true;
  const std::string out(buf.view());
  CHECK(out == expected.dump());
  CHECK(nlohmann::ordered_json::parse(out) == expected);
}
