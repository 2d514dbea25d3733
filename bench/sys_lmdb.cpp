// Raw LMDB: the ceiling. The same rows, key shapes and value sizes as annodb,
// with none of annodb's logic (no validation, envelope checksum, versions,
// provenance, changefeed, counters, upsert lookup, dataset check).
//
// Tables, with annodb's key bytes: "rows": id (u64 BE) -> value; "ext":
// dataset id (u64 BE) + external id -> id (u64 BE); "hash": hash (hi, lo, u64
// BE each) + id -> empty (variant "no-hash" leaves this index out: the
// "rows plus an external-id index" ceiling that issue 6 was calibrated on).
// Value = the bytes annodb stores: its 40-byte envelope header (kind, schema
// version, sizes, version 1; no checksum) and a provenance FlatBuffer with the
// same fields, built once, then the asset's FlatBuffer payload built with
// annodb::BuildAssetPayload, padded to 8 bytes as annodb pads it. Rows are
// appended (MDB_APPEND: ids ascend), the external-id index is put with
// MDB_NOOVERWRITE (the uniqueness check is the put itself).
// Single commits: each thread begins a write transaction per row, puts the
// row and its two index entries, and commits (LMDB's writer lock serialises
// them: every commit is its own, with its own syncs).
// Environment flags: MDB_NOTLS plus the durability flag, as annodb opens its
// environment; the map is made large up front (8x the input file) so it
// never fills.
#include <lmdb.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "annodb/assets.h"
#include "annodb/record.h"
#include "bench.h"
#include "jsonl.h"
#include "queue_lmdb.h"

namespace bench {
namespace {

void Check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw std::runtime_error(std::string("lmdb: ") + what + ": " + mdb_strerror(rc));
}

inline void PutBE64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
inline uint64_t GetBE64(const void* p) {
  const auto* b = static_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}
constexpr size_t Pad8(size_t n) { return (n + 7) & ~size_t{7}; }

class LmdbAdapter : public SystemAdapter {
 public:
  explicit LmdbAdapter(const Config& cfg) : cfg_(cfg) {
    // The size of the provenance annodb stores with every version written by
    // the benchmark's import actor (same fields, same actor name).
    flatbuffers::FlatBufferBuilder pb(256);
    auto name = pb.CreateString("annodb_bench");
    annodb::fb::ProvenanceBuilder prov(pb);
    prov.add_actor_kind(annodb::fb::ActorKind::ImportJob);
    prov.add_actor_name(name);
    prov.add_job_id(1);
    prov.add_lease_id(0);
    prov.add_time_us(1700000000000000);
    prov.add_replaces_version(0);
    pb.Finish(prov.Finish());
    header_bytes_ = 40 + Pad8(pb.GetSize());
    // annodb's envelope header (engine/src/envelope.h) with the checksum and
    // sequence left zero, then the provenance: written as one block per row.
    header_.assign(header_bytes_, '\0');
    header_[8] = static_cast<char>(annodb::fb::RecordKind::Asset);
    header_[9] = 1;  // payload schema version
    uint32_t prov_size = pb.GetSize();
    std::memcpy(header_.data() + 12, &prov_size, 4);
    uint64_t version = 1;
    std::memcpy(header_.data() + 16, &version, 8);
    std::memcpy(header_.data() + 40, pb.GetBufferPointer(), pb.GetSize());
  }
  ~LmdbAdapter() override { Close(); }
  SystemKind kind() const override { return SystemKind::kLmdb; }
  std::string Settings() const override {
    std::string s = "LMDB " + std::to_string(MDB_VERSION_MAJOR) + "." + std::to_string(MDB_VERSION_MINOR) + "." + std::to_string(MDB_VERSION_PATCH) + ", flags MDB_NOTLS";
    if (cfg_.durability == Durability::kLastCommitMayDrop) s += "|MDB_NOMETASYNC";
    if (cfg_.durability == Durability::kProcessCrashSafe) s += "|MDB_NOSYNC";
    s += ", rows + external-id index + content-hash index (variant no-hash: without it)";
    s += ", value = payload + " + std::to_string(header_bytes_) + " header bytes";
    return s;
  }

