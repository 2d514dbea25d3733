// RecordView: one version of one record, read inside a transaction.
//
// Every value in a record table is an envelope (docs/ARCHITECTURE.md,
// "Envelope"): a 40-byte header (checksum, kind, schema version, flags,
// version, sequence, sizes) followed by the version's provenance and its
// payload, both FlatBuffers. A RecordView points into the LMDB page when the
// value is 8-byte aligned (the common case: record keys and values are padded
// so LMDB lays nodes on 8-byte boundaries), and into its own aligned copy
// otherwise, because FlatBuffers reads scalars in place.
//
// Lifetime: a view that points into LMDB is valid until its transaction ends;
// a view holding a copy (owns_copy()) stays valid until destroyed. Never keep
// a view past its transaction. Views are movable, not copyable.
// Thread safety: a view is used by one thread at a time.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "annodb/options.h"
#include "annodb/schema/common_generated.h"
#include "annodb/schema/provenance_generated.h"

namespace annodb {

using RecordKind = fb::RecordKind;
const char* RecordKindName(RecordKind kind);  // "asset", "dataset", ...
// Parses a name from RecordKindName; false if unknown.
bool ParseRecordKind(const std::string& name, RecordKind* out);
inline constexpr int kRecordKindCount = 9;  // RecordKind values 0..8

// Decoded provenance of one version (an owning copy, safe to keep).
struct ProvenanceInfo {
  ActorKind actor_kind = ActorKind::kSystem;
  std::string actor_name;
  std::string model_name;
  std::string model_version;
  uint64_t job_id = 0;
  uint64_t lease_id = 0;
  int64_t time_us = 0;
  uint64_t replaces_version = 0;
  std::string note;
};

class RecordView {
 public:
  RecordView() = default;
  RecordView(RecordView&& other) noexcept { *this = std::move(other); }
  RecordView& operator=(RecordView&& other) noexcept;
  RecordView(const RecordView&) = delete;
  RecordView& operator=(const RecordView&) = delete;

  bool valid() const { return base_ != nullptr; }
  RecordKind kind() const { return static_cast<RecordKind>(base_[8]); }
  uint8_t schema_version() const { return base_[9]; }
  bool deleted() const { return (base_[10] & 1) != 0; }
  uint64_t id() const { return id_; }
  uint64_t version() const { return LoadU64(16); }
  uint64_t sequence() const { return LoadU64(24); }

  // The version's payload: a FlatBuffer whose root type matches kind().
  const uint8_t* payload() const { return base_ + payload_offset_; }
  uint32_t payload_size() const { return LoadU32(32); }
  template <typename T>
  const T* As() const { return flatbuffers::GetRoot<T>(payload()); }

  const fb::Provenance* provenance() const { return fb::GetProvenance(base_ + 40); }
  ProvenanceInfo DecodeProvenance() const;

  // True when this view holds its own copy (the LMDB value was misaligned).
  bool owns_copy() const { return copy_ != nullptr || base_ == inline_copy_; }

  // Internal: adopt the bytes of an envelope already checked for size and
  // checksum. Copies them when `data` is not 8-byte aligned.
  void Reset(uint64_t id, const uint8_t* data, size_t size);

 private:
  uint64_t LoadU64(size_t off) const { uint64_t v; std::memcpy(&v, base_ + off, 8); return v; }
  uint32_t LoadU32(size_t off) const { uint32_t v; std::memcpy(&v, base_ + off, 4); return v; }

  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t payload_offset_ = 0;
  uint64_t id_ = 0;
  std::unique_ptr<uint64_t[]> copy_;
  alignas(8) uint8_t inline_copy_[320];
};

}  // namespace annodb
