// Helpers for the import tests: synthetic JSON Lines, files, and a
// fingerprint of a store that shows whether anything at all was written.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "annodb/asset_import.h"
#include "annodb/assets.h"
#include "test_util.h"

namespace annodb::test {

// One small synthetic row, like the example. `variant` changes the
// metadata so a row can be made "changed".
inline std::string JsonRow(uint64_t i, int variant = 0, const std::string& prefix = "img-") {
  std::string ext = prefix + std::to_string(i);
  return "{\"external_id\":\"" + ext + "\",\"uri\":\"s3://bucket/" + ext +
         ".jpg\",\"media_type\":\"image/jpeg\",\"width\":640,\"height\":480,\"metadata\":{\"camera\":\"" +
         std::string(1, static_cast<char>('A' + i % 4)) + "\",\"night\":" + (i % 2 ? "true" : "false") +
         ",\"lux\":" + std::to_string(i % 100) + ".5,\"v\":" + std::to_string(variant) + "},\"embedding\":[0.1,0.2]}";
}

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  REQUIRE(f.good());
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Writes rows [from, to) to `path`, one per line.
inline void WriteRows(const std::string& path, uint64_t from, uint64_t to, int variant = 0,
                      const std::string& prefix = "img-") {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  for (uint64_t i = from; i < to; ++i) f << JsonRow(i, variant, prefix) << '\n';
  REQUIRE(f.good());
}

inline Actor Importer() { return Actor::Person("importer"); }

// Everything a write would change: the counters and the data file's bytes.
struct StoreFingerprint {
  StoreStats stats;
  std::string data;
  static StoreFingerprint Of(Store& store) {
    StoreFingerprint f;
    REQUIRE(store.Stats(&f.stats).ok());
    f.data = ReadFile(store.dir() + "/data.mdb");
    return f;
  }
  void RequireSame(const StoreFingerprint& o) const {
    CHECK(stats.sequence == o.stats.sequence);
    for (int k = 0; k < kRecordKindCount; ++k) {
      CHECK(stats.live[k] == o.stats.live[k]);
      CHECK(stats.versions[k] == o.stats.versions[k]);
    }
    CHECK(data.size() == o.data.size());
    CHECK((data == o.data));
  }
};

inline uint64_t DatasetId(Store& store, const std::string& name) {
  uint64_t id = 0;
  REQUIRE(store.Read([&](ReadTxn& t) { return FindDataset(t, name, &id); }).ok());
  return id;
}

inline bool HasDataset(Store& store, const std::string& name) {
  uint64_t id = 0;
  return store.Read([&](ReadTxn& t) { return FindDataset(t, name, &id); }).ok();
}

// All live assets of a dataset by external id, through the paging API;
// fails the test if an external id shows up twice.
inline std::vector<std::string> ListExternalIds(Store& store, uint64_t dataset_id) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::string after;
  for (;;) {
    std::vector<uint64_t> ids;
    std::string next;
    REQUIRE(store.Read([&](ReadTxn& t) {
      ANNODB_RETURN_IF_ERROR(ListAssets(t, dataset_id, after, 5000, &ids, &next));
      for (uint64_t id : ids) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(GetAsset(t, id, kCurrent, &v));
        std::string ext = v.As<fb::Asset>()->external_id()->str();
        REQUIRE(seen.insert(ext).second);
        out.push_back(ext);
      }
      return Status::OK();
    }).ok());
    if (next.empty()) break;
    after = next;
  }
  return out;
}

inline AssetInput GetByExternalId(Store& store, const std::string& dataset, const std::string& ext,
                                  uint64_t* id_out = nullptr, ProvenanceInfo* prov = nullptr) {
  uint64_t ds = DatasetId(store, dataset), id = 0;
  AssetInput in;
  REQUIRE(store.Read([&](ReadTxn& t) {
    ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, ext, &id));
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetAsset(t, id, kCurrent, &v));
    in = DecodeAsset(v.As<fb::Asset>());
    if (prov) *prov = v.DecodeProvenance();
    return Status::OK();
  }).ok());
  if (id_out) *id_out = id;
  return in;
}

}  // namespace annodb::test
