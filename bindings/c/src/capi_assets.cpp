// The C ABI: datasets and assets.
#include <cstdlib>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/json_input.h"
#include "internal.h"

namespace annodb::capi {
namespace {

using nlohmann::json;


// Output pair check shared by the text getters: out is required, out_len
// optional.
// Dataset names by id, looked up once per call.
class DatasetNames {
 public:
  explicit DatasetNames(const ReadTxn& txn) : txn_(txn) {}
  const std::string& Get(uint64_t id) {
    auto it = names_.find(id);
    if (it != names_.end()) return it->second;
    DatasetInfo info;
    std::string name;
    if (GetDataset(txn_, id, &info).ok()) name = info.name;
    return names_.emplace(id, std::move(name)).first->second;
  }

 private:
  const ReadTxn& txn_;
  std::unordered_map<uint64_t, std::string> names_;
};

std::string AssetJson(const RecordView& v, DatasetNames& names) {
  const fb::Asset* a = v.As<fb::Asset>();
  return AssetToJson(v, names.Get(a ? a->dataset_id() : 0));
}

// Reads asset `id` as of `as_of` and renders it.
Status GetAssetJson(const ReadTxn& txn, uint64_t id, uint64_t as_of, std::string* text) {
  RecordView v;
  ANNODB_RETURN_IF_ERROR(GetAsset(txn, id, as_of, &v));
  DatasetNames names(txn);
  *text = AssetJson(v, names);
  return Status::OK();
}

Status PutOutcomeCode(PutOutcome o, int* outcome) {
  if (outcome) *outcome = static_cast<int>(o);
  return Status::OK();
}

// Splits a metadata-update object into keys to set (typed through the
// import-line parser, so the typing rules are the same as for imports) and
// keys to remove (null values).
Status ParseMetadataUpdate(const char* text, std::vector<MetaEntry>* set, std::vector<std::string>* unset) {
  std::string_view sv(text);
  ANNODB_RETURN_IF_ERROR(CheckJsonInput(sv).WithContext("metadata update"));
  json j = json::parse(sv.begin(), sv.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("metadata update is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("metadata update must be a JSON object");
  json to_set = json::object();
  for (auto& [key, value] : j.items()) {
    if (value.is_null()) {
      unset->push_back(key);
      continue;
    }
    // Only scalars and one-level objects ({"$time": ...}) can be metadata;
    // refusing deeper values here also bounds the work of re-serialising.
    if (value.is_array())
      return Status::InvalidArgument("metadata." + key + " is an array; metadata values are scalars");
    if (value.is_object()) {
      for (auto& [k2, v2] : value.items()) {
        (void)k2;
        if (v2.is_structured())
          return Status::InvalidArgument("metadata." + key + " is a nested object; metadata values are scalars");
      }
    }
    to_set[key] = value;
  }
  if (to_set.empty()) return Status::OK();
  json line = {{"external_id", "x"}, {"uri", "x"}, {"metadata", std::move(to_set)}};
  AssetInput in;
  ANNODB_RETURN_IF_ERROR(ParseAssetJson(Dump(line), &in));
  *set = std::move(in.metadata);
  return Status::OK();
}

}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

extern "C" {

// ---- datasets ----

ANNODB_EXPORT int annodb_dataset_create(annodb_store* store, const char* name, const char* description,
                                        const annodb_actor* actor, uint64_t* id) {
  if (id) *id = 0;
  return Run(store, "annodb_dataset_create", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "dataset name"));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string n(name), d(description ? description : "");
    uint64_t new_id = 0;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) { return CreateDataset(t, n, d, &new_id); }));
    if (id) *id = new_id;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_dataset_find(annodb_store* store, const char* name, uint64_t* id) {
  if (id) *id = 0;
  return Run(store, "annodb_dataset_find", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "dataset name"));
    if (id == nullptr) return Status::InvalidArgument("id is NULL");
    std::string n(name);
    uint64_t found = 0;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) { return FindDataset(t, n, &found); }));
    *id = found;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_dataset_list(annodb_store* store, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_dataset_list", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::vector<DatasetInfo> list;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) { return ListDatasets(t, &list); }));
    json arr = json::array();
    for (const DatasetInfo& d : list)
      arr.push_back({{"id", d.id},
                     {"name", d.name},
                     {"description", d.description},
                     {"version", d.version},
                     {"sequence", d.sequence}});
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

// ---- assets ----

ANNODB_EXPORT int annodb_asset_put_json(annodb_store* store, const char* dataset, const char* json_text,
                                        const annodb_actor* actor, uint64_t* id, int* outcome) {
  if (id) *id = 0;
  if (outcome) *outcome = 0;
  return Run(store, "annodb_asset_put_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(dataset, "dataset name"));
    ANNODB_RETURN_IF_ERROR(RequireString(json_text, "json"));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    AssetInput in;
    ANNODB_RETURN_IF_ERROR(ParseAssetJson(json_text, &in));
    ANNODB_RETURN_IF_ERROR(ValidateAsset(in));
    std::string ds_name(dataset);
    uint64_t asset_id = 0;
    PutOutcome o = PutOutcome::kUnchanged;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) {
      uint64_t ds = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(t, ds_name, &ds));
      return PutValidatedAsset(t, ds, in, &asset_id, &o);
    }));
    if (id) *id = asset_id;
    return PutOutcomeCode(o, outcome);
  });
}

