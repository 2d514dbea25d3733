// Datasets and assets on top of versioned records and their indexes.
#include "annodb/assets.h"

#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

#include "annodb/asset_json.h"
#include "annodb/keys.h"

namespace annodb {

// ---- hashing ----

std::string Hash128::Hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kDigits[(hi >> (4 * i)) & 15];
    out[31 - i] = kDigits[(lo >> (4 * i)) & 15];
  }
  return out;
}

bool Hash128::FromHex(std::string_view hex, Hash128* out) {
  if (hex.size() != 32) return false;
  uint64_t parts[2] = {0, 0};
  for (size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    parts[i / 16] = (parts[i / 16] << 4) | static_cast<uint64_t>(d);
  }
  out->hi = parts[0];
  out->lo = parts[1];
  return true;
}

Hash128 HashBytes(const void* data, size_t size) {
  XXH128_hash_t h = XXH3_128bits(data, size);
  return {h.high64, h.low64};
}

Status HashFile(const std::string& path, Hash128* out, uint64_t* size) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IOError("cannot read '" + path + "'");
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> st(XXH3_createState(), &XXH3_freeState);
  if (!st) return Status::IOError("out of memory");
  XXH3_128bits_reset(st.get());
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    XXH3_128bits_update(st.get(), buf.data(), n);
    total += n;
  }
  if (std::ferror(f.get())) return Status::IOError("error reading '" + path + "'");
  XXH128_hash_t h = XXH3_128bits_digest(st.get());
  *out = {h.high64, h.low64};
  if (size) *size = total;
  return Status::OK();
}

// ---- keys ----

std::string AssetExternalIdKey(uint64_t dataset_id, std::string_view external_id) {
  return KeyBuilder().U64(dataset_id).Tail(external_id).str();
}

std::string AssetHashKey(const Hash128& hash, uint64_t asset_id) {
  return KeyBuilder().U64(hash.hi).U64(hash.lo).U64(asset_id).str();
}

namespace {

void PutBE64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// The same keys as AssetExternalIdKey and AssetHashKey, built in a stack
// buffer: the import and read hot paths allocate nothing for them.
class ExternalIdKey {
 public:
  ExternalIdKey(uint64_t dataset_id, std::string_view external_id) {
    PutBE64(dataset_id, buf_);
    size_ = 8 + std::min(external_id.size(), kMaxExternalIdBytes);
    std::memcpy(buf_ + 8, external_id.data(), size_ - 8);
  }
  std::string_view view() const { return {buf_, size_}; }

 private:
  char buf_[8 + kMaxExternalIdBytes];
  size_t size_;
};

class HashKey {
 public:
  HashKey(const Hash128& hash, uint64_t asset_id) {
    PutBE64(hash.hi, buf_);
    PutBE64(hash.lo, buf_ + 8);
    PutBE64(asset_id, buf_ + 16);
  }
  std::string_view view() const { return {buf_, sizeof buf_}; }

 private:
  char buf_[24];
};

}  // namespace

// ---- validation ----

namespace {

bool ValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

Status CheckText(std::string_view field, std::string_view value, size_t max, bool required) {
  if (required && value.empty()) return Status::InvalidArgument(std::string(field) + " is required");
  if (value.size() > max)
    return Status::InvalidArgument(std::string(field) + " is " + std::to_string(value.size()) +
                                   " bytes, more than the limit of " + std::to_string(max));
  if (!ValidUtf8(value)) return Status::InvalidArgument(std::string(field) + " is not valid UTF-8");
  return Status::OK();
}

Status CheckName(std::string_view what, const std::string& name) {
  ANNODB_RETURN_IF_ERROR(CheckText(what, name, kMaxNameBytes, true));
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return Status::InvalidArgument(std::string(what) + " contains a control character");
  return Status::OK();
}

flatbuffers::Offset<flatbuffers::String> OptString(flatbuffers::FlatBufferBuilder* b, const std::string& s) {
  return s.empty() ? flatbuffers::Offset<flatbuffers::String>() : b->CreateString(s);
}

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

}  // namespace

