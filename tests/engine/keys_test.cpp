// Order-preserving keys: byte order must equal tuple order.
#include <catch2/catch.hpp>

#include <random>
#include <tuple>

#include "annodb/keys.h"

using namespace annodb;

TEST_CASE("u64 keys sort like the integers") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    uint64_t a = rng() >> (rng() % 64), b = rng() >> (rng() % 64);
    CHECK((EncodeU64(a) < EncodeU64(b)) == (a < b));
  }
  CHECK(DecodeU64(EncodeU64(0x0102030405060708ULL).data()) == 0x0102030405060708ULL);
}

TEST_CASE("tuples with escaped strings sort like the tuples") {
  std::mt19937 rng(7);
  const char alphabet[] = {'\0', '\x01', 'a', 'b', '\xff'};
  auto random_string = [&] {
    std::string s;
    int n = rng() % 4;
    for (int i = 0; i < n; ++i) s.push_back(alphabet[rng() % 5]);
    return s;
  };
  for (int i = 0; i < 5000; ++i) {
    std::string s1 = random_string(), s2 = random_string();
    uint64_t n1 = rng() % 3, n2 = rng() % 3;
    std::string k1 = KeyBuilder().Str(s1).U64(n1).str();
    std::string k2 = KeyBuilder().Str(s2).U64(n2).str();
    // std::string compares chars as signed on x86; compare as unsigned bytes.
    auto ubytes = [](const std::string& s) { return std::basic_string<unsigned char>(s.begin(), s.end()); };
    bool tuple_less = std::make_tuple(ubytes(s1), n1) < std::make_tuple(ubytes(s2), n2);
    INFO("s1 size " << s1.size() << " s2 size " << s2.size());
    CHECK((ubytes(k1) < ubytes(k2)) == tuple_less);
    size_t pos = 0;
    std::string back;
    REQUIRE(DecodeStr(k1, &pos, &back));
    CHECK(back == s1);
    CHECK(DecodeU64(k1.data() + pos) == n1);
  }
}

TEST_CASE("malformed escaped strings are rejected") {
  size_t pos = 0;
  std::string out;
  CHECK_FALSE(DecodeStr(std::string("ab", 2), &pos, &out));           // no terminator
  pos = 0;
  CHECK_FALSE(DecodeStr(std::string("a\0\x05", 3), &pos, &out));     // bad escape
  pos = 0;
  CHECK_FALSE(DecodeStr(std::string("a\0", 2), &pos, &out));          // truncated
}

TEST_CASE("prefix successor bounds a prefix range") {
  CHECK(PrefixSuccessor("ab") == "ac");
  CHECK(PrefixSuccessor(std::string("a\xff", 2)) == "b");
  CHECK(PrefixSuccessor(std::string("\xff\xff", 2)).empty());
}
