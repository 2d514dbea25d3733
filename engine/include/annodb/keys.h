// Order-preserving binary keys.
//
// LMDB compares keys as raw bytes (memcmp, shorter first on a tie), so every
// key in annodb is a tuple encoded such that byte order equals tuple order:
//  - unsigned integers: fixed-width big-endian;
//  - a string in the last position: its raw bytes (nothing follows it);
//  - a string in any other position: bytes with 0x00 escaped as 0x00 0xFF and
//    terminated by 0x00 0x01, so "a" < "a\0" < "ab" and no string is a prefix
//    trap for the component after it (the FoundationDB tuple-layer scheme).
// A range scan over a key prefix is therefore an index scan.
//
// Thread safety: KeyBuilder is a value type; decode functions are pure.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace annodb {

// LMDB's compile-time maximum key size (mdb_env_get_maxkeysize) is 511 bytes.
inline constexpr size_t kMaxKeyBytes = 511;

class KeyBuilder {
 public:
  KeyBuilder& U64(uint64_t v) {
    for (int i = 7; i >= 0; --i) buf_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  KeyBuilder& U32(uint32_t v) {
    for (int i = 3; i >= 0; --i) buf_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  KeyBuilder& U8(uint8_t v) {
    buf_.push_back(static_cast<char>(v));
    return *this;
  }
  // A string followed by other components: escaped and terminated.
  KeyBuilder& Str(std::string_view s) {
    for (char c : s) {
      buf_.push_back(c);
      if (c == '\0') buf_.push_back('\xff');
    }
    buf_.push_back('\0');
    buf_.push_back('\x01');
    return *this;
  }
  // The last component: raw bytes.
  KeyBuilder& Tail(std::string_view s) {
    buf_.append(s.data(), s.size());
    return *this;
  }
  KeyBuilder& Bytes(const void* p, size_t n) {
    buf_.append(static_cast<const char*>(p), n);
    return *this;
  }
  const std::string& str() const { return buf_; }
  std::string_view view() const { return buf_; }
  size_t size() const { return buf_.size(); }

 private:
  std::string buf_;
};

// Reads a big-endian u64 at `p` (no alignment needed).
inline uint64_t DecodeU64(const void* p) {
  const auto* b = static_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

// Encodes one u64 key (the primary key of every record table).
inline std::string EncodeU64(uint64_t v) { return KeyBuilder().U64(v).str(); }

// Reads an escaped string component starting at `*pos` in `key`, advancing
// `*pos` past its terminator. Returns false when the key is malformed.
bool DecodeStr(std::string_view key, size_t* pos, std::string* out);

// The smallest key greater than every key starting with `prefix` (for range
// ends); empty when no such key exists (prefix all 0xff).
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace annodb