Status ValidateAsset(const AssetInput& in) {
  ANNODB_RETURN_IF_ERROR(CheckText("external_id", in.external_id, kMaxExternalIdBytes, true));
  ANNODB_RETURN_IF_ERROR(CheckText("uri", in.uri, kMaxUriBytes, true));
  ANNODB_RETURN_IF_ERROR(CheckText("media_type", in.media_type, kMaxMediaTypeBytes, false));
  ANNODB_RETURN_IF_ERROR(CheckText("text", in.text, kMaxAssetTextBytes, false));
  if (in.metadata.size() > kMaxMetadataEntries)
    return Status::InvalidArgument("metadata has " + std::to_string(in.metadata.size()) + " keys, more than " +
                                   std::to_string(kMaxMetadataEntries));
  for (const MetaEntry& m : in.metadata) {
    ANNODB_RETURN_IF_ERROR(CheckText("metadata key", m.key, kMaxMetadataKeyBytes, true));
    // The field name is built only for the message of a failing check.
    if (m.kind == MetaKind::kString && (m.s.size() > kMaxMetadataStringBytes || !ValidUtf8(m.s)))
      return CheckText("metadata." + m.key, m.s, kMaxMetadataStringBytes, false);
    if (m.kind == MetaKind::kFloat && !std::isfinite(m.f))
      return Status::InvalidArgument("metadata." + m.key + " is not a finite number");
    if (static_cast<int>(m.kind) > static_cast<int>(MetaKind::kTime))
      return Status::InvalidArgument("metadata." + m.key + " has an unknown type");
    // Exports print times in RFC 3339; one they could not print would not restore.
    if (m.kind == MetaKind::kTime && !Rfc3339Printable(m.i))
      return Status::InvalidArgument("metadata." + m.key + " is a time outside years 0000..9999 (UTC)");
  }
  // Duplicate keys: pairwise for the usual handful of keys (no allocation),
  // sorted beyond that.
  const size_t nmeta = in.metadata.size();
  if (nmeta <= 16) {
    for (size_t i = 1; i < nmeta; ++i)
      for (size_t j = 0; j < i; ++j)
        if (in.metadata[i].key == in.metadata[j].key)
          return Status::InvalidArgument("metadata key '" + in.metadata[i].key + "' appears twice");
  } else {
    std::vector<std::string_view> keys;
    keys.reserve(nmeta);
    for (const MetaEntry& m : in.metadata) keys.push_back(m.key);
    std::sort(keys.begin(), keys.end());
    auto dup = std::adjacent_find(keys.begin(), keys.end());
    if (dup != keys.end()) return Status::InvalidArgument("metadata key '" + std::string(*dup) + "' appears twice");
  }
  if (in.embedding.size() > kMaxEmbeddingDims)
    return Status::InvalidArgument("embedding has " + std::to_string(in.embedding.size()) + " dimensions, more than " +
                                   std::to_string(kMaxEmbeddingDims));
  for (float f : in.embedding)
    if (!std::isfinite(f)) return Status::InvalidArgument("embedding holds a value that is not a finite number");
  return Status::OK();
}

void BuildAssetPayload(uint64_t dataset_id, const AssetInput& in, flatbuffers::FlatBufferBuilder* b) {
  b->Clear();
  auto ext = b->CreateString(in.external_id);
  auto uri = b->CreateString(in.uri);
  auto media = OptString(b, in.media_type);
  auto text = OptString(b, in.text);
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::MetaValue>>> meta;
  if (!in.metadata.empty()) {
    // Scratch vectors kept per thread: building a payload allocates nothing
    // once they have grown to the largest metadata seen.
    thread_local std::vector<const MetaEntry*> sorted;
    thread_local std::vector<flatbuffers::Offset<fb::MetaValue>> vals;
    sorted.clear();
    vals.clear();
    for (const MetaEntry& m : in.metadata) sorted.push_back(&m);
    std::sort(sorted.begin(), sorted.end(), [](const MetaEntry* a, const MetaEntry* c) { return a->key < c->key; });
    for (const MetaEntry* m : sorted) {
      auto key = b->CreateString(m->key);
      auto s = m->kind == MetaKind::kString ? b->CreateString(m->s) : flatbuffers::Offset<flatbuffers::String>();
      fb::MetaValueBuilder mv(*b);
      mv.add_key(key);
      mv.add_kind(static_cast<fb::ValueKind>(m->kind));
      switch (m->kind) {
        case MetaKind::kString: mv.add_s(s); break;
        case MetaKind::kInt:
        case MetaKind::kTime: mv.add_i(m->i); break;
        case MetaKind::kFloat: mv.add_f(m->f); break;
        case MetaKind::kBool: mv.add_b(m->b); break;
      }
      vals.push_back(mv.Finish());
    }
    meta = b->CreateVector(vals);  // already sorted by key: binary search works
  }
  auto emb = in.embedding.empty() ? flatbuffers::Offset<flatbuffers::Vector<float>>() : b->CreateVector(in.embedding);
  fb::AssetBuilder ab(*b);
  ab.add_dataset_id(dataset_id);
  ab.add_external_id(ext);
  ab.add_uri(uri);
  if (!media.IsNull()) ab.add_media_type(media);
  ab.add_width(in.width);
  ab.add_height(in.height);
  ab.add_duration_ms(in.duration_ms);
  ab.add_byte_size(in.byte_size);
  fb::Hash128 h(in.content_hash ? in.content_hash->hi : 0, in.content_hash ? in.content_hash->lo : 0);
  if (in.content_hash) ab.add_content_hash(&h);
  if (!meta.IsNull()) ab.add_metadata(meta);
  if (!emb.IsNull()) ab.add_embedding(emb);
  if (!text.IsNull()) ab.add_text(text);
  b->Finish(ab.Finish());
}