  void Open(const std::string& dir, bool create) override {
    if (create) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
    }
    Check(mdb_env_create(&env_), "env_create");
    mdb_env_set_maxdbs(env_, 8);
    Check(mdb_env_set_mapsize(env_, MapBytes()), "set_mapsize");
    unsigned flags = MDB_NOTLS;
    if (cfg_.durability == Durability::kLastCommitMayDrop) flags |= MDB_NOMETASYNC;
    if (cfg_.durability == Durability::kProcessCrashSafe) flags |= MDB_NOSYNC;
    Check(mdb_env_open(env_, dir.c_str(), flags, 0644), "env_open");
    MDB_txn* txn;
    Check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    Check(mdb_dbi_open(txn, "rows", MDB_CREATE, &rows_), "open rows");
    Check(mdb_dbi_open(txn, "ext", MDB_CREATE, &ext_), "open ext");
    Check(mdb_dbi_open(txn, "hash", MDB_CREATE, &hash_), "open hash");
    Check(mdb_txn_commit(txn), "commit");
  }

  void Close() override {
    queue_.reset();
    if (env_) {
      if (cfg_.durability == Durability::kProcessCrashSafe) mdb_env_sync(env_, 1);
      mdb_env_close(env_);
    }
    env_ = nullptr;
  }

  // Lease+submit: queue_lmdb.cpp.
  void PrepareQueue() override {
    queue_ = std::make_unique<LmdbQueue>(env_);
    queue_->Prepare(cfg_);
  }
  uint64_t LeaseSubmit(int client, uint64_t cycles, bool, uint64_t*) override {
    return queue_->LeaseSubmit(cfg_, client, cycles);
  }

  uint64_t ImportJsonl(const std::string& path, const std::string& variant) override {
    const bool hash_index = variant != "no-hash";
    LineReader reader(path);
    simdjson::ondemand::parser parser;
    ParsedAsset row;
    flatbuffers::FlatBufferBuilder fbb(1024);
    std::string_view line;
    size_t cap = 0;
    uint64_t next_id = 1, total = 0, in_txn = 0;
    MDB_txn* txn = nullptr;
    std::string extkey;
    while (reader.Next(&line, &cap)) {
      ParseAssetLine(parser, line, cap, MetaMode::kTyped, reader.line_number(), &row);
      if (!txn) Check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
      PutRow(txn, next_id++, row.in, hash_index, &fbb, &extkey);
      ++total;
      if (++in_txn == cfg_.batch) {
        Check(mdb_txn_commit(txn), "commit");
        txn = nullptr;
        in_txn = 0;
      }
    }
    if (txn) Check(mdb_txn_commit(txn), "commit");
    return total;
  }

  void ResolveDataset(ReadKeys* keys) override { keys->dataset_id = kDatasetId; }

