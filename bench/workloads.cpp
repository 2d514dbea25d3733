#include "workloads.h"

#include <algorithm>
#include <random>

#include "datagen.h"
#include "jsonl.h"

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
