#include "json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace annodb {

void JsonBuffer::Grow(size_t n) {
  size_t cap = std::max<size_t>({cap_ * 2, size_ + n, 4096});
  std::unique_ptr<char[]> bigger(new char[cap]);
  if (size_) std::memcpy(bigger.get(), data_.get(), size_);
  data_ = std::move(bigger);
  cap_ = cap;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  char* p = out_->Reserve(24);
  out_->Commit(std::to_chars(p, p + 24, v).ptr);
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  char* p = out_->Reserve(24);
  out_->Commit(std::to_chars(p, p + 24, v).ptr);
  return *this;
}

JsonWriter& JsonWriter::Double(double v) {
  BeforeValue();
  if (!std::isfinite(v)) {
    out_->Put("null", 4);
    return *this;
  }
  char* p = out_->Reserve(64);
  // Whole numbers below 10^15 (pixel coordinates, mostly) are the digits and
  // ".0": what nlohmann's formatter gives them (its fixed notation reaches 15
  // integer digits), for a fraction of Grisu2's cost.
  if (v > -1e15 && v < 1e15 && std::trunc(v) == v) {
    if (std::signbit(v)) *p++ = '-';
    p = std::to_chars(p, p + 24, static_cast<int64_t>(std::fabs(v))).ptr;
    *p++ = '.';
    *p++ = '0';
    out_->Commit(p);
    return *this;
  }
  // Otherwise nlohmann's own formatter (its serializer gives it 64 bytes).
  out_->Commit(nlohmann::detail::to_chars(p, p + 64, v));
  return *this;
}

namespace {
constexpr uint64_t kOnes = 0x0101010101010101ULL;

// True when one of the 8 bytes in `w` is below 0x20, '"' or '\\' (the bytes
// JSON needs escaped). Exact, eight bytes at a time: most strings need no
// escape at all.
inline bool NeedsEscape(uint64_t w) {
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t below_space = (w - kOnes * 0x20) & ~w;
  const uint64_t q = w ^ (kOnes * '"'), b = w ^ (kOnes * '\\');
  const uint64_t quote = (q - kOnes) & ~q, backslash = (b - kOnes) & ~b;
  return ((below_space | quote | backslash) & kHigh) != 0;
}

// Writes one byte of a string, escaped if JSON needs it (at most 6 bytes).
inline char* PutChar(char* p, unsigned char c) {
  if (c >= 0x20 && c != '"' && c != '\\') {
    *p++ = static_cast<char>(c);
    return p;
  }
  *p++ = '\\';
  switch (c) {
    case '"': *p++ = '"'; break;
    case '\\': *p++ = '\\'; break;
    case '\b': *p++ = 'b'; break;
    case '\f': *p++ = 'f'; break;
    case '\n': *p++ = 'n'; break;
    case '\r': *p++ = 'r'; break;
    case '\t': *p++ = 't'; break;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      *p++ = 'u';
      *p++ = '0';
      *p++ = '0';
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 15];
    }
  }
  return p;
}

// Quotes s[0, n) into p, which has room for 6 * n bytes.
// Quotes a string of fewer than 8 bytes: loaded as two overlapping halves
// into one padded word, so the clean case is one test and two stores.
inline char* PutShort(char* p, const char* s, size_t n) {
  uint64_t w = kOnes * 'a';
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, s, 4);
    std::memcpy(&hi, s + n - 4, 4);
    w = lo | (uint64_t{hi} << 32);
    if (!NeedsEscape(w)) {
      std::memcpy(p, &lo, 4);
      std::memcpy(p + n - 4, &hi, 4);
      return p + n;
    }
  } else if (n >= 2) {
    uint16_t lo, hi;
    std::memcpy(&lo, s, 2);
    std::memcpy(&hi, s + n - 2, 2);
    w = (w & ~uint64_t{0xFFFFFFFF}) | lo | (uint64_t{hi} << 16);
    if (!NeedsEscape(w)) {
      std::memcpy(p, &lo, 2);
      std::memcpy(p + n - 2, &hi, 2);
      return p + n;
    }
  }
  for (size_t i = 0; i < n; ++i) p = PutChar(p, static_cast<unsigned char>(s[i]));
  return p;
}

char* PutEscaped(char* p, const char* s, size_t n) {
  if (n < 8) return PutShort(p, s, n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, s + i, 8);
    if (!NeedsEscape(w)) {
      std::memcpy(p, &w, 8);
      p += 8;
    } else {
      for (size_t k = 0; k < 8; ++k) p = PutChar(p, static_cast<unsigned char>(s[i + k]));
    }
  }
  if (i == n) return p;
  if (n >= 8) {
    // The tail as the string's last 8 bytes: if they are clean, the ones
    // before the tail were copied as they are, so writing the word over
    // them is harmless.
    uint64_t w;
    std::memcpy(&w, s + n - 8, 8);
    if (!NeedsEscape(w)) {
      std::memcpy(p - (8 - (n - i)), &w, 8);
      return p + (n - i);
    }
  }
  for (; i < n; ++i) p = PutChar(p, static_cast<unsigned char>(s[i]));
  return p;
}
}  // namespace

void JsonWriter::AppendQuoted(JsonBuffer* out, std::string_view s) {
  // In blocks, so that a long string does not reserve six times its size.
  constexpr size_t kBlock = 4096;
  char* p = out->Reserve(std::min(s.size(), kBlock) * 6 + 2);
  *p++ = '"';
  for (size_t off = 0; off < s.size(); off += kBlock) {
    const size_t n = std::min(kBlock, s.size() - off);
    if (off) {
      out->Commit(p);
      p = out->Reserve(n * 6 + 1);
    }
    p = PutEscaped(p, s.data() + off, n);
  }
  *p++ = '"';
  out->Commit(p);
}

}  // namespace annodb
