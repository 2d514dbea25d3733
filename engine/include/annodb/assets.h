// Datasets and assets: the data rows that get labelled.
//
// A dataset is a named collection (names unique in a store). An asset is one
// row of a dataset: an external id unique within its dataset, a URI, a media
// type, optional size facts, a content hash, typed metadata and an optional
// embedding. Assets and datasets are versioned records (store.h): updates
// keep history, deletes write a tombstone, and every version has provenance.
//
// All functions run inside a transaction the caller holds (Store::Read /
// Store::Write), so several operations compose atomically. Thread safety: as
// for the transaction they are given. Inputs are validated before anything is
// written; an error leaves the transaction as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "annodb/schema/asset_generated.h"
#include "annodb/schema/dataset_generated.h"
#include "annodb/store.h"

namespace annodb {

// Limits enforced on every asset (documented in docs/formats.md).
inline constexpr size_t kMaxExternalIdBytes = 400;  // fits LMDB's 511-byte key with the dataset id
inline constexpr size_t kMaxNameBytes = 200;         // dataset names
inline constexpr size_t kMaxUriBytes = 8192;
inline constexpr size_t kMaxMediaTypeBytes = 255;
inline constexpr size_t kMaxMetadataEntries = 256;
inline constexpr size_t kMaxMetadataKeyBytes = 256;
inline constexpr size_t kMaxMetadataStringBytes = 65536;
inline constexpr size_t kMaxEmbeddingDims = 65536;
inline constexpr size_t kMaxAssetTextBytes = size_t{16} << 20;

// Sentinel for "the current version" in as-of reads.
inline constexpr uint64_t kCurrent = UINT64_MAX;

struct Hash128 {
  uint64_t hi = 0, lo = 0;
  bool operator==(const Hash128&) const = default;
  std::string Hex() const;                 // 32 lowercase hex digits
  static bool FromHex(std::string_view hex, Hash128* out);
};
// xxh3-128 of a byte range; of a file's bytes (IOError when unreadable).
Hash128 HashBytes(const void* data, size_t size);
Status HashFile(const std::string& path, Hash128* out, uint64_t* size);

enum class MetaKind : uint8_t { kString = 0, kInt = 1, kFloat = 2, kBool = 3, kTime = 4 };
struct MetaEntry {
  std::string key;
  MetaKind kind = MetaKind::kString;
  std::string s;     // kString
  int64_t i = 0;     // kInt; kTime: microseconds since the epoch, UTC
  double f = 0;      // kFloat
  bool b = false;    // kBool
  bool operator==(const MetaEntry&) const = default;
};

// Everything an asset holds, as plain values (input to writes, output of Decode).
struct AssetInput {
  std::string external_id;   // required
  std::string uri;           // required
  std::string media_type;
  uint32_t width = 0, height = 0;
  uint64_t duration_ms = 0;
  uint64_t byte_size = 0;
  std::optional<Hash128> content_hash;
  std::vector<MetaEntry> metadata;  // any order; stored sorted, keys unique
  std::vector<float> embedding;
  std::string text;
};

struct DatasetInfo {
  uint64_t id = 0;
  std::string name;
  std::string description;
  uint64_t version = 0;
  uint64_t sequence = 0;
};

// ---- datasets ----
// AlreadyExists when the name is taken; InvalidArgument for a bad name.
Status CreateDataset(WriteTxn& txn, const std::string& name, const std::string& description, uint64_t* id);
// NotFound when no live dataset has that name.
Status FindDataset(const ReadTxn& txn, const std::string& name, uint64_t* id);
Status GetDataset(const ReadTxn& txn, uint64_t id, DatasetInfo* out);
Status ListDatasets(const ReadTxn& txn, std::vector<DatasetInfo>* out);

// ---- assets ----
// Checks every field against the limits above (UTF-8, sizes, finite floats,
// duplicate metadata keys). InvalidArgument names the field.
Status ValidateAsset(const AssetInput& in);
// Serialises a validated asset deterministically (metadata sorted by key),
// so an unchanged asset serialises to the same bytes.
void BuildAssetPayload(uint64_t dataset_id, const AssetInput& in, flatbuffers::FlatBufferBuilder* b);
// Converts a stored asset back to plain values.
AssetInput DecodeAsset(const fb::Asset* a);

// Creates the asset, or writes a new version of the asset with the same
// external id in the dataset (an upsert). *outcome tells which, or
// kUnchanged when the stored version is identical. NotFound if the dataset
// does not exist; InvalidArgument for invalid input.
Status PutAsset(WriteTxn& txn, uint64_t dataset_id, const AssetInput& in, uint64_t* id, PutOutcome* outcome);
// As PutAsset, but skips ValidateAsset (the caller has validated `in`, as the
// bulk importer does in its checking pass).
Status PutValidatedAsset(WriteTxn& txn, uint64_t dataset_id, const AssetInput& in, uint64_t* id,
                         PutOutcome* outcome);
// The asset's id by external id: NotFound when never created (a deleted
// asset keeps its id and is found; reading it then reports the deletion).
Status FindAsset(const ReadTxn& txn, uint64_t dataset_id, std::string_view external_id, uint64_t* id);
// The asset version current at `as_of` (kCurrent = now).
Status GetAsset(const ReadTxn& txn, uint64_t id, uint64_t as_of, RecordView* out);
// Sets and removes metadata keys, writing a new version. NotFound when the
// asset does not exist or is deleted.
Status UpdateAssetMetadata(WriteTxn& txn, uint64_t id, const std::vector<MetaEntry>& set,
                           const std::vector<std::string>& unset, PutOutcome* outcome);
// Writes a new version from `in` for an existing asset (the external id must
// stay the same).
Status UpdateAsset(WriteTxn& txn, uint64_t id, const AssetInput& in, PutOutcome* outcome);
// Writes a tombstone version. NotFound if absent or already deleted.
Status DeleteAsset(WriteTxn& txn, uint64_t id);
// A page of a dataset's live assets in external-id order, starting after
// `after_external_id` (empty = from the start). *next receives the cursor for
// the next page (empty when this was the last page).
Status ListAssets(const ReadTxn& txn, uint64_t dataset_id, std::string_view after_external_id, size_t limit,
                  std::vector<uint64_t>* ids, std::string* next);
// Live assets whose content hash equals `hash` (duplicates), by id.
Status FindAssetsByHash(const ReadTxn& txn, const Hash128& hash, std::vector<uint64_t>* ids);

// Index key helpers (exposed for verify and tests).
std::string AssetExternalIdKey(uint64_t dataset_id, std::string_view external_id);
std::string AssetHashKey(const Hash128& hash, uint64_t asset_id);

}  // namespace annodb
