// annodb through its public C++ API.
//
// Import, variant "api": the JSONL file is read with the benchmark's shared
// LineReader and simdjson parser (the same code the SQLite and raw LMDB
// loaders use), each row checked with ValidateAsset, and a batch of rows put
// with PutValidatedAsset in one Store::Write. Rows are parsed before the
// write transaction starts because Store::Write may run its function again
// (when the map grows), so the function must not consume input.
// Import, variant "import": annodb::ImportJsonl, the engine's own bulk importer
// (what `annodb import` runs), reading the same file from disk.
//
// Single commits: threads each put one asset per Store::Write (variant
// "write") or per Store::WriteGrouped (variant "grouped": concurrent writes
// share commits), with PutAsset (validation included).
//
// Point reads: one Store::Read per read batch; every read goes through
// GetAsset (and FindAsset for external ids), then RecordView::As<fb::Asset>()
// and reads two fields.
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "annodb/assets.h"
#include "annodb/store.h"
#include "bench.h"
#include "jsonl.h"
#include "labels_annodb.h"

#if __has_include("annodb/asset_import.h")
#include "annodb/asset_import.h"
#define BENCH_HAVE_IMPORTER 1
#else
#define BENCH_HAVE_IMPORTER 0
#endif

namespace bench {

bool AnnodbHasImporter() { return BENCH_HAVE_IMPORTER != 0; }

namespace {

void Check(const annodb::Status& s, const char* what) {
  if (!s.ok()) throw std::runtime_error(std::string("annodb: ") + what + ": " + s.ToString());
}

annodb::Durability ToAnnodb(Durability d) {
  switch (d) {
    case Durability::kFull: return annodb::Durability::kFull;
    case Durability::kLastCommitMayDrop: return annodb::Durability::kLastCommitMayDrop;
    case Durability::kProcessCrashSafe: return annodb::Durability::kProcessCrashSafe;
  }
  return annodb::Durability::kFull;
}

class AnnodbAdapter : public SystemAdapter {
 public:
  explicit AnnodbAdapter(const Config& cfg) : cfg_(cfg) {
    actor_.kind = annodb::ActorKind::kImportJob;
    actor_.name = "annodb_bench";
  }
  SystemKind kind() const override { return SystemKind::kAnnodb; }
  std::string Settings() const override {
    uint64_t map_mib = cfg_.annodb_map_mib ? cfg_.annodb_map_mib : annodb::StoreOptions().initial_map_bytes >> 20;
    return std::string("Durability ") + DurabilityName(cfg_.durability) + ", map grows from " +
           (cfg_.annodb_map_mib ? "" : "the default ") + std::to_string(map_mib) + " MiB";
  }

  void Open(const std::string& dir, bool create) override {
    annodb::StoreOptions o;
    o.create_if_missing = create;
    o.durability = ToAnnodb(cfg_.durability);
    if (cfg_.annodb_map_mib) o.initial_map_bytes = cfg_.annodb_map_mib << 20;
    Check(annodb::Store::Open(dir, o, &store_), "open");
  }
  void Close() override { store_.reset(); }

  uint64_t ImportJsonl(const std::string& path, const std::string& variant) override {
    if (variant == "import") return ImportWithImporter(path);
    return ImportWithApi(path);
  }

  void ResolveDataset(ReadKeys* keys) override {
    Check(store_->Read([&](annodb::ReadTxn& t) { return annodb::FindDataset(t, kDatasetName, &keys->dataset_id); }),
          "find dataset");
  }

  uint64_t ReadById(const ReadKeys& keys) override {
    uint64_t sum = 0;
    const size_t n = keys.ids.size(), step = cfg_.read_batch;
    for (size_t start = 0; start < n; start += step) {
      size_t end = std::min(n, start + step);
      Check(store_->Read([&](annodb::ReadTxn& t) -> annodb::Status {
        annodb::RecordView v;
        for (size_t i = start; i < end; ++i) {
          ANNODB_RETURN_IF_ERROR(annodb::GetAsset(t, keys.ids[i], annodb::kCurrent, &v));
          const annodb::fb::Asset* a = v.As<annodb::fb::Asset>();
          sum += a->width() + a->uri()->size();
        }
        return annodb::Status::OK();
      }), "read by id");
    }
    return sum;
  }

  uint64_t ReadByExternalId(const ReadKeys& keys) override {
    uint64_t sum = 0;
    const size_t n = keys.external_ids.size(), step = cfg_.read_batch;
    for (size_t start = 0; start < n; start += step) {
      size_t end = std::min(n, start + step);
      Check(store_->Read([&](annodb::ReadTxn& t) -> annodb::Status {
        annodb::RecordView v;
        for (size_t i = start; i < end; ++i) {
          uint64_t id = 0;
          ANNODB_RETURN_IF_ERROR(annodb::FindAsset(t, keys.dataset_id, keys.external_ids[i], &id));
          ANNODB_RETURN_IF_ERROR(annodb::GetAsset(t, id, annodb::kCurrent, &v));
          const annodb::fb::Asset* a = v.As<annodb::fb::Asset>();
          sum += a->width() + a->uri()->size();
        }
        return annodb::Status::OK();
      }), "read by external id");
    }
    return sum;
  }