  uint64_t ReadById(const ReadKeys& keys) override {
    uint64_t sum = 0;
    const size_t n = keys.ids.size();
    MDB_txn* txn = nullptr;
    char idkey[8];
    for (size_t i = 0; i < n; ++i) {
      if (i % cfg_.read_batch == 0) {
        if (txn) mdb_txn_abort(txn);
        Check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "txn_begin");
      }
      sum += ReadRow(txn, keys.ids[i], idkey);
    }
    if (txn) mdb_txn_abort(txn);
    return sum;
  }

  uint64_t ReadByExternalId(const ReadKeys& keys) override {
    uint64_t sum = 0;
    const size_t n = keys.external_ids.size();
    MDB_txn* txn = nullptr;
    char idkey[8];
    std::string extkey(8, '\0');
    PutBE64(keys.dataset_id, extkey.data());
    for (size_t i = 0; i < n; ++i) {
      if (i % cfg_.read_batch == 0) {
        if (txn) mdb_txn_abort(txn);
        Check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "txn_begin");
      }
      extkey.resize(8);
      extkey.append(keys.external_ids[i]);
      MDB_val k{extkey.size(), extkey.data()}, v;
      Check(mdb_get(txn, ext_, &k, &v), "get ext");
      sum += ReadRow(txn, GetBE64(v.mv_data), idkey);
    }
    if (txn) mdb_txn_abort(txn);
    return sum;
  }

  uint64_t SingleCommits(const WriteRows& w, int threads, const std::string&) override {
    const size_t per = w.rows.size() / static_cast<size_t>(threads);
    std::atomic<uint64_t> next_id{1};
    std::mutex mu;
    std::string error;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        flatbuffers::FlatBufferBuilder fbb(1024);
        std::string extkey;
        try {
          for (size_t i = per * static_cast<size_t>(t); i < per * static_cast<size_t>(t + 1); ++i) {
            MDB_txn* txn = nullptr;
            Check(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
            // Ids are taken inside the write transaction (LMDB's writer lock
            // orders them), so rows still append in id order.
            PutRow(txn, next_id.fetch_add(1, std::memory_order_relaxed), w.rows[i], true, &fbb, &extkey);
            Check(mdb_txn_commit(txn), "commit");
          }
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> g(mu);
          error = e.what();
        }
      });
    }
    for (std::thread& t : ts) t.join();
    if (!error.empty()) throw std::runtime_error(error);
    return per * static_cast<size_t>(threads);
  }

 private:
  // Puts one asset: the external-id entry, the row, the hash entry. On an
  // error the transaction is aborted and an exception thrown.
  void PutRow(MDB_txn* txn, uint64_t id, const annodb::AssetInput& in, bool hash_index,
              flatbuffers::FlatBufferBuilder* fbb, std::string* extkey) {
    try {
      char idkey[8];
      PutBE64(id, idkey);
      extkey->resize(8);
      PutBE64(kDatasetId, extkey->data());
      extkey->append(in.external_id);
      MDB_val k{extkey->size(), extkey->data()}, v{8, idkey};
      int rc = mdb_put(txn, ext_, &k, &v, MDB_NOOVERWRITE);
      if (rc == MDB_KEYEXIST) throw std::runtime_error("lmdb: duplicate external id " + in.external_id);
      Check(rc, "put ext");
      annodb::BuildAssetPayload(kDatasetId, in, fbb);
      MDB_val rk{8, idkey}, rv{header_bytes_ + Pad8(fbb->GetSize()), nullptr};
      Check(mdb_put(txn, rows_, &rk, &rv, MDB_APPEND | MDB_RESERVE), "put row");
      auto* dst = static_cast<char*>(rv.mv_data);
      std::memcpy(dst, header_.data(), header_bytes_);
      uint32_t payload_size = fbb->GetSize();
      std::memcpy(dst + 32, &payload_size, 4);
      std::memcpy(dst + header_bytes_, fbb->GetBufferPointer(), fbb->GetSize());
      std::memset(dst + header_bytes_ + fbb->GetSize(), 0, Pad8(fbb->GetSize()) - fbb->GetSize());
      if (hash_index && in.content_hash) {
        char hashkey[24];
        PutBE64(in.content_hash->hi, hashkey);
        PutBE64(in.content_hash->lo, hashkey + 8);
        PutBE64(id, hashkey + 16);
        MDB_val hk{24, hashkey}, hv{0, nullptr};
        Check(mdb_put(txn, hash_, &hk, &hv, 0), "put hash");
      }
    } catch (...) {
      mdb_txn_abort(txn);
      throw;
    }
  }

  uint64_t ReadRow(MDB_txn* txn, uint64_t id, char* idkey) {
    PutBE64(id, idkey);
    MDB_val k{8, idkey}, v;
    Check(mdb_get(txn, rows_, &k, &v), "get row");
    // The payload starts after the header and the padded provenance, as in
    // annodb's envelope; no checksum is checked (none is stored).
    uint32_t prov_size;
    std::memcpy(&prov_size, static_cast<const char*>(v.mv_data) + 12, 4);
    const auto* a =
        flatbuffers::GetRoot<annodb::fb::Asset>(static_cast<const uint8_t*>(v.mv_data) + 40 + Pad8(prov_size));
    return a->width() + a->uri()->size();
  }

  // Big enough never to fill (8x the input, at least 256 MiB); not a fixed
  // huge size, so that the benchmark also runs under valgrind.
  size_t MapBytes() const {
    std::error_code ec;
    uint64_t in = std::filesystem::file_size(cfg_.jsonl, ec);
    if (ec) in = 0;
    uint64_t want = std::max<uint64_t>(uint64_t{256} << 20, in * 8);
    return static_cast<size_t>((want + (uint64_t{1} << 20) - 1) & ~((uint64_t{1} << 20) - 1));
  }

  static constexpr uint64_t kDatasetId = 1;
  const Config& cfg_;
  size_t header_bytes_ = 40;
  std::string header_;  // envelope header + provenance, the same for every row
  MDB_env* env_ = nullptr;
  MDB_dbi rows_ = 0, ext_ = 0, hash_ = 0;
  std::unique_ptr<LmdbQueue> queue_;
};

}  // namespace

std::unique_ptr<SystemAdapter> MakeLmdbAdapter(const Config& cfg) { return std::make_unique<LmdbAdapter>(cfg); }

}  // namespace bench