AssetInput DecodeAsset(const fb::Asset* a) {
  AssetInput in;
  if (!a) return in;
  in.external_id = Str(a->external_id());
  in.uri = Str(a->uri());
  in.media_type = Str(a->media_type());
  in.width = a->width();
  in.height = a->height();
  in.duration_ms = a->duration_ms();
  in.byte_size = a->byte_size();
  if (a->content_hash()) in.content_hash = Hash128{a->content_hash()->hi(), a->content_hash()->lo()};
  if (a->metadata()) {
    for (const fb::MetaValue* m : *a->metadata()) {
      MetaEntry e;
      e.key = Str(m->key());
      e.kind = static_cast<MetaKind>(m->kind());
      e.s = Str(m->s());
      e.i = m->i();
      e.f = m->f();
      e.b = m->b();
      in.metadata.push_back(std::move(e));
    }
  }
  if (a->embedding()) in.embedding.assign(a->embedding()->begin(), a->embedding()->end());
  in.text = Str(a->text());
  return in;
}

// ---- datasets ----

Status CreateDataset(WriteTxn& txn, const std::string& name, const std::string& description, uint64_t* id) {
  ANNODB_RETURN_IF_ERROR(CheckName("dataset name", name));
  ANNODB_RETURN_IF_ERROR(CheckText("dataset description", description, 65536, false));
  std::string_view existing;
  if (txn.IndexGet(Index::kDatasetByName, name, &existing).ok())
    return Status::AlreadyExists("dataset '" + name + "' already exists");
  uint64_t new_id = 0;
  ANNODB_RETURN_IF_ERROR(txn.AllocateId(RecordKind::Dataset, &new_id));
  flatbuffers::FlatBufferBuilder b(128);
  auto n = b.CreateString(name);
  auto d = OptString(&b, description);
  fb::DatasetBuilder db(b);
  db.add_name(n);
  if (!d.IsNull()) db.add_description(d);
  b.Finish(db.Finish());
  ANNODB_RETURN_IF_ERROR(txn.Put(RecordKind::Dataset, new_id, b.GetBufferPointer(), b.GetSize(), nullptr));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kDatasetByName, name, EncodeU64(new_id)));
  if (id) *id = new_id;
  return Status::OK();
}

Status FindDataset(const ReadTxn& txn, const std::string& name, uint64_t* id) {
  if (name.empty() || name.size() > kMaxNameBytes) return Status::InvalidArgument("dataset name must be 1..200 bytes");
  std::string_view v;
  Status s = txn.IndexGet(Index::kDatasetByName, name, &v);
  if (s.IsNotFound()) return Status::NotFound("no dataset named '" + name + "'");
  ANNODB_RETURN_IF_ERROR(s);
  if (v.size() != 8) return Status::Corruption("dataset index entry for '" + name + "' is malformed");
  *id = DecodeU64(v.data());
  return Status::OK();
}

Status GetDataset(const ReadTxn& txn, uint64_t id, DatasetInfo* out) {
  RecordView view;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Dataset, id, &view));
  const fb::Dataset* d = view.As<fb::Dataset>();
  out->id = id;
  out->name = Str(d->name());
  out->description = Str(d->description());
  out->version = view.version();
  out->sequence = view.sequence();
  return Status::OK();
}

Status ListDatasets(const ReadTxn& txn, std::vector<DatasetInfo>* out) {
  out->clear();
  return txn.Scan(RecordKind::Dataset, 1, [&](const RecordView& v) {
    const fb::Dataset* d = v.As<fb::Dataset>();
    out->push_back({v.id(), Str(d->name()), Str(d->description()), v.version(), v.sequence()});
    return true;
  });
}

// ---- assets ----

