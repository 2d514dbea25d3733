// annodb_bench: annodb against a SQLite peer and raw LMDB, side by side, on
// the same generated data (docs/PERFORMANCE.md describes the method).
//
//   annodb_bench --quick            100k rows, 3 repeats (under a minute)
//   annodb_bench --full --json r.json
//   annodb_bench --rows 2000 --repeat 1   (the ctest smoke run)
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "bench.h"
#include "datagen.h"
#include "report.h"
#include "runner.h"
#include "workloads.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  bench::Config cfg;
  CLI::App app{"annodb_bench: annodb vs a SQLite peer vs raw LMDB on the same data"};
  bool quick = false, full = false, keep = false;
  std::string durability = "full", json_path, md_path, parent_dir;
  app.add_flag("--quick", quick, "100k rows, 30k labels, 3 repeats (about a minute)");
  app.add_flag("--full", full, "1M rows, 5 repeats (the figures in docs/PERFORMANCE.md)");
  app.add_option("--rows", cfg.rows, "assets to generate and import (overrides --quick/--full)");
  app.add_option("--reads", cfg.reads, "point reads per timed pass (default: one per row)");
  app.add_option("--repeat", cfg.repeat, "timed runs per system and workload (median reported)")->check(CLI::Range(1, 1000));
  app.add_option("--batch", cfg.batch, "rows per write transaction in bulk import")->check(CLI::Range(1, 100000000));
  app.add_option("--read-batch", cfg.read_batch, "point reads per read transaction")->check(CLI::Range(1, 100000000));
  app.add_option("--threads", cfg.threads, "writer threads in the single-commit workload")->check(CLI::Range(1, 1024));
  app.add_option("--commits-per-thread", cfg.commits_per_thread,
                 "commits per writer thread in the single-commit workload (default 8; --full: 50)");
  app.add_option("--labels", cfg.labels, "labels in the label, export and alpha workloads (default: --rows)");
  app.add_option("--label-batch", cfg.label_batch, "labels per write transaction in the label workloads")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--lease-cycles", cfg.lease_cycles,
                 "lease+submit cycles per run at the fsyncing durability levels (default 24; --full: 200)");
  app.add_option("--lease-cycles-nosync", cfg.lease_cycles_nosync,
                 "lease+submit cycles per run at process-crash-safe (default 2000; --full: 20000)");
  app.add_option("--seed", cfg.seed, "data generator seed");
  app.add_option("--durability", durability, "full | last-commit-may-drop | process-crash-safe (matched across systems)")
      ->check(CLI::IsMember({"full", "last-commit-may-drop", "process-crash-safe"}));
  app.add_option("--dir", parent_dir, "directory for the data (a fresh subdirectory is made and removed at exit)");
  app.add_flag("--keep", keep, "keep the data directory at exit");
  app.add_option("--json", json_path, "also write the results as JSON to this file ('-' = stdout)");
  app.add_option("--markdown", md_path, "also write the tables as Markdown to this file ('-' = stdout)");
  app.add_option("--systems", cfg.only_systems, "only these systems: annodb, sqlite, lmdb");
  app.add_option("--workloads", cfg.only_workloads, "only these workloads: import, read_by_id, read_by_external_id, lease_full, lease_lcmd, lease_pcs,"
                 " lease_procs4, lease_procs8, lease_clients32, labels, export, alpha, commits");
  app.add_flag("--sequential-ids", cfg.sequential_ids, "external ids in ascending order (default: uuid-like)");
  app.add_flag("--sqlite-exclusive", cfg.sqlite_exclusive, "SQLite locking_mode=EXCLUSIVE (single process only)");
  app.add_option("--annodb-map-mib", cfg.annodb_map_mib, "annodb initial map size in MiB (default: the engine's)");
  app.add_option("--sqlite-page-size", cfg.sqlite_page_size, "SQLite page_size for new databases")
      ->check(CLI::IsMember({512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}));
  app.add_option("--sqlite-pragma", cfg.sqlite_pragmas, "extra SQLite pragma name=value, after the defaults (repeatable)");
  bool no_fork = false;
  app.add_flag("--no-fork", no_fork, "run everything in this process (for profilers; peak RSS becomes cumulative)");
  app.add_flag("-v,--verbose", cfg.verbose, "print every run");
  CLI11_PARSE(app, argc, argv);

  bool rows_given = app.count("--rows") > 0, repeat_given = app.count("--repeat") > 0;
  if (full) {
    if (!rows_given) cfg.rows = 1000000;
    if (!repeat_given) cfg.repeat = 5;
    if (app.count("--commits-per-thread") == 0) cfg.commits_per_thread = 50;
    if (app.count("--lease-cycles") == 0) cfg.lease_cycles = 200;
    if (app.count("--lease-cycles-nosync") == 0) cfg.lease_cycles_nosync = 20000;
  } else if (quick) {
    if (!rows_given) cfg.rows = 100000;
    if (!repeat_given) cfg.repeat = 3;
    // The label workloads write a label in ~20-45 us each: 30k keeps --quick near a minute.
    if (app.count("--labels") == 0) cfg.labels = 30000;
  }
  if (cfg.labels == 0) cfg.labels = cfg.rows;
  cfg.labels = std::min<uint64_t>(cfg.labels, cfg.rows * 3);  // 3 labels per asset at most
  if (cfg.rows == 0) {
    std::fprintf(stderr, "annodb_bench: --rows must be at least 1\n");
    return 2;
  }
  bench::ParseDurability(durability, &cfg.durability);
  cfg.fork = !no_fork;

  std::string base = parent_dir.empty() ? fs::temp_directory_path().string() : parent_dir;
  std::error_code ec;
  fs::create_directories(base, ec);
  std::string tmpl = base + "/annodb_bench.XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    std::perror(("annodb_bench: mkdtemp in " + base).c_str());
    return 1;
  }
  cfg.dir = tmpl;
  cfg.jsonl = cfg.dir + "/assets.jsonl";

  int rc = 0;
  try {
    bench::MachineInfo m = bench::ReadMachineInfo();
    bench::Timer gen;
    m.jsonl_bytes = bench::WriteJsonl(cfg.jsonl, cfg.seed, cfg.rows, cfg.sequential_ids);
    m.generate_seconds = gen.Seconds();
    if (cfg.verbose) std::fprintf(stderr, "generated %s (%llu bytes)\n", cfg.jsonl.c_str(),
                                  static_cast<unsigned long long>(m.jsonl_bytes));
    std::vector<bench::Workload> workloads = bench::AllWorkloads(cfg);
    std::vector<bench::Result> results = bench::RunAll(cfg, workloads);
    m.load_after = bench::LoadAverage();
    bench::PrintReport(cfg, m, workloads, results);
    if (!json_path.empty()) bench::WriteJson(json_path, cfg, m, workloads, results);
    if (!md_path.empty()) bench::WriteMarkdown(md_path, cfg, m, workloads, results);
    for (const bench::Result& r : results)
      if (!r.ok() && r.error.rfind("n/a", 0) != 0) rc = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "annodb_bench: %s\n", e.what());
    rc = 1;
  }
  if (keep) {
    std::fprintf(stderr, "annodb_bench: data kept in %s\n", cfg.dir.c_str());
  } else {
    fs::remove_all(cfg.dir, ec);
  }
  return rc;
}
