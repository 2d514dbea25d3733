// The record envelope: how one version of one record is laid out in LMDB.
//
//   offset  size  field
//   0       8     checksum: XXH3-64 of bytes [8, total)
//   8       1     record kind (fb::RecordKind)
//   9       1     schema version of the payload (currently 1)
//   10      1     flags: bit 0 = deleted (tombstone)
//   11      1     reserved, 0
//   12      4     provenance size in bytes
//   16      8     version number (1 = first)
//   24      8     sequence number of the commit that wrote it
//   32      4     payload size in bytes
//   36      4     reserved, 0
//   40      ...   provenance FlatBuffer, zero-padded to a multiple of 8
//   ...     ...   payload FlatBuffer, zero-padded to a multiple of 8
//
// Integers are little-endian. The total size is a multiple of 8 so that, with
// 8-byte record keys, LMDB places every leaf node (and so every value) on an
// 8-byte boundary; readers still check and copy when it is not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "annodb/record.h"
#include "annodb/status.h"

namespace annodb::envelope {

inline constexpr size_t kHeaderSize = 40;
inline constexpr uint8_t kSchemaVersion = 1;
inline constexpr uint8_t kFlagDeleted = 1;

inline constexpr size_t Pad8(size_t n) { return (n + 7) & ~size_t{7}; }

inline size_t EncodedSize(size_t prov_size, size_t payload_size) {
  return kHeaderSize + Pad8(prov_size) + Pad8(payload_size);
}

struct Header {
  RecordKind kind;
  uint8_t flags;
  uint64_t version;
  uint64_t sequence;
};

// Writes a complete envelope into dst (EncodedSize bytes), checksum last.
void Write(uint8_t* dst, const Header& h, const uint8_t* prov, size_t prov_size,
           const uint8_t* payload, size_t payload_size);

// Checks size fields and the checksum of an envelope read from disk.
// `what` names the record in the error message.
Status Check(const uint8_t* data, size_t size, const std::string& what);
// The same checks as Check, without a message: the hot read path calls this
// and builds the record's name for Check only when it fails.
bool Valid(const uint8_t* data, size_t size);

// Returns the payload offset inside a checked envelope.
size_t PayloadOffset(const uint8_t* data);

// Recomputes and stores the checksum (used after editing the header in place).
void Seal(uint8_t* data, size_t size);

}  // namespace annodb::envelope