Status PutAsset(WriteTxn& txn, uint64_t dataset_id, const AssetInput& in, uint64_t* id, PutOutcome* outcome) {
  ANNODB_RETURN_IF_ERROR(ValidateAsset(in));
  return PutValidatedAsset(txn, dataset_id, in, id, outcome);
}

namespace {

// Keeps the content-hash index in step with an asset's versions.
Status UpdateHashIndex(WriteTxn& txn, uint64_t id, const std::optional<Hash128>& old_hash,
                       const std::optional<Hash128>& new_hash) {
  if (old_hash == new_hash) return Status::OK();
  if (old_hash) ANNODB_RETURN_IF_ERROR(txn.IndexDelete(Index::kAssetByHash, HashKey(*old_hash, id).view()));
  if (new_hash) ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kAssetByHash, HashKey(*new_hash, id).view(), ""));
  return Status::OK();
}

std::optional<Hash128> HashOf(const fb::Asset* a) {
  if (!a || !a->content_hash()) return std::nullopt;
  return Hash128{a->content_hash()->hi(), a->content_hash()->lo()};
}

thread_local flatbuffers::FlatBufferBuilder t_builder(1024);

}  // namespace

Status PutValidatedAsset(WriteTxn& txn, uint64_t dataset_id, const AssetInput& in, uint64_t* id,
                         PutOutcome* outcome) {
  if (in.external_id.empty() || in.external_id.size() > kMaxExternalIdBytes)
    return Status::InvalidArgument("external id must be 1.." + std::to_string(kMaxExternalIdBytes) + " bytes");
  ExternalIdKey ext_key(dataset_id, in.external_id);
  std::string_view idv;
  bool exists = false;
  ANNODB_RETURN_IF_ERROR(txn.IndexFind(Index::kAssetByExternalId, ext_key.view(), &idv, &exists));
  uint64_t asset_id = 0;
  std::optional<Hash128> old_hash;
  bool old_live = false;
  if (exists) {
    if (idv.size() != 8) return Status::Corruption("external-id index entry is malformed");
    asset_id = DecodeU64(idv.data());
    RecordView cur;
    ANNODB_RETURN_IF_ERROR(txn.GetIncludingDeleted(RecordKind::Asset, asset_id, &cur));
    old_live = !cur.deleted();
    if (old_live) old_hash = HashOf(cur.As<fb::Asset>());
  } else {
    // Checked once per transaction (RequireLive remembers), not per row.
    Status dss = txn.RequireLive(RecordKind::Dataset, dataset_id);
    if (dss.IsNotFound()) return Status::NotFound("dataset " + std::to_string(dataset_id) + " does not exist");
    ANNODB_RETURN_IF_ERROR(dss);
    ANNODB_RETURN_IF_ERROR(txn.AllocateId(RecordKind::Asset, &asset_id));
    char idbuf[8];
    PutBE64(asset_id, idbuf);
    ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kAssetByExternalId, ext_key.view(), std::string_view(idbuf, 8)));
  }
  flatbuffers::FlatBufferBuilder& b = t_builder;
  BuildAssetPayload(dataset_id, in, &b);
  PutOutcome out;
  ANNODB_RETURN_IF_ERROR(txn.Put(RecordKind::Asset, asset_id, b.GetBufferPointer(), b.GetSize(), &out));
  if (out != PutOutcome::kUnchanged) ANNODB_RETURN_IF_ERROR(UpdateHashIndex(txn, asset_id, old_hash, in.content_hash));
  if (id) *id = asset_id;
  if (outcome) *outcome = out;
  return Status::OK();
}

Status FindAsset(const ReadTxn& txn, uint64_t dataset_id, std::string_view external_id, uint64_t* id) {
  if (external_id.empty() || external_id.size() > kMaxExternalIdBytes)
    return Status::InvalidArgument("external id must be 1.." + std::to_string(kMaxExternalIdBytes) + " bytes");
  std::string_view v;
  bool found = false;
  ANNODB_RETURN_IF_ERROR(txn.IndexFind(Index::kAssetByExternalId, ExternalIdKey(dataset_id, external_id).view(), &v, &found));
  if (!found)
    return Status::NotFound("no asset '" + std::string(external_id) + "' in dataset " + std::to_string(dataset_id));
  if (v.size() != 8) return Status::Corruption("external-id index entry is malformed");
  *id = DecodeU64(v.data());
  return Status::OK();
}

Status GetAsset(const ReadTxn& txn, uint64_t id, uint64_t as_of, RecordView* out) {
  if (as_of == kCurrent) return txn.Get(RecordKind::Asset, id, out);
  return txn.GetAsOf(RecordKind::Asset, id, as_of, out);
}