ANNODB_EXPORT int annodb_asset_get(annodb_store* store, uint64_t id, uint64_t as_of, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_asset_get", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) { return GetAssetJson(t, id, as_of, &text); }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_asset_get_by_external_id(annodb_store* store, const char* dataset, const char* external_id,
                                                  uint64_t as_of, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_asset_get_by_external_id", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(dataset, "dataset name"));
    ANNODB_RETURN_IF_ERROR(RequireString(external_id, "external_id"));
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string ds_name(dataset), ext(external_id);
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) {
      uint64_t ds = 0, asset_id = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(t, ds_name, &ds));
      ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, ext, &asset_id));
      return GetAssetJson(t, asset_id, as_of, &text);
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_asset_get_at_snapshot(annodb_store* store, uint64_t id, const char* snapshot, char** out,
                                               size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_asset_get_at_snapshot", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(snapshot, "snapshot name"));
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string name(snapshot);
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) {
      SnapshotInfo info;
      ANNODB_RETURN_IF_ERROR(t.GetSnapshot(name, &info));
      return GetAssetJson(t, id, info.sequence, &text);
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_asset_update_metadata(annodb_store* store, uint64_t id, const char* json_text,
                                               const annodb_actor* actor, int* outcome) {
  if (outcome) *outcome = 0;
  return Run(store, "annodb_asset_update_metadata", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(json_text, "json"));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::vector<MetaEntry> set;
    std::vector<std::string> unset;
    ANNODB_RETURN_IF_ERROR(ParseMetadataUpdate(json_text, &set, &unset));
    PutOutcome o = PutOutcome::kUnchanged;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) { return UpdateAssetMetadata(t, id, set, unset, &o); }));
    return PutOutcomeCode(o, outcome);
  });
}

ANNODB_EXPORT int annodb_asset_delete(annodb_store* store, uint64_t id, const annodb_actor* actor) {
  return Run(store, "annodb_asset_delete", [&](Store& s) -> Status {
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return s.Write(a, [&](WriteTxn& t) { return DeleteAsset(t, id); });
  });
}

ANNODB_EXPORT int annodb_asset_history(annodb_store* store, uint64_t id, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_asset_history", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) {
      std::vector<RecordView> versions;
      ANNODB_RETURN_IF_ERROR(t.History(RecordKind::Asset, id, &versions));
      DatasetNames names(t);
      text = "[";
      for (size_t i = 0; i < versions.size(); ++i) {
        if (i) text += ',';
        text += AssetJson(versions[i], names);
      }
      text += ']';
      return Status::OK();
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_asset_list(annodb_store* store, const char* dataset, const char* after, size_t limit,
                                    char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_asset_list", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(dataset, "dataset name"));
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string ds_name(dataset);
    std::string cursor(after ? after : "");
    if (cursor.size() > kMaxExternalIdBytes)
      return Status::InvalidArgument("after is longer than an external id can be (" +
                                     std::to_string(kMaxExternalIdBytes) + " bytes)");
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) {
      uint64_t ds = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(t, ds_name, &ds));
      std::vector<uint64_t> ids;
      std::string next;
      ANNODB_RETURN_IF_ERROR(ListAssets(t, ds, cursor, limit, &ids, &next));
      DatasetNames names(t);
      text = "{\"items\":[";
      for (size_t i = 0; i < ids.size(); ++i) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Asset, ids[i], &v));
        if (i) text += ',';
        text += AssetJson(v, names);
      }
      text += "],\"next\":";
      text += next.empty() ? std::string("null") : JsonString(next);
      text += '}';
      return Status::OK();
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_asset_find_by_hash(annodb_store* store, const char* hash_hex, char** out,
                                            size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_asset_find_by_hash", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(hash_hex, "hash_hex"));
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    Hash128 hash;
    if (!Hash128::FromHex(hash_hex, &hash))
      return Status::InvalidArgument("content hash must be 32 hex digits");
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) {
      std::vector<uint64_t> ids;
      ANNODB_RETURN_IF_ERROR(FindAssetsByHash(t, hash, &ids));
      DatasetNames names(t);
      text = "[";
      bool first = true;
      for (uint64_t asset_id : ids) {
        RecordView v;
        Status gs = t.Get(RecordKind::Asset, asset_id, &v);
        if (gs.IsNotFound()) continue;
        ANNODB_RETURN_IF_ERROR(gs);
        if (!first) text += ',';
        first = false;
        text += AssetJson(v, names);
      }
      text += ']';
      return Status::OK();
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_asset_flatbuffer(annodb_store* store, uint64_t id, uint64_t as_of, void** out,
                                          size_t* out_len) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  return Run(store, "annodb_asset_flatbuffer", [&](Store& s) -> Status {
    if (out == nullptr) return Status::InvalidArgument("out is NULL");
    if (out_len == nullptr) return Status::InvalidArgument("out_len is NULL");
    std::string bytes;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(GetAsset(t, id, as_of, &v));
      bytes.assign(reinterpret_cast<const char*>(v.payload()), v.payload_size());
      return Status::OK();
    }));
    // malloc's alignment (alignof(max_align_t)) is enough for FlatBuffers.
    void* p = std::malloc(bytes.empty() ? 1 : bytes.size());
    if (p == nullptr) throw std::bad_alloc();
    if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
    *out = p;
    *out_len = bytes.size();
    return Status::OK();
  });
}

}  // extern "C"
