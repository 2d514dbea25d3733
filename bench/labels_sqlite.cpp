// The SQLite peer for the labelling workloads, written as a careful engineer
// would (on the connection sys_sqlite.cpp opens: WAL, synchronous matched to
// the durability level, prepared statements).
//
// Schema:
//   members(id, name UNIQUE), projects(id, name UNIQUE, dataset_id, ontology JSON, overlap)
//   tasks(id, project_id, asset_id, state 0 ready / 1 leased / 2 done, priority,
//         lease_member, lease_token, lease_expires, UNIQUE(project_id, asset_id))
//     tasks_ready  ON tasks(project_id, priority DESC, id) WHERE state=0   (the lease query)
//     tasks_leased ON tasks(lease_expires) WHERE state=1                  (reclaiming expired leases)
//   counters(name PRIMARY KEY, value): the store-wide fencing-token counter
//   labels(id, project_id, asset_id, member_id, source, status, annotations JSON,
//          time_spent_ms, lease_token, created_us, UNIQUE(project_id, asset_id, source, member_id))
//   label_values(project_id, feature, asset_id, value, label_id): the
//     classification value of each counted label, indexed by (project_id,
//     feature, asset_id, value) so alpha's GROUP BY reads only the index.
//
// Lease (one BEGIN IMMEDIATE transaction): give expired leases back, take the
// next fencing token, then
//   UPDATE tasks SET state=1, ... WHERE id=(SELECT id FROM tasks WHERE
//   project_id=? AND state=0 ORDER BY priority DESC, id LIMIT 1) RETURNING id, asset_id
// Submit (one BEGIN IMMEDIATE transaction): UPDATE the task to done where
// its lease (token, not expired) still holds (0 rows changed = conflict), and
// INSERT the label (upsert on its author key).
// Several processes: each has its own connection; a busy handler that counts
// its calls sleeps 100 us, doubling up to 10 ms, for up to 60 s.
#include "labels_sqlite.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "annodb/agreement_stats.h"
#include "labelgen.h"

namespace bench {
namespace {

constexpr const char* kQueueProject = "bench_queue";
constexpr int64_t kLeaseTtlUs = 1800LL * 1000000;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db) + " in: " + sql);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt* get() const { return s_; }
  // Steps once: true for a row (the statement stays positioned: Reset after).
  bool Step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_reset(s_);
      throw std::runtime_error("sqlite step: " + msg + " in: " + sqlite3_sql(s_));
    }
    return false;
  }
  void Run() {
    Step();
    Reset();
  }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + msg + " in: " + sql);
  }
}

const char* kSchema =
    "CREATE TABLE IF NOT EXISTS members(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
    " active INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS projects(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " dataset_id INTEGER NOT NULL, ontology TEXT NOT NULL, overlap INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tasks(id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL,"
    " asset_id INTEGER NOT NULL, state INTEGER NOT NULL, priority REAL NOT NULL, lease_member INTEGER,"
    " lease_token INTEGER, lease_expires INTEGER, UNIQUE(project_id, asset_id));"
    "CREATE INDEX IF NOT EXISTS tasks_ready ON tasks(project_id, priority DESC, id) WHERE state=0;"
    "CREATE INDEX IF NOT EXISTS tasks_leased ON tasks(lease_expires) WHERE state=1;"
    "CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO counters VALUES('lease_token', 0);"
    "CREATE TABLE IF NOT EXISTS labels(id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL,"
    " asset_id INTEGER NOT NULL, member_id INTEGER NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,"
    " annotations TEXT NOT NULL, time_spent_ms INTEGER, lease_token INTEGER, created_us INTEGER NOT NULL,"
    " UNIQUE(project_id, asset_id, source, member_id));"
    "CREATE TABLE IF NOT EXISTS label_values(project_id INTEGER NOT NULL, feature TEXT NOT NULL,"
    " asset_id INTEGER NOT NULL, value TEXT NOT NULL, label_id INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS label_values_unit ON label_values(project_id, feature, asset_id, value);";

}  // namespace

