// Commands on the store as a whole: init, stats, verify, backup, recover.
#include <filesystem>
#include <iostream>
#include <memory>

#include "annodb/recover.h"
#include "annodb/verify.h"
#include "cli.h"
#include "output.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

void CmdInit(Context& ctx) {
  bool created = false;
  Store& store = ctx.CreateStore(&created);
  StoreStats st;
  Check(store.Stats(&st));
  std::string path = ctx.StorePath();
  if (ctx.json()) {
    PrintJson({{"store", path}, {"created", created}, {"format_version", st.format_version}, {"sequence", st.sequence}});
    return;
  }
  if (created) PrintLine("created store " + path + " (format " + std::to_string(st.format_version) + ")");
  else PrintLine("store " + path + " exists (format " + std::to_string(st.format_version) + ", sequence " +
                 std::to_string(st.sequence) + ")");
}

void CmdStats(Context& ctx) {
  StoreStats st;
  Check(ctx.store().Stats(&st));
  auto live = [&](RecordKind k) { return st.live[static_cast<size_t>(k)]; };
  if (ctx.json()) {
    json records = json::object();
    for (int i = 1; i < kRecordKindCount; ++i)
      records[RecordKindName(static_cast<RecordKind>(i))] = {{"live", st.live[i]}, {"old_versions", st.versions[i]}};
    PrintJson({{"store", ctx.StorePath()},
               {"format_version", st.format_version},
               {"sequence", st.sequence},
               {"bytes", st.file_bytes},
               {"map_bytes", st.map_bytes},
               {"snapshots", st.snapshots},
               {"datasets", live(RecordKind::Dataset)},
               {"assets", live(RecordKind::Asset)},
               {"records", records}});
    return;
  }
  Table info({"store", ctx.StorePath()});
  info.Add({"format", std::to_string(st.format_version)});
  info.Add({"sequence", std::to_string(st.sequence)});
  info.Add({"bytes", std::to_string(st.file_bytes) + " on disk (" + FormatBytes(st.file_bytes) + "; map " +
                         FormatBytes(st.map_bytes) + ")"});
  info.Add({"snapshots", std::to_string(st.snapshots)});
  info.Print();
  PrintLine("");
  Table kinds({"KIND", "LIVE", "OLD VERSIONS"});
  for (int i = 1; i < kRecordKindCount; ++i)
    kinds.Add({RecordKindName(static_cast<RecordKind>(i)), std::to_string(st.live[i]), std::to_string(st.versions[i])});
  kinds.Print();
}

void CmdVerify(Context& ctx, size_t max_problems) {
  VerifyReport r;
  // The page walk runs before the store is opened: opening follows the main
  // table's pages, and a store whose pages are damaged is never opened.
  Check(VerifyStoreFile(ctx.StorePath(), &r, max_problems), "verify");
  if (r.ok()) Check(VerifyStore(ctx.store(), &r, max_problems), "verify");
  if (ctx.json()) {
    PrintJson({{"ok", r.ok()},
               {"pages_checked", r.pages_checked},
               {"records_checked", r.records_checked},
               {"versions_checked", r.versions_checked},
               {"index_entries_checked", r.index_entries_checked},
               {"changes_checked", r.changes_checked},
               {"problems", r.problems}});
  } else {
    for (const std::string& p : r.problems) PrintLine("problem: " + p);
    PrintLine(std::string(r.ok() ? "ok" : "FAILED") + ": checked " + std::to_string(r.pages_checked) + " pages, " +
              std::to_string(r.records_checked) +
              " records, " + std::to_string(r.versions_checked) + " old versions, " +
              std::to_string(r.index_entries_checked) + " index entries, " + std::to_string(r.changes_checked) +
              " changefeed entries; " + std::to_string(r.problems.size()) + " problems");
  }
  if (!r.ok())
    Fail("verify found " + std::to_string(r.problems.size()) + " problem" + (r.problems.size() == 1 ? "" : "s") +
         " in " + ctx.StorePath());
}

