// The SQLite peer, set up the way a careful engineer would for this job.
//
// Schema: typed columns, metadata as JSON text, UNIQUE(dataset_id,
// external_id) (the upsert key and the external-id lookup) and an index on
// content_hash (duplicate search), as annodb keeps.
//
// Settings (every one that makes SQLite faster and keeps the same job):
//   journal_mode=WAL, synchronous=FULL (matched durability; NORMAL at the
//   process-crash-safe level), page_size=16384 (faster than 4096 here), cache_size=1 GiB,
//   mmap_size=16 GiB (reads straight from the page cache, like LMDB),
//   temp_store=MEMORY, SQLITE_OPEN_NOMUTEX (one connection per thread),
//   SQLITE_CONFIG_MEMSTATUS off (no allocation statistics, so no global
//   mutex per malloc), prepared statements, one transaction per batch.
//   Not used by default: locking_mode=EXCLUSIVE (faster, but then no other
//   process can read the database, which annodb allows; --sqlite-exclusive
//   turns it on).
//
// Single commits: the threads share one connection, taking turns under a
// mutex, each row its own BEGIN/INSERT/COMMIT. In one process that is
// SQLite's fastest way to many small write transactions: connections of
// their own would contend for the WAL write lock through the busy handler,
// which sleeps.
//
// Import parses each line with the same simdjson code as the other loaders;
// the metadata object is stored as its raw JSON text (no typed conversion,
// which SQLite does not need).
#include <sqlite3.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench.h"
#include "jsonl.h"
#include "labels_sqlite.h"

