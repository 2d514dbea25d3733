// Issue 11, item 5: every time value that is accepted must come back as the
// same instant through every output. ParseRfc3339 -> store -> AssetToJson
// (what `get` and the export print) -> ParseAssetJson gives the same
// microseconds, over a seeded sweep of years 0000..9999, offsets, leap
// seconds and fractions; values that cannot be printed back are refused.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "test_util.h"

using namespace annodb;

namespace {

// A random RFC 3339 text: any year, a valid day, optional leap second,
// fraction of 0..9 digits, Z or an offset up to +-23:59.
std::string RandomTime(std::mt19937_64& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  // Extreme years and their neighbours are drawn often: that is where an
  // offset or a leap second pushes an instant out of the printable range.
  int year = pick(0, 9) == 0 ? (pick(0, 1) ? pick(0, 1) : pick(9998, 9999)) : pick(0, 9999);
  int month = pick(1, 12);
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int day = pick(1, kDays[month - 1] + (month == 2 && leap ? 1 : 0));
  if (pick(0, 9) == 0) {  // the first or last moments of a year
    month = pick(0, 1) ? 1 : 12;
    day = month == 1 ? 1 : 31;
  }
  int hour = pick(0, 23), minute = pick(0, 59), second = pick(0, 20) == 0 ? 60 : pick(0, 59);
  char buf[80];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second);
  std::string s(buf, static_cast<size_t>(n));
  int digits = pick(0, 9);
  if (digits > 0) {
    s += '.';
    for (int i = 0; i < digits; ++i) s += static_cast<char>('0' + (i >= 6 && pick(0, 1) ? 0 : pick(0, 9)));
  }
  if (pick(0, 2) == 0) {
    s += 'Z';
  } else {
    n = std::snprintf(buf, sizeof buf, "%c%02d:%02d", pick(0, 1) ? '+' : '-', pick(0, 23), pick(0, 59));
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

// The instant through a store and the asset JSON printer and parser.
int64_t ThroughStore(Store& store, uint64_t dataset, int64_t us, uint64_t n) {
  AssetInput in;
  in.external_id = "t" + std::to_string(n);
  in.uri = "s3://b/t";
  MetaEntry m;
  m.key = "at";
  m.kind = MetaKind::kTime;
  m.i = us;
  in.metadata.push_back(m);
  uint64_t id = 0;
  Status s = store.Write(Actor::Person("t"), [&](WriteTxn& t) { return PutAsset(t, dataset, in, &id, nullptr); });
  if (!s.ok()) throw std::runtime_error(s.ToString());
  std::string text;
  s = store.Read([&](ReadTxn& t) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetAsset(t, id, kCurrent, &v));
    text = AssetToJson(v, "d");
    return Status::OK();
  });
  if (!s.ok()) throw std::runtime_error(s.ToString());
  AssetInput back;
  s = ParseAssetJson(text, &back);
  if (!s.ok()) throw std::runtime_error("printed asset does not parse back: " + s.ToString() + " in " + text);
  REQUIRE(back.metadata.size() == 1);
  REQUIRE(back.metadata[0].kind == MetaKind::kTime);
  return back.metadata[0].i;
}

}  // namespace

TEST_CASE("time: the issue's two values are refused, the range ends are kept") {
  int64_t us = 0;
  // Printed as 10000-01-01T00:00:00Z and -001-12-31T00:01:00Z, which no parser reads.
  CHECK_FALSE(ParseRfc3339("9999-12-31T23:59:60Z", &us));
  CHECK_FALSE(ParseRfc3339("0000-01-01T00:00:00+23:59", &us));
  CHECK_FALSE(ParseRfc3339("9999-12-31T23:00:00-01:00", &us));
  CHECK_FALSE(ParseRfc3339("0000-01-01T00:00:00.000001+00:01", &us));
  REQUIRE(ParseRfc3339("9999-12-31T23:59:59.999999Z", &us));
  CHECK(FormatRfc3339(us) == "9999-12-31T23:59:59.999999Z");
  REQUIRE(ParseRfc3339("0000-01-01T00:00:00Z", &us));
  CHECK(FormatRfc3339(us) == "0000-01-01T00:00:00Z");
  REQUIRE(ParseRfc3339("0000-01-01T00:00:00-23:59", &us));  // later in UTC: still year 0000
  CHECK(FormatRfc3339(us) == "0000-01-01T23:59:00Z");
  REQUIRE(ParseRfc3339("9999-12-31T23:59:60+00:01", &us));  // a leap second that stays in 9999
  CHECK(FormatRfc3339(us) == "9999-12-31T23:59:00Z");
  CHECK(Rfc3339Printable(us));
  CHECK_FALSE(Rfc3339Printable(us + 61 * int64_t{1000000}));

  // A stored time outside the range (the C++ API takes raw microseconds) is
  // refused too, so an export always restores.
  AssetInput in;
  in.external_id = "x";
  in.uri = "s3://b/x";
  MetaEntry m;
  m.key = "at";
  m.kind = MetaKind::kTime;
  m.i = 253402300800LL * 1000000;  // 10000-01-01T00:00:00Z
  in.metadata.push_back(m);
  Status s = ValidateAsset(in);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("metadata.at is a time outside years 0000..9999") != std::string::npos);
  // And through the asset line parser, with its message.
  s = ParseAssetJson(R"({"external_id":"x","uri":"s3://b/x","metadata":{"at":{"$time":"9999-12-31T23:59:60Z"}}})", &in);
  CHECK(s.IsInvalidArgument());
}

TEST_CASE("time: a seeded sweep of accepted values round-trips through the store and the printer") {
  test::TempDir dir("time");
  StoreOptions fast;
  fast.durability = Durability::kProcessCrashSafe;  // no fsync per commit: the test is about values
  auto store = test::OpenNew(dir.path(), fast);
  uint64_t dataset = 0;
  REQUIRE(store->Write(Actor::Person("t"), [&](WriteTxn& t) { return CreateDataset(t, "d", "", &dataset); }).ok());
  std::mt19937_64 rng(20261208);
  // ANNODB_TIME_SWEEP_VALUES=N runs a longer sweep (docs/testing/input-checks.md).
  const char* env = std::getenv("ANNODB_TIME_SWEEP_VALUES");
  const int kValues = env ? std::atoi(env) : 20000, kThroughStore = 300;
  int accepted = 0, refused = 0, stored = 0;
  for (int i = 0; i < kValues; ++i) {
    std::string text = RandomTime(rng);
    int64_t us = 0;
    if (!ParseRfc3339(text, &us)) {
      ++refused;
      continue;
    }
    ++accepted;
    INFO(text);
    std::string printed = FormatRfc3339(us);
    int64_t again = 0;
    REQUIRE(ParseRfc3339(printed, &again));
    REQUIRE(again == us);
    REQUIRE(FormatRfc3339(again) == printed);
    REQUIRE(printed.size() >= 20);
    REQUIRE(printed[4] == '-');  // four-digit year
    if (stored < kThroughStore) REQUIRE(ThroughStore(*store, dataset, us, static_cast<uint64_t>(stored++)) == us);
  }
  // The sweep covers both outcomes: values at the ends of the range and
  // sub-microsecond digits are refused, the rest accepted.
  CHECK(accepted > kValues / 2);
  CHECK(refused > kValues / 200);
}