void CmdBackup(Context& ctx, const std::string& dest) {
  Store& store = ctx.store();
  uint64_t seq = 0;
  Check(store.Sequence(&seq));
  Check(store.Backup(dest), "backup");
  std::error_code ec;
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dest, ec))
    if (e.is_regular_file(ec)) bytes += e.file_size(ec);
  if (ctx.json()) {
    PrintJson({{"backup", dest}, {"bytes", bytes}, {"sequence", seq}});
    return;
  }
  PrintLine("backed up " + ctx.StorePath() + " to " + dest + " (" + FormatBytes(bytes) + ", at least sequence " +
            std::to_string(seq) + ")");
}

// `recover`: a copy of a store whose newest commit cannot be read, as of its
// previous commit (engine: annodb/recover.h).
void CmdRecover(Context& ctx, const std::string& out_dir) {
  std::string path = ctx.StorePath();
  RecoverReport r;
  Check(RecoverPreviousCommit(path, out_dir, &r), "recover");
  if (ctx.json()) {
    PrintJson({{"store", path},
               {"out", out_dir},
               {"damaged_commit", r.damaged_commit},
               {"damage", r.damage},
               {"recovered_commit", r.recovered_commit},
               {"sequence", r.sequence},
               {"verified", r.verify.ok()},
               {"records_checked", r.verify.records_checked}});
    return;
  }
  PrintLine("recovered " + path + " as of LMDB commit " + std::to_string(r.recovered_commit) + " (sequence " +
            std::to_string(r.sequence) + ") into " + out_dir);
  PrintLine(r.damage.empty() ? "the newest commit (" + std::to_string(r.damaged_commit) + ") looked sound and is not in the copy"
                             : "dropped the newest commit (" + std::to_string(r.damaged_commit) + "): " + r.damage);
  PrintLine("verify: ok, " + std::to_string(r.verify.records_checked) + " records checked; " + path +
            " was not changed");
}

}  // namespace

void RegisterStoreCommands(CLI::App& app, Context& ctx) {
  AddCommand(&app, ctx, "init", "Create the store (reports it when it already exists; never writes over a data.mdb that cannot be read)")
      ->callback([&ctx] { ctx.action = [&ctx] { CmdInit(ctx); }; })
      ->group("Store");

  AddCommand(&app, ctx, "stats", "Counts per record kind, sequence number, bytes on disk")
      ->callback([&ctx] { ctx.action = [&ctx] { CmdStats(ctx); }; })
      ->group("Store");

  auto max_problems = std::make_shared<size_t>(1000);
  CLI::App* verify = AddCommand(&app, ctx, "verify",
                                "Check every checksum and every index against its records (exit 1 on problems)");
  verify->add_option("--max-problems", *max_problems, "List at most N problems (0 = all)")->type_name("N")->check(UnsignedArg());
  verify->callback([&ctx, max_problems] { ctx.action = [&ctx, max_problems] { CmdVerify(ctx, *max_problems); }; });
  verify->group("Store");

  auto dest = std::make_shared<std::string>();
  CLI::App* backup = AddCommand(&app, ctx, "backup", "Online, compacted copy of the store into DEST (new or empty)");
  backup->add_option("DEST", *dest, "Destination directory")->required();
  backup->callback([&ctx, dest] { ctx.action = [&ctx, dest] { CmdBackup(ctx, *dest); }; });
  backup->group("Store");

  auto out = std::make_shared<std::string>();
  CLI::App* recover = AddCommand(&app, ctx, "recover",
                                 "Copy a store whose newest commit cannot be read, as of its previous commit, "
                                 "into --out (the store itself is not changed)");
  recover->add_option("--out", *out, "New or empty directory for the recovered copy")->required()->type_name("DIR");
  recover->callback([&ctx, out] { ctx.action = [&ctx, out] { CmdRecover(ctx, *out); }; });
  recover->group("Store");
}

}  // namespace annodb::cli
