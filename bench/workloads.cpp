#include "workloads.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "datagen.h"
#include "jsonl.h"
#include "labelgen.h"
#include "lease_driver.h"

namespace bench {
namespace {

std::vector<Contender> ImportContenders() {
  std::vector<Contender> c = {{"annodb (C++ API)", SystemKind::kAnnodb, "api"}};
  if (AnnodbHasImporter()) c.push_back({"annodb (ImportJsonl)", SystemKind::kAnnodb, "import"});
  c.push_back({"SQLite peer", SystemKind::kSqlite, ""});
  // The ceiling without the content-hash index first, so that the store the
  // read workloads use is the one with annodb's tables (the last one loaded).
  c.push_back({"raw LMDB, no hash index", SystemKind::kLmdb, "no-hash"});
  c.push_back({"raw LMDB", SystemKind::kLmdb, ""});
  return c;
}

std::vector<Contender> ReadContenders() {
  return {{"annodb (C++ API)", SystemKind::kAnnodb, "api"},
          {"SQLite peer", SystemKind::kSqlite, ""},
          {"raw LMDB", SystemKind::kLmdb, ""}};
}

// The keys every system reads, in the same random order: record ids are
// 1..rows in import order (all three systems allocate them that way).
void MakeReadKeys(const Config& cfg, ReadKeys* keys) {
  uint64_t n = cfg.reads ? cfg.reads : cfg.rows;
  std::mt19937_64 rng(cfg.seed * 7 + 1);
  keys->ids.clear();
  keys->ids.reserve(n);
  if (n <= cfg.rows) {
    std::vector<uint64_t> all(cfg.rows);
    for (uint64_t i = 0; i < cfg.rows; ++i) all[i] = i + 1;
    std::shuffle(all.begin(), all.end(), rng);
    keys->ids.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  } else {
    std::uniform_int_distribution<uint64_t> d(1, cfg.rows);
    for (uint64_t i = 0; i < n; ++i) keys->ids.push_back(d(rng));
  }
  keys->external_ids.clear();
  keys->external_ids.reserve(n);
  for (uint64_t id : keys->ids) keys->external_ids.push_back(ExternalId(cfg.seed, id - 1, cfg.sequential_ids));
}

// Warm cache: one untimed pass over every record and every index entry.
void PrepareReads(SystemAdapter& a, const Config& cfg, Context& ctx) {
  MakeReadKeys(cfg, &ctx.keys);
  a.ResolveDataset(&ctx.keys);
  ReadKeys all;
  all.dataset_id = ctx.keys.dataset_id;
  // every row once, in id order
  for (uint64_t i = 1; i <= cfg.rows; ++i) all.ids.push_back(i);
  for (uint64_t i = 0; i < cfg.rows; ++i) all.external_ids.push_back(ExternalId(cfg.seed, i, cfg.sequential_ids));
  a.ReadById(all);
  a.ReadByExternalId(all);
}

// The single-commit workload's rows: the first threads x commits_per_thread
// lines of the generated file (fewer when the file is smaller).
void PrepareWrites(SystemAdapter&, const Config& cfg, Context& ctx) {
  uint64_t want = static_cast<uint64_t>(cfg.threads) * cfg.commits_per_thread;
  want = std::min<uint64_t>(want, cfg.rows / static_cast<uint64_t>(cfg.threads) * static_cast<uint64_t>(cfg.threads));
  ctx.writes = WriteRows();
  LineReader reader(cfg.jsonl);
  simdjson::ondemand::parser typed, raw;
  ParsedAsset a, b;
  std::string_view line;
  size_t cap = 0;
  while (ctx.writes.rows.size() < want && reader.Next(&line, &cap)) {
    ParseAssetLine(typed, line, cap, MetaMode::kTyped, reader.line_number(), &a);
    ParseAssetLine(raw, line, cap, MetaMode::kRawJson, reader.line_number(), &b);
    ctx.writes.rows.push_back(a.in);
    ctx.writes.metadata_json.emplace_back(b.metadata_json);
  }
}

// ---- labelling workloads (queue, labels, export, statistics) ----

std::vector<Contender> Trio() {
  return {{"annodb", SystemKind::kAnnodb, ""}, {"SQLite peer", SystemKind::kSqlite, ""}, {"raw LMDB", SystemKind::kLmdb, ""}};
}

// How the durability levels map (bench.h): said in every lease title.
std::string LevelTitle(Durability d) {
  switch (d) {
    case Durability::kFull: return "full (annodb kFull, LMDB flags 0, SQLite WAL synchronous=FULL)";
    case Durability::kLastCommitMayDrop:
      return "last-commit-may-drop (annodb kLastCommitMayDrop, LMDB MDB_NOMETASYNC, SQLite WAL synchronous=FULL)";
    case Durability::kProcessCrashSafe:
      return "process-crash-safe (annodb kProcessCrashSafe, LMDB MDB_NOSYNC, SQLite WAL synchronous=NORMAL)";
  }
  return "?";
}

uint64_t CyclesAt(const Config& c) {
  return c.durability == Durability::kProcessCrashSafe ? c.lease_cycles_nosync : c.lease_cycles;
}

// One lease+submit workload: `run.cycles` is a multiplier of CyclesAt here.
Workload LeaseWorkload(const Config& cfg, const std::string& id, std::optional<Durability> level, LeaseRun shape,
                       const std::string& who, std::vector<Contender> contenders) {
  Durability d = level ? *level : cfg.durability;
  Workload x;
  x.id = id;
  Config at = cfg;
  at.durability = d;
  x.title = "Lease+submit cycles (lease 1 task, submit a label of 1-5 annotations: two transactions), " + who + ", " +
            std::to_string(CyclesAt(at) * std::max<uint64_t>(shape.cycles, 1)) + " cycles per run, " +
            std::to_string(cfg.rows) + " tasks queued, durability " + LevelTitle(d);
  x.unit = "cycles/s";
  x.durability = level;
  x.contenders = std::move(contenders);
  x.prepare = [](SystemAdapter& a, const Config&, Context&) { a.PrepareQueue(); };
  x.run = [shape](SystemAdapter& a, const Config& c, Context& ctx, const Contender& con) {
    LeaseRun r = shape;
    r.grouped = con.variant == "grouped";
    uint64_t mult = r.grouped ? std::max<uint64_t>(shape.cycles, 1) : 1;
    r.cycles = CyclesAt(c) * mult;
    return RunLeaseSubmit(a, c, r, ctx);
  };
  return x;
}

// The project every export / statistics run reads: made once per store.
constexpr const char* kLabelledProject = "bench_labels";
void PrepareLabelled(SystemAdapter& a, const Config&, Context&) {
  if (!a.HasProject(kLabelledProject)) a.PutLabels(kLabelledProject, true);
}

void AddLabelWorkloads(const Config& cfg, std::vector<Workload>* w) {
  const Durability levels[] = {Durability::kFull, Durability::kLastCommitMayDrop, Durability::kProcessCrashSafe};
  const char* ids[] = {"lease_full", "lease_lcmd", "lease_pcs"};
  for (int i = 0; i < 3; ++i) {
    Workload x = LeaseWorkload(cfg, ids[i], levels[i], LeaseRun{}, "one client, one process", Trio());
    if (levels[i] != Durability::kLastCommitMayDrop) x.target_vs_sqlite = levels[i] == Durability::kFull ? 1.0 : 2.5;
    w->push_back(std::move(x));
  }
  for (int p : {4, 8}) {
    LeaseRun shape;
    shape.processes = p;
    w->push_back(LeaseWorkload(cfg, "lease_procs" + std::to_string(p), std::nullopt, shape,
                               std::to_string(p) + " processes at once (one client each)", Trio()));
  }
  {
    LeaseRun shape;
    shape.threads = 32;
    shape.cycles = 8;  // group commit gets 8x the cycles (it is that much faster)
    w->push_back(LeaseWorkload(cfg, "lease_clients32", std::nullopt, shape, "32 client threads in one process",
                               {{"annodb WriteGrouped", SystemKind::kAnnodb, "grouped"},
                                {"annodb Write", SystemKind::kAnnodb, "write"},
                                {"SQLite peer", SystemKind::kSqlite, ""},
                                {"raw LMDB", SystemKind::kLmdb, ""}}));
  }
  const uint64_t labels = cfg.labels;
  {
    Workload x;
    x.id = "labels";
    x.title = "Label submit: " + std::to_string(labels) +
              " labels (3 per asset, 1-5 annotations: a classification and boxes), " + std::to_string(cfg.label_batch) +
              " per transaction, durability " + DurabilityName(cfg.durability) +
              "; annodb with its consensus views updated (status submitted) and without (draft)";
    x.unit = "labels/s";
    x.contenders = {{"annodb, views updated", SystemKind::kAnnodb, "counted"},
                    {"annodb, draft (no views)", SystemKind::kAnnodb, "draft"},
                    {"SQLite peer", SystemKind::kSqlite, ""}};
    x.run = [](SystemAdapter& a, const Config&, Context& ctx, const Contender& con) {
      std::string name = "lbl_" + (con.variant.empty() ? std::string("peer") : con.variant) + "_" + std::to_string(ctx.round);
      return a.PutLabels(name, con.variant != "draft");
    };
    w->push_back(std::move(x));
  }
  {
    Workload x;
    x.id = "export";
    x.title = "NDJSON export of " + std::to_string(labels) + " labels (3 per asset) with their " +
              std::to_string(cfg.rows) + " assets, to a file";
    x.unit = "labels/s";
    x.contenders = {{"annodb ExportNdjson", SystemKind::kAnnodb, ""}, {"SQLite peer", SystemKind::kSqlite, ""}};
    x.prepare = PrepareLabelled;
    x.run = [](SystemAdapter& a, const Config& c, Context& ctx, const Contender&) {
      uint64_t n = a.ExportLabels(kLabelledProject, c.dir + "/export." + SystemKey(a.kind()) + ".ndjson");
      ctx.check = n;
      return n;
    };
    x.target_vs_sqlite = 2.0;
    w->push_back(std::move(x));
  }
  {
    Workload x;
    x.id = "alpha";
    x.title = "Krippendorff's alpha (nominal, feature \"category\") over " + std::to_string(labels) + " labels";
    x.unit = "labels/s";
    x.contenders = {{"annodb ComputeAgreement", SystemKind::kAnnodb, ""}, {"SQLite peer", SystemKind::kSqlite, ""}};
    x.prepare = PrepareLabelled;
    x.run = [](SystemAdapter& a, const Config&, Context& ctx, const Contender&) {
      double alpha = 0;
      uint64_t n = a.Alpha(kLabelledProject, &alpha);
      char buf[64];
      std::snprintf(buf, sizeof buf, "alpha = %.6f", alpha);
      ctx.note = buf;
      ctx.check = n;
      return n;
    };
    w->push_back(std::move(x));
  }
}

}  // namespace

Contender LoaderFor(SystemKind system) {
  switch (system) {
    case SystemKind::kAnnodb: return {"annodb (C++ API)", system, "api"};
    case SystemKind::kSqlite: return {"SQLite peer", system, ""};
    case SystemKind::kLmdb: return {"raw LMDB", system, ""};
  }
  return {"?", system, ""};
}

std::vector<Workload> AllWorkloads(const Config& cfg) {
  std::vector<Workload> w;
  {
    Workload x;
    x.id = "import";
    x.title = "Bulk import of " + std::to_string(cfg.rows) + " assets from JSON Lines (indexes on, " +
              std::to_string(cfg.batch) + " rows per transaction, durability " + DurabilityName(cfg.durability) + ")";
    x.unit = "rows/s";
    x.fresh_store = true;
    x.loads_store = true;
    x.contenders = ImportContenders();
    x.run = [](SystemAdapter& a, const Config& c, Context&, const Contender& who) {
      return a.ImportJsonl(c.jsonl, who.variant);
    };
    x.target_vs_sqlite = 1.5;
    x.target_vs_lmdb = 0.6;
    w.push_back(std::move(x));
  }
  {
    Workload x;
    x.id = "read_by_id";
    x.title = "Point reads by id, random order, warm cache (" + std::to_string(cfg.read_batch) +
              " reads per read transaction)";
    x.unit = "reads/s";
    x.contenders = ReadContenders();
    x.prepare = PrepareReads;
    x.run = [](SystemAdapter& a, const Config&, Context& ctx, const Contender&) {
      ctx.check = a.ReadById(ctx.keys);
      return static_cast<uint64_t>(ctx.keys.ids.size());
    };
    x.target_vs_lmdb = 0.8;
    w.push_back(std::move(x));
  }
  {
    Workload x;
    x.id = "read_by_external_id";
    x.title = "Point reads by (dataset, external id), random order, warm cache (" + std::to_string(cfg.read_batch) +
              " reads per read transaction)";
    x.unit = "reads/s";
    x.contenders = ReadContenders();
    x.prepare = PrepareReads;
    x.run = [](SystemAdapter& a, const Config&, Context& ctx, const Contender&) {
      ctx.check = a.ReadByExternalId(ctx.keys);
      return static_cast<uint64_t>(ctx.keys.external_ids.size());
    };
    x.target_vs_lmdb = 0.8;
    w.push_back(std::move(x));
  }
  AddLabelWorkloads(cfg, &w);
  {
    Workload x;
    x.id = "commits";
    x.title = "Single-record commits: " + std::to_string(cfg.threads) + " threads x " +
              std::to_string(cfg.commits_per_thread) + " commits, one asset per commit, durability " +
              DurabilityName(cfg.durability);
    x.unit = "commits/s";
    x.fresh_store = true;
    x.contenders = {{"annodb Write", SystemKind::kAnnodb, "write"},
                    {"annodb WriteGrouped", SystemKind::kAnnodb, "grouped"},
                    {"SQLite peer", SystemKind::kSqlite, ""},
                    {"raw LMDB", SystemKind::kLmdb, ""}};
    x.prepare = PrepareWrites;
    x.run = [](SystemAdapter& a, const Config& c, Context& ctx, const Contender& who) {
      return a.SingleCommits(ctx.writes, c.threads, who.variant);
    };
    w.push_back(std::move(x));
  }
  return w;
}

}  // namespace bench