Status UpdateAsset(WriteTxn& txn, uint64_t id, const AssetInput& in, PutOutcome* outcome) {
  RecordView cur;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Asset, id, &cur));
  const fb::Asset* a = cur.As<fb::Asset>();
  if (Str(a->external_id()) != in.external_id)
    return Status::InvalidArgument("an update cannot change the external id ('" + Str(a->external_id()) + "')");
  ANNODB_RETURN_IF_ERROR(ValidateAsset(in));
  uint64_t dataset_id = a->dataset_id();
  std::optional<Hash128> old_hash = HashOf(a);
  flatbuffers::FlatBufferBuilder& b = t_builder;
  BuildAssetPayload(dataset_id, in, &b);
  PutOutcome out;
  ANNODB_RETURN_IF_ERROR(txn.Put(RecordKind::Asset, id, b.GetBufferPointer(), b.GetSize(), &out));
  if (out != PutOutcome::kUnchanged) ANNODB_RETURN_IF_ERROR(UpdateHashIndex(txn, id, old_hash, in.content_hash));
  if (outcome) *outcome = out;
  return Status::OK();
}

Status UpdateAssetMetadata(WriteTxn& txn, uint64_t id, const std::vector<MetaEntry>& set,
                           const std::vector<std::string>& unset, PutOutcome* outcome) {
  RecordView cur;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Asset, id, &cur));
  AssetInput in = DecodeAsset(cur.As<fb::Asset>());
  for (const std::string& key : unset) {
    auto it = std::find_if(in.metadata.begin(), in.metadata.end(), [&](const MetaEntry& m) { return m.key == key; });
    if (it == in.metadata.end()) return Status::NotFound("metadata key '" + key + "' is not set on asset " + std::to_string(id));
    in.metadata.erase(it);
  }
  for (const MetaEntry& e : set) {
    auto it = std::find_if(in.metadata.begin(), in.metadata.end(), [&](const MetaEntry& m) { return m.key == e.key; });
    if (it == in.metadata.end()) in.metadata.push_back(e);
    else *it = e;
  }
  return UpdateAsset(txn, id, in, outcome);
}

Status DeleteAsset(WriteTxn& txn, uint64_t id) {
  RecordView cur;
  ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Asset, id, &cur));
  std::optional<Hash128> old_hash = HashOf(cur.As<fb::Asset>());
  ANNODB_RETURN_IF_ERROR(txn.Delete(RecordKind::Asset, id));
  // The external-id index keeps pointing at the id, so re-importing the same
  // external id revives the record with continuous history.
  return UpdateHashIndex(txn, id, old_hash, std::nullopt);
}

Status ListAssets(const ReadTxn& txn, uint64_t dataset_id, std::string_view after_external_id, size_t limit,
                  std::vector<uint64_t>* ids, std::string* next) {
  ids->clear();
  if (next) next->clear();
  if (limit == 0) limit = 100;
  std::string prefix = KeyBuilder().U64(dataset_id).str();
  std::string from = after_external_id.empty() ? prefix : AssetExternalIdKey(dataset_id, after_external_id) + '\0';
  std::string last_ext;
  bool more = false;
  Status inner;
  ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kAssetByExternalId, from, prefix, [&](std::string_view k, std::string_view v) {
    if (v.size() != 8) {
      inner = Status::Corruption("external-id index entry is malformed");
      return false;
    }
    uint64_t id = DecodeU64(v.data());
    RecordView view;
    Status gs = txn.GetIncludingDeleted(RecordKind::Asset, id, &view);
    if (!gs.ok()) {
      inner = gs;
      return false;
    }
    if (view.deleted()) return true;
    if (ids->size() == limit) {
      more = true;
      return false;
    }
    ids->push_back(id);
    last_ext.assign(k.substr(8));
    return true;
  }));
  ANNODB_RETURN_IF_ERROR(inner);
  if (more && next) *next = last_ext;
  return Status::OK();
}

Status FindAssetsByHash(const ReadTxn& txn, const Hash128& hash, std::vector<uint64_t>* ids) {
  ids->clear();
  std::string prefix = KeyBuilder().U64(hash.hi).U64(hash.lo).str();
  return txn.IndexScan(Index::kAssetByHash, "", prefix, [&](std::string_view k, std::string_view) {
    if (k.size() == 24) ids->push_back(DecodeU64(k.data() + 16));
    return true;
  });
}

}  // namespace annodb