struct SqliteLabelWork::Impl {
  Impl(sqlite3* d, const Config& c) : db(d), cfg(c) {}
  sqlite3* db;
  const Config& cfg;
  std::mutex mu;                 // one connection, shared by the client threads
  std::atomic<uint64_t> busy{0};  // busy-handler calls
  int64_t queue_project = 0;
  std::vector<int64_t> members;
  std::unique_ptr<Stmt> begin, commit, rollback, reclaim, token, lease, finish, insert_label, insert_value;

  void Prepare() {
    begin = std::make_unique<Stmt>(db, "BEGIN IMMEDIATE");
    commit = std::make_unique<Stmt>(db, "COMMIT");
    rollback = std::make_unique<Stmt>(db, "ROLLBACK");
    reclaim = std::make_unique<Stmt>(
        db, "UPDATE tasks SET state=0, lease_member=NULL WHERE state=1 AND lease_expires < ?1");
    token = std::make_unique<Stmt>(db, "UPDATE counters SET value=value+1 WHERE name='lease_token' RETURNING value");
    lease = std::make_unique<Stmt>(
        db,
        "UPDATE tasks SET state=1, lease_member=?1, lease_token=?2, lease_expires=?3 WHERE id=(SELECT id FROM tasks"
        " WHERE project_id=?4 AND state=0 ORDER BY priority DESC, id LIMIT 1) RETURNING id, asset_id");
    finish = std::make_unique<Stmt>(
        db, "UPDATE tasks SET state=2, lease_member=NULL WHERE id=?1 AND state=1 AND lease_token=?2 AND lease_expires>=?3");
    insert_label = std::make_unique<Stmt>(
        db,
        "INSERT INTO labels(project_id, asset_id, member_id, source, status, annotations, time_spent_ms,"
        " lease_token, created_us) VALUES(?1,?2,?3,'human',?4,?5,?6,?7,?8)"
        " ON CONFLICT(project_id, asset_id, source, member_id) DO UPDATE SET status=excluded.status,"
        " annotations=excluded.annotations, time_spent_ms=excluded.time_spent_ms,"
        " lease_token=excluded.lease_token, created_us=excluded.created_us");
    insert_value = std::make_unique<Stmt>(
        db, "INSERT INTO label_values(project_id, feature, asset_id, value, label_id) VALUES(?1,'category',?2,?3,?4)");
  }

  static int OnBusy(void* self, int n) {
    static_cast<Impl*>(self)->busy.fetch_add(1, std::memory_order_relaxed);
    int k = n < 7 ? n : 7;
    ::usleep(static_cast<useconds_t>(100) << k);  // 100 us .. 12.8 ms
    return n < 6000 ? 1 : 0;                       // give up after about a minute
  }

