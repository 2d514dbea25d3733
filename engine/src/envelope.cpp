#include "envelope.h"

#include <xxhash.h>

#include <cstring>

namespace annodb::envelope {
namespace {
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the envelope is little-endian");

uint32_t LoadU32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
}  // namespace

void Seal(uint8_t* data, size_t size) {
  uint64_t sum = XXH3_64bits(data + 8, size - 8);
  std::memcpy(data, &sum, 8);
}

void Write(uint8_t* dst, const Header& h, const uint8_t* prov, size_t prov_size,
           const uint8_t* payload, size_t payload_size) {
  size_t total = EncodedSize(prov_size, payload_size);
  std::memset(dst, 0, total);
  dst[8] = static_cast<uint8_t>(h.kind);
  dst[9] = kSchemaVersion;
  dst[10] = h.flags;
  uint32_t ps = static_cast<uint32_t>(prov_size);
  std::memcpy(dst + 12, &ps, 4);
  std::memcpy(dst + 16, &h.version, 8);
  std::memcpy(dst + 24, &h.sequence, 8);
  uint32_t ls = static_cast<uint32_t>(payload_size);
  std::memcpy(dst + 32, &ls, 4);
  if (prov_size) std::memcpy(dst + kHeaderSize, prov, prov_size);
  if (payload_size) std::memcpy(dst + kHeaderSize + Pad8(prov_size), payload, payload_size);
  Seal(dst, total);
}

size_t PayloadOffset(const uint8_t* data) { return kHeaderSize + Pad8(LoadU32(data + 12)); }

bool Valid(const uint8_t* data, size_t size) {
  if (size < kHeaderSize) return false;
  if (EncodedSize(LoadU32(data + 12), LoadU32(data + 32)) != size) return false;
  uint64_t stored;
  std::memcpy(&stored, data, 8);
  return stored == XXH3_64bits(data + 8, size - 8) && data[9] != 0 && data[9] <= kSchemaVersion;
}

Status Check(const uint8_t* data, size_t size, const std::string& what) {
  if (size < kHeaderSize) return Status::Corruption(what + ": envelope shorter than its header");
  size_t prov = LoadU32(data + 12), payload = LoadU32(data + 32);
  if (EncodedSize(prov, payload) != size)
    return Status::Corruption(what + ": envelope size fields do not match the value size");
  uint64_t stored;
  std::memcpy(&stored, data, 8);
  if (stored != XXH3_64bits(data + 8, size - 8))
    return Status::Corruption(what + ": checksum mismatch");
  if (data[9] == 0 || data[9] > kSchemaVersion)
    return Status::Corruption(what + ": unknown payload schema version " + std::to_string(data[9]));
  return Status::OK();
}

}  // namespace annodb::envelope