namespace bench {
namespace {

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db) + " in: " + sql);
  }
  Stmt(Stmt&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// How long a statement waits for another process's lock before failing.
constexpr int kOpenBusyTimeoutMs = 60000;

class SqliteAdapter : public SystemAdapter {
 public:
  explicit SqliteAdapter(const Config& cfg) : cfg_(cfg) {
    // Must precede SQLite's initialisation (the first open in this process);
    // later calls return SQLITE_MISUSE and change nothing.
    static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)configured;
  }
  SystemKind kind() const override { return SystemKind::kSqlite; }
  std::string Settings() const override {
    std::string s = "SQLite " + std::string(sqlite3_libversion()) + ", WAL, synchronous=" + Synchronous() +
                    ", page_size=" + std::to_string(cfg_.sqlite_page_size) + ", cache_size=1GiB, mmap_size=16GiB, temp_store=MEMORY, NOMUTEX, MEMSTATUS off";
    if (cfg_.sqlite_exclusive) s += ", locking_mode=EXCLUSIVE";
    for (const std::string& p : cfg_.sqlite_pragmas) s += ", " + p;
    return s;
  }

  void Open(const std::string& dir, bool create) override {
    std::string path = dir + "/assets.db";
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (create) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
    }
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK)
      throw std::runtime_error("sqlite open " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
    // Wait for locks from the first statement on. The multi-process lease
    // workloads open the database in 4 or 8 processes at once after the
    // parent closed it (the WAL was checkpointed and removed): the first
    // opener rebuilds the WAL index under an exclusive lock, and without a
    // busy handler the others' `PRAGMA journal_mode=WAL` fails at once with
    // "database is locked" (issue 11, item 18: 3 runs in 20 on a loaded
    // machine). The lease work installs its own counting handler later.
    sqlite3_busy_timeout(db_, kOpenBusyTimeoutMs);
    Exec("PRAGMA page_size=" + std::to_string(cfg_.sqlite_page_size));
    if (cfg_.sqlite_exclusive) Exec("PRAGMA locking_mode=EXCLUSIVE");
    Exec("PRAGMA journal_mode=WAL");
    Exec(std::string("PRAGMA synchronous=") + Synchronous());
    Exec("PRAGMA cache_size=-1048576");
    Exec("PRAGMA mmap_size=17179869184");
    Exec("PRAGMA temp_store=MEMORY");
    for (const std::string& p : cfg_.sqlite_pragmas) Exec("PRAGMA " + p);
    Exec(
        "CREATE TABLE IF NOT EXISTS datasets("
        " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT)");
    Exec(
        "CREATE TABLE IF NOT EXISTS assets("
        " id INTEGER PRIMARY KEY,"
        " dataset_id INTEGER NOT NULL REFERENCES datasets(id),"
        " external_id TEXT NOT NULL,"
        " uri TEXT NOT NULL,"
        " media_type TEXT,"
        " width INTEGER, height INTEGER, duration_ms INTEGER, byte_size INTEGER,"
        " content_hash BLOB,"
        " metadata TEXT,"  // JSON object
        " embedding BLOB,"
        " text TEXT,"
        " UNIQUE(dataset_id, external_id))");
    Exec("CREATE INDEX IF NOT EXISTS assets_by_hash ON assets(content_hash)");
    insert_ = Stmt(db_,
                   "INSERT INTO assets(dataset_id, external_id, uri, media_type, width, height, duration_ms,"
                   " byte_size, content_hash, metadata, embedding, text) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"
                   " ON CONFLICT(dataset_id, external_id) DO UPDATE SET uri=excluded.uri,"
                   " media_type=excluded.media_type, width=excluded.width, height=excluded.height,"
                   " duration_ms=excluded.duration_ms, byte_size=excluded.byte_size,"
                   " content_hash=excluded.content_hash, metadata=excluded.metadata,"
                   " embedding=excluded.embedding, text=excluded.text");
    by_id_ = Stmt(db_,
                  "SELECT external_id, uri, media_type, width, height, byte_size, content_hash, metadata"
                  " FROM assets WHERE id=?1");
    by_ext_ = Stmt(db_,
                   "SELECT id, uri, media_type, width, height, byte_size, content_hash, metadata"
                   " FROM assets WHERE dataset_id=?1 AND external_id=?2");
    begin_ = Stmt(db_, "BEGIN");
    commit_ = Stmt(db_, "COMMIT");
  }

  void Close() override {
    work_.reset();
    insert_ = Stmt();
    by_id_ = Stmt();
    by_ext_ = Stmt();
    begin_ = Stmt();
    commit_ = Stmt();
    if (db_) sqlite3_close(db_);  // the last connection checkpoints the WAL into the database
    db_ = nullptr;
  }
  ~SqliteAdapter() override { Close(); }

  uint64_t ImportJsonl(const std::string& path, const std::string&) override {
    Exec(std::string("INSERT OR IGNORE INTO datasets(name) VALUES('") + kDatasetName + "')");
    int64_t dataset_id = DatasetId();
    LineReader reader(path);
    simdjson::ondemand::parser parser;
    ParsedAsset row;
    std::string_view line;
    size_t cap = 0;
    uint64_t total = 0, in_txn = 0;
    sqlite3_stmt* s = insert_.get();
    while (reader.Next(&line, &cap)) {
      ParseAssetLine(parser, line, cap, MetaMode::kRawJson, reader.line_number(), &row);
      if (in_txn == 0) Step(begin_.get());
      BindRow(s, dataset_id, row.in, row.metadata_json);
      Step(s);
      ++total;
      if (++in_txn == cfg_.batch) {
        Step(commit_.get());
        in_txn = 0;
      }
    }
    if (in_txn > 0) Step(commit_.get());
    return total;
  }

  uint64_t SingleCommits(const WriteRows& w, int threads, const std::string&) override {
    Exec(std::string("INSERT OR IGNORE INTO datasets(name) VALUES('") + kDatasetName + "')");
    const int64_t dataset_id = DatasetId();
    const size_t per = w.rows.size() / static_cast<size_t>(threads);
    std::mutex mu;
    std::string error;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        for (size_t i = per * static_cast<size_t>(t); i < per * static_cast<size_t>(t + 1); ++i) {
          std::lock_guard<std::mutex> g(mu);
          try {
            Step(begin_.get());
            BindRow(insert_.get(), dataset_id, w.rows[i], w.metadata_json[i]);
            Step(insert_.get());
            Step(commit_.get());
          } catch (const std::exception& e) {
            error = e.what();
            return;
          }
        }
      });
    }
    for (std::thread& t : ts) t.join();
    if (!error.empty()) throw std::runtime_error(error);
    return per * static_cast<size_t>(threads);
  }

  // Binds one row to the insert statement (the values must stay alive until
  // it is stepped).
  void BindRow(sqlite3_stmt* s, int64_t dataset_id, const annodb::AssetInput& a, std::string_view metadata_json) {
    sqlite3_bind_int64(s, 1, dataset_id);
    sqlite3_bind_text(s, 2, a.external_id.data(), static_cast<int>(a.external_id.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 3, a.uri.data(), static_cast<int>(a.uri.size()), SQLITE_STATIC);
    BindOptText(s, 4, a.media_type);
    sqlite3_bind_int64(s, 5, a.width);
    sqlite3_bind_int64(s, 6, a.height);
    sqlite3_bind_int64(s, 7, static_cast<int64_t>(a.duration_ms));
    sqlite3_bind_int64(s, 8, static_cast<int64_t>(a.byte_size));
    if (a.content_hash) {
      for (int i = 0; i < 8; ++i) {
        hash_[i] = static_cast<unsigned char>(a.content_hash->hi >> (56 - 8 * i));
        hash_[8 + i] = static_cast<unsigned char>(a.content_hash->lo >> (56 - 8 * i));
      }
      sqlite3_bind_blob(s, 9, hash_, 16, SQLITE_STATIC);  // a member: it must outlive the step
    } else {
      sqlite3_bind_null(s, 9);
    }
    if (metadata_json.empty())
      sqlite3_bind_null(s, 10);
    else
      sqlite3_bind_text(s, 10, metadata_json.data(), static_cast<int>(metadata_json.size()), SQLITE_STATIC);
    if (a.embedding.empty())
      sqlite3_bind_null(s, 11);
    else
      sqlite3_bind_blob(s, 11, a.embedding.data(), static_cast<int>(a.embedding.size() * sizeof(float)),
                        SQLITE_STATIC);
    BindOptText(s, 12, a.text);
  }

  // Labelling workloads: labels_sqlite.cpp.
  void PrepareQueue() override { Work().PrepareQueue(); }
  uint64_t LeaseSubmit(int client, uint64_t cycles, bool, uint64_t* busy_retries) override {
    return Work().LeaseSubmit(client, cycles, busy_retries);
  }
  uint64_t PutLabels(const std::string& project, bool counted) override { return Work().PutLabels(project, counted); }
  bool HasProject(const std::string& project) override { return Work().HasProject(project); }
  uint64_t ExportLabels(const std::string& project, const std::string& path) override {
    return Work().Export(project, path);
  }
  uint64_t Alpha(const std::string& project, double* alpha) override { return Work().Alpha(project, alpha); }

  void ResolveDataset(ReadKeys* keys) override { keys->dataset_id = static_cast<uint64_t>(DatasetId()); }

  uint64_t ReadById(const ReadKeys& keys) override {
    uint64_t sum = 0;
    sqlite3_stmt* s = by_id_.get();
    const size_t n = keys.ids.size();
    for (size_t i = 0; i < n; ++i) {
      if (i % cfg_.read_batch == 0) {
        if (i > 0) Step(commit_.get());
        Step(begin_.get());
      }
      sqlite3_bind_int64(s, 1, static_cast<int64_t>(keys.ids[i]));
      if (sqlite3_step(s) != SQLITE_ROW) throw std::runtime_error("sqlite: asset " + std::to_string(keys.ids[i]) + " not found");
      sum += static_cast<uint64_t>(sqlite3_column_int64(s, 3)) + static_cast<uint64_t>(sqlite3_column_bytes(s, 1));
      sqlite3_reset(s);
    }
    if (n > 0) Step(commit_.get());
    return sum;
  }

  uint64_t ReadByExternalId(const ReadKeys& keys) override {
    uint64_t sum = 0;
    sqlite3_stmt* s = by_ext_.get();
    const size_t n = keys.external_ids.size();
    sqlite3_bind_int64(s, 1, static_cast<int64_t>(keys.dataset_id));
    for (size_t i = 0; i < n; ++i) {
      if (i % cfg_.read_batch == 0) {
        if (i > 0) Step(commit_.get());
        Step(begin_.get());
      }
      const std::string& ext = keys.external_ids[i];
      sqlite3_bind_text(s, 2, ext.data(), static_cast<int>(ext.size()), SQLITE_STATIC);
      if (sqlite3_step(s) != SQLITE_ROW) throw std::runtime_error("sqlite: asset '" + ext + "' not found");
      sum += static_cast<uint64_t>(sqlite3_column_int64(s, 3)) + static_cast<uint64_t>(sqlite3_column_bytes(s, 1));
      sqlite3_reset(s);
    }
    if (n > 0) Step(commit_.get());
    return sum;
  }

 private:
  const char* Synchronous() const { return cfg_.durability == Durability::kProcessCrashSafe ? "NORMAL" : "FULL"; }

  void Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + msg + " in: " + sql);
    }
  }
  void Step(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw std::runtime_error(std::string("sqlite step: ") + sqlite3_errmsg(db_));
  }
  static void BindOptText(sqlite3_stmt* s, int i, const std::string& v) {
    if (v.empty())
      sqlite3_bind_null(s, i);
    else
      sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  int64_t DatasetId() {
    Stmt q(db_, "SELECT id FROM datasets WHERE name=?1");
    sqlite3_bind_text(q.get(), 1, kDatasetName, -1, SQLITE_STATIC);
    if (sqlite3_step(q.get()) != SQLITE_ROW) throw std::runtime_error("sqlite: no dataset");
    return sqlite3_column_int64(q.get(), 0);
  }

  SqliteLabelWork& Work() {
    if (!work_) work_ = std::make_unique<SqliteLabelWork>(db_, cfg_);
    return *work_;
  }

  const Config& cfg_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<SqliteLabelWork> work_;
  Stmt insert_, by_id_, by_ext_, begin_, commit_;
  unsigned char hash_[16] = {};  // the bound content hash of the row being inserted
};

}  // namespace

std::unique_ptr<SystemAdapter> MakeSqliteAdapter(const Config& cfg) { return std::make_unique<SqliteAdapter>(cfg); }

}  // namespace bench