  int64_t ProjectId(const std::string& name) {
    Stmt q(db, "SELECT id FROM projects WHERE name=?1");
    sqlite3_bind_text(q.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
    return q.Step() ? sqlite3_column_int64(q.get(), 0) : 0;
  }

  void EnsureMembers() {
    members.clear();
    Stmt find(db, "SELECT id FROM members WHERE name=?1");
    Stmt add(db, "INSERT INTO members(name, role, active) VALUES(?1, 'labeler', 1)");
    for (int i = 0; i < kQueueMembers; ++i) {
      std::string name = "m" + std::to_string(i);
      sqlite3_bind_text(find.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
      if (find.Step()) {
        members.push_back(sqlite3_column_int64(find.get(), 0));
      } else {
        sqlite3_bind_text(add.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
        add.Run();
        members.push_back(sqlite3_last_insert_rowid(db));
      }
      find.Reset();
    }
  }

  int64_t CreateProject(const std::string& name) {
    Stmt add(db,
             "INSERT INTO projects(name, dataset_id, ontology, overlap) VALUES(?1, (SELECT id FROM datasets WHERE"
             " name='bench'), ?2, 1)");
    static const char* kOntology =
        "{\"features\":[{\"name\":\"category\",\"kind\":\"classification\",\"options\":[\"car\",\"truck\",\"bus\","
        "\"bike\",\"person\"]},{\"name\":\"object\",\"kind\":\"bbox\",\"classes\":[\"car\",\"truck\",\"bus\",\"bike\","
        "\"person\"]}]}";
    sqlite3_bind_text(add.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(add.get(), 2, kOntology, -1, SQLITE_STATIC);
    add.Run();
    return sqlite3_last_insert_rowid(db);
  }

  // One lease transaction; false when the queue is empty.
  bool LeaseOne(int64_t member, int64_t* task, int64_t* asset, int64_t* tok, int64_t* expires) {
    int64_t now = NowUs();
    begin->Run();
    try {
      sqlite3_bind_int64(reclaim->get(), 1, now);
      reclaim->Run();
      if (!token->Step()) throw std::runtime_error("sqlite: no token counter");
      *tok = sqlite3_column_int64(token->get(), 0);
      token->Reset();
      *expires = now + kLeaseTtlUs;
      sqlite3_stmt* s = lease->get();
      sqlite3_bind_int64(s, 1, member);
      sqlite3_bind_int64(s, 2, *tok);
      sqlite3_bind_int64(s, 3, *expires);
      sqlite3_bind_int64(s, 4, queue_project);
      bool got = lease->Step();
      if (got) {
        *task = sqlite3_column_int64(s, 0);
        *asset = sqlite3_column_int64(s, 1);
      }
      lease->Reset();
      commit->Run();
      return got;
    } catch (...) {
      rollback->Run();
      throw;
    }
  }

  void SubmitOne(int64_t member, int64_t task, int64_t asset, int64_t tok, const GenLabel& gl) {
    int64_t now = NowUs();
    begin->Run();
    try {
      sqlite3_stmt* f = finish->get();
      sqlite3_bind_int64(f, 1, task);
      sqlite3_bind_int64(f, 2, tok);
      sqlite3_bind_int64(f, 3, now);
      finish->Run();
      if (sqlite3_changes(db) != 1) throw std::runtime_error("sqlite: the lease no longer holds");
      BindLabel(queue_project, asset, member, "submitted", gl, tok, now);
      insert_label->Run();
      commit->Run();
    } catch (...) {
      rollback->Run();
      throw;
    }
  }

  void BindLabel(int64_t project, int64_t asset, int64_t member, const char* status, const GenLabel& gl, int64_t tok,
                 int64_t now) {
    sqlite3_stmt* s = insert_label->get();
    sqlite3_bind_int64(s, 1, project);
    sqlite3_bind_int64(s, 2, asset);
    sqlite3_bind_int64(s, 3, member);
    sqlite3_bind_text(s, 4, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, gl.json.data(), static_cast<int>(gl.json.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, 1000);
    if (tok) sqlite3_bind_int64(s, 7, tok);
    sqlite3_bind_int64(s, 8, now);
  }
};

SqliteLabelWork::SqliteLabelWork(sqlite3* db, const Config& cfg) : impl_(std::make_unique<Impl>(db, cfg)) {
  sqlite3_busy_handler(db, &Impl::OnBusy, impl_.get());
  Exec(db, "BEGIN IMMEDIATE");
  try {
    Exec(db, kSchema);
    Exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  impl_->Prepare();
}

SqliteLabelWork::~SqliteLabelWork() {
  if (impl_) sqlite3_busy_handler(impl_->db, nullptr, nullptr);
}

void SqliteLabelWork::PrepareQueue() {
  Impl& m = *impl_;
  m.begin->Run();
  try {
    m.EnsureMembers();
    m.queue_project = m.ProjectId(kQueueProject);
    if (m.queue_project == 0) {
      m.queue_project = m.CreateProject(kQueueProject);
      Stmt fill(m.db,
                "INSERT INTO tasks(project_id, asset_id, state, priority) SELECT ?1, id, 0, id % 10 FROM assets"
                " WHERE dataset_id=(SELECT id FROM datasets WHERE name='bench') ORDER BY id");
      sqlite3_bind_int64(fill.get(), 1, m.queue_project);
      fill.Run();
    }
    m.commit->Run();
  } catch (...) {
    m.rollback->Run();
    throw;
  }
}

uint64_t SqliteLabelWork::LeaseSubmit(int client, uint64_t cycles, uint64_t* busy_retries) {
  Impl& m = *impl_;
  const int64_t member = m.members.at(static_cast<size_t>(client));
  uint64_t before = m.busy.load();
  GenLabel gl;
  for (uint64_t i = 0; i < cycles; ++i) {
    int64_t task = 0, asset = 0, tok = 0, expires = 0;
    {
      std::lock_guard<std::mutex> g(m.mu);
      if (!m.LeaseOne(member, &task, &asset, &tok, &expires)) throw std::runtime_error("sqlite: the queue ran dry");
    }
    MakeLabel(m.cfg.seed, static_cast<uint64_t>(asset), static_cast<uint32_t>(client), &gl);
    std::lock_guard<std::mutex> g(m.mu);
    m.SubmitOne(member, task, asset, tok, gl);
  }
  *busy_retries += m.busy.load() - before;  // (threads share the counter: the driver sums per-process only)
  return cycles;
}

bool SqliteLabelWork::HasProject(const std::string& project) { return impl_->ProjectId(project) != 0; }

uint64_t SqliteLabelWork::PutLabels(const std::string& project, bool counted) {
  Impl& m = *impl_;
  m.begin->Run();
  int64_t project_id = 0;
  try {
    m.EnsureMembers();
    project_id = m.CreateProject(project);
    m.commit->Run();
  } catch (...) {
    m.rollback->Run();
    throw;
  }
  const std::vector<std::string>& opts = CategoryOptions();
  GenLabel gl;
  uint64_t written = 0;
  const uint64_t total = m.cfg.labels;
  while (written < total) {
    m.begin->Run();
    try {
      for (uint64_t n = 0; n < m.cfg.label_batch && written < total; ++n, ++written) {
        int64_t asset = static_cast<int64_t>(written / kLabelsPerAsset + 1);
        uint32_t who = static_cast<uint32_t>(written % kLabelsPerAsset);
        int64_t now = NowUs();
        MakeLabel(m.cfg.seed, static_cast<uint64_t>(asset), who, &gl);
        m.BindLabel(project_id, asset, m.members[who], counted ? "submitted" : "draft", gl, 0, now);
        m.insert_label->Run();
        if (counted) {
          sqlite3_stmt* v = m.insert_value->get();
          const std::string& val = opts[static_cast<size_t>(gl.category)];
          sqlite3_bind_int64(v, 1, project_id);
          sqlite3_bind_int64(v, 2, asset);
          sqlite3_bind_text(v, 3, val.data(), static_cast<int>(val.size()), SQLITE_STATIC);
          sqlite3_bind_int64(v, 4, sqlite3_last_insert_rowid(m.db));
          m.insert_value->Run();
        }
      }
      m.commit->Run();
    } catch (...) {
      m.rollback->Run();
      throw;
    }
  }
  return written;
}

uint64_t SqliteLabelWork::Export(const std::string& project, const std::string& path) {
  Impl& m = *impl_;
  int64_t project_id = m.ProjectId(project);
  if (!project_id) throw std::runtime_error("sqlite: no project " + project);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  std::vector<char> buf(1 << 20);
  std::setvbuf(f, buf.data(), _IOFBF, buf.size());
  uint64_t labels = 0;
  Exec(m.db, "BEGIN");  // one read transaction: a consistent snapshot, as annodb's export
  try {
    Stmt count(m.db, "SELECT count(*) FROM labels WHERE project_id=?1");
    sqlite3_bind_int64(count.get(), 1, project_id);
    if (count.Step()) labels = static_cast<uint64_t>(sqlite3_column_int64(count.get(), 0));
    // The annodb export's asset line: the asset as its import line, then the
    // project's labels of it (without provenance, which this schema has not).
    Stmt q(m.db,
           "SELECT json_object('type','asset','dataset',d.name,'asset',json_object('external_id',a.external_id,"
           "'uri',a.uri,'media_type',a.media_type,'width',a.width,'height',a.height,'byte_size',a.byte_size,"
           "'content_hash',lower(hex(a.content_hash)),'metadata',json(a.metadata)),"
           "'labels',(SELECT json_group_array(json_object('author',mb.name,'source',l.source,'status',l.status,"
           "'annotations',json(l.annotations),'time_spent_ms',l.time_spent_ms,'project',?2))"
           " FROM labels l JOIN members mb ON mb.id=l.member_id WHERE l.project_id=?1 AND l.asset_id=a.id),"
           "'comments',json_array())"
           " FROM assets a JOIN datasets d ON d.id=a.dataset_id"
           " WHERE a.dataset_id=(SELECT dataset_id FROM projects WHERE id=?1) ORDER BY a.external_id");
    sqlite3_bind_int64(q.get(), 1, project_id);
    sqlite3_bind_text(q.get(), 2, project.data(), static_cast<int>(project.size()), SQLITE_STATIC);
    while (q.Step()) {
      const void* line = sqlite3_column_text(q.get(), 0);
      size_t n = static_cast<size_t>(sqlite3_column_bytes(q.get(), 0));
      std::fwrite(line, 1, n, f);
      std::fputc('\n', f);
    }
    Exec(m.db, "COMMIT");
  } catch (...) {
    sqlite3_exec(m.db, "ROLLBACK", nullptr, nullptr, nullptr);
    std::fclose(f);
    throw;
  }
  if (std::fclose(f) != 0) throw std::runtime_error("writing " + path);
  return labels;
}

uint64_t SqliteLabelWork::Alpha(const std::string& project, double* alpha) {
  Impl& m = *impl_;
  int64_t project_id = m.ProjectId(project);
  if (!project_id) throw std::runtime_error("sqlite: no project " + project);
  std::map<std::string, double, std::less<>> option_index;
  const std::vector<std::string>& opts = CategoryOptions();
  for (size_t i = 0; i < opts.size(); ++i) option_index[opts[i]] = static_cast<double>(i);
  Stmt q(m.db,
         "SELECT asset_id, value, count(*) FROM label_values WHERE project_id=?1 AND feature='category'"
         " GROUP BY asset_id, value");
  sqlite3_bind_int64(q.get(), 1, project_id);
  std::vector<annodb::stats::UnitValueCounts> units;
  int64_t unit = -1;
  uint64_t labels = 0;
  while (q.Step()) {
    int64_t asset = sqlite3_column_int64(q.get(), 0);
    if (asset != unit) {
      units.emplace_back();
      unit = asset;
    }
    std::string_view v(reinterpret_cast<const char*>(sqlite3_column_text(q.get(), 1)),
                       static_cast<size_t>(sqlite3_column_bytes(q.get(), 1)));
    auto it = option_index.find(v);
    if (it == option_index.end()) throw std::runtime_error("sqlite: unknown option");
    uint64_t c = static_cast<uint64_t>(sqlite3_column_int64(q.get(), 2));
    units.back()[it->second] += c;
    labels += c;
  }
  annodb::stats::AlphaOptions o;
  o.level = annodb::stats::Level::kNominal;
  annodb::stats::AlphaResult r;
  annodb::Status s = annodb::stats::KrippendorffAlpha(units, o, &r);
  if (!s.ok()) throw std::runtime_error("alpha: " + s.ToString());
  *alpha = r.alpha;
  return labels;
}

}  // namespace bench
