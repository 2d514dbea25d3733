// StackKey: a fixed-size binary key built on the stack, in KeyBuilder's
// byte order (big-endian integers, so keys sort as their numbers).
//
// Why: the hot paths (a lease, a submit, a label write with its views, the
// export's index walk) build several 16-33 byte keys per operation; as
// KeyBuilder strings each one is a heap allocation (longer than
// std::string's small buffer), which cost as much as the rest of the key's
// work. Not for keys with string components (use KeyBuilder).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "annodb/keys.h"

namespace annodb {

// Big-endian stores into p (no alignment needed).
inline void StoreU64BE(char* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}
inline void StoreU32BE(char* p, uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}

template <size_t N>
class StackKey {
 public:
  StackKey& U64(uint64_t v) {
    StoreU64BE(buf_ + n_, v);
    n_ += 8;
    return *this;
  }
  StackKey& U32(uint32_t v) {
    StoreU32BE(buf_ + n_, v);
    n_ += 4;
    return *this;
  }
  StackKey& U8(uint8_t v) {
    buf_[n_++] = static_cast<char>(v);
    return *this;
  }
  std::string_view view() const { return std::string_view(buf_, n_); }

 private:
  static_assert(N <= kMaxKeyBytes);
  char buf_[N];
  size_t n_ = 0;
};

}  // namespace annodb