  uint64_t SingleCommits(const WriteRows& w, int threads, const std::string& variant) override {
    const uint64_t dataset_id = EnsureDataset();
    const bool grouped = variant == "grouped";
    const size_t per = w.rows.size() / static_cast<size_t>(threads);
    std::mutex mu;
    std::string error;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        for (size_t i = per * static_cast<size_t>(t); i < per * static_cast<size_t>(t + 1); ++i) {
          auto fn = [&](annodb::WriteTxn& txn) { return annodb::PutAsset(txn, dataset_id, w.rows[i], nullptr, nullptr); };
          annodb::Status s = grouped ? store_->WriteGrouped(actor_, fn) : store_->Write(actor_, fn);
          if (!s.ok()) {
            std::lock_guard<std::mutex> g(mu);
            error = s.ToString();
            return;
          }
        }
      });
    }
    for (std::thread& t : ts) t.join();
    if (!error.empty()) throw std::runtime_error("annodb: single commit: " + error);
    return per * static_cast<size_t>(threads);
  }

  // Labelling workloads: labels_annodb.cpp.
  void PrepareQueue() override { annodb_work::PrepareQueue(*store_, cfg_, &queue_); }
  uint64_t LeaseSubmit(int client, uint64_t cycles, bool grouped, uint64_t*) override {
    return annodb_work::LeaseSubmit(*store_, cfg_, queue_, client, cycles, grouped);
  }
  uint64_t PutLabels(const std::string& project, bool counted) override {
    return annodb_work::PutLabels(*store_, cfg_, project, counted);
  }
  bool HasProject(const std::string& project) override { return annodb_work::HasProject(*store_, project); }
  uint64_t ExportLabels(const std::string& project, const std::string& path) override {
    return annodb_work::Export(*store_, project, path);
  }
  uint64_t Alpha(const std::string& project, double* alpha) override {
    return annodb_work::Alpha(*store_, project, alpha);
  }

 private:
  uint64_t EnsureDataset() {
    uint64_t dataset_id = 0;
    Check(store_->Write(actor_, [&](annodb::WriteTxn& t) {
      annodb::Status s = annodb::FindDataset(t, kDatasetName, &dataset_id);
      if (s.IsNotFound()) return annodb::CreateDataset(t, kDatasetName, "", &dataset_id);
      return s;
    }), "create dataset");
    return dataset_id;
  }

  uint64_t ImportWithApi(const std::string& path) {
    const uint64_t dataset_id = EnsureDataset();
    LineReader reader(path);
    simdjson::ondemand::parser parser;
    std::vector<ParsedAsset> rows(cfg_.batch);
    uint64_t total = 0;
    for (;;) {
      size_t n = 0;
      std::string_view line;
      size_t cap = 0;
      while (n < rows.size() && reader.Next(&line, &cap)) {
        ParseAssetLine(parser, line, cap, MetaMode::kTyped, reader.line_number(), &rows[n]);
        annodb::Status vs = annodb::ValidateAsset(rows[n].in);
        if (!vs.ok()) throw std::runtime_error("line " + std::to_string(reader.line_number()) + ": " + vs.ToString());
        ++n;
      }
      if (n == 0) break;
      Check(store_->Write(actor_, [&](annodb::WriteTxn& t) -> annodb::Status {
        for (size_t i = 0; i < n; ++i)
          ANNODB_RETURN_IF_ERROR(annodb::PutValidatedAsset(t, dataset_id, rows[i].in, nullptr, nullptr));
        return annodb::Status::OK();
      }), "import batch");
      total += n;
    }
    return total;
  }

  uint64_t ImportWithImporter([[maybe_unused]] const std::string& path) {
#if BENCH_HAVE_IMPORTER
    annodb::ImportOptions opt;
    opt.batch_rows = cfg_.batch;
    opt.create_dataset = true;
    annodb::ImportReport rep;
    Check(annodb::ImportJsonl(*store_, kDatasetName, path, actor_, opt, &rep), "ImportJsonl");
    return rep.created + rep.updated + rep.unchanged;
#else
    throw Unsupported("this build has no annodb/asset_import.h");
#endif
  }

  const Config& cfg_;
  annodb::Actor actor_;
  std::unique_ptr<annodb::Store> store_;
  annodb_work::QueueIds queue_;
};

}  // namespace

std::unique_ptr<SystemAdapter> MakeAnnodbAdapter(const Config& cfg) { return std::make_unique<AnnodbAdapter>(cfg); }

}  // namespace bench
