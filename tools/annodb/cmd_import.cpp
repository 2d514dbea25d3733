// import --dataset NAME FILE|DIR|-: bulk upsert of assets from JSON Lines
// (a file or standard input) or from a directory of media files.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <memory>

#include "annodb/asset_import.h"
#include "annodb/assets.h"
#include "cli.h"
#include "output.h"
#include "progress.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

struct ImportArgs {
  std::string dataset;
  std::string source;
  size_t batch_rows = 20000;
  bool no_create = false;
  bool no_hash = false;
  bool no_progress = false;
};

// Ctrl-C stops the import at the next batch boundary (committed batches stay).
std::atomic<bool> g_cancel{false};
extern "C" void OnInterrupt(int) { g_cancel.store(true); }

class InterruptGuard {
 public:
  InterruptGuard() {
    struct sigaction sa {};
    sa.sa_handler = OnInterrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

void CmdImport(Context& ctx, const ImportArgs& a) {
  if (a.dataset.empty()) UsageError("--dataset is empty");
  bool from_stdin = a.source == "-";
  std::error_code ec;
  bool is_dir = !from_stdin && std::filesystem::is_directory(a.source, ec);
  if (!from_stdin && !std::filesystem::exists(a.source, ec)) Fail("import: no such file or directory: " + a.source);

  Store& store = ctx.store();
  // Whether the dataset was created is the import's own report (decided in
  // its write transaction); this early look only gives --no-create a clear
  // message before the input is read.
  if (a.no_create) {
    Check(Read(store, [&](ReadTxn& txn) {
      uint64_t id = 0;
      Status s = FindDataset(txn, a.dataset, &id);
      if (s.IsNotFound())
        return Status::NotFound("no dataset named '" + a.dataset + "' (create it with `annodb dataset create " +
                                a.dataset + "`, or drop --no-create)");
      return s;
    }));
  }

  ImportOptions opts;
  opts.batch_rows = a.batch_rows;
  opts.create_dataset = !a.no_create;
  opts.hash_local_files = !a.no_hash;
  opts.cancel = &g_cancel;
  ProgressBar bar(is_dir ? "hashing" : "checking", !a.no_progress);
  if (bar.active()) {
    opts.progress = [&bar](const ImportProgress& p) {
      if (p.phase == ImportProgress::Phase::kChecking) bar.Update(p.bytes_done, p.bytes_total, p.rows_done);
      else bar.Update(p.rows_done, p.rows_total, p.rows_done);
    };
  }

  ImportReport report;
  Status s;
  {
    InterruptGuard guard;
    Actor actor = ctx.actor();
    if (is_dir) s = ImportDirectory(store, a.dataset, a.source, actor, opts, &report);
    else s = ImportJsonl(store, a.dataset, a.source, actor, opts, &report);
  }
  bar.Finish();
  std::string source = from_stdin ? std::string("standard input") : a.source;
  if (!s.ok()) {
    std::string msg = "import " + source + ": " + s.message();
    uint64_t written = report.created + report.updated;
    if (written > 0 && !s.IsInvalidArgument())
      msg += " (" + CountOf(written, "row", "rows") + " written in " + CountOf(report.batches, "batch", "batches") +
             " before it stopped; run the same import again to finish)";
    Fail(msg);
  }

  if (ctx.json()) {
    PrintJson({{"dataset", a.dataset},
               {"source", from_stdin ? std::string("-") : a.source},
               {"kind", is_dir ? "directory" : "jsonl"},
               {"dataset_created", report.dataset_created},
               {"lines", report.lines},
               {"created", report.created},
               {"updated", report.updated},
               {"unchanged", report.unchanged},
               {"job_id", report.job_id},
               {"first_sequence", report.first_sequence},
               {"last_sequence", report.last_sequence},
               {"batches", report.batches}});
    return;
  }
  std::string what = is_dir ? CountOf(report.lines, "file", "files") : CountOf(report.lines, "line", "lines");
  PrintLine("imported " + source + " into dataset " + a.dataset + (report.dataset_created ? " (new)" : "") + ": " + what +
            ", " + std::to_string(report.created) + " created, " + std::to_string(report.updated) + " updated, " +
            std::to_string(report.unchanged) + " unchanged");
  if (report.job_id != 0) {
    std::string seq = report.first_sequence == report.last_sequence
                          ? "sequence " + std::to_string(report.first_sequence)
                          : "sequences " + std::to_string(report.first_sequence) + ".." +
                                std::to_string(report.last_sequence);
    PrintLine("job " + std::to_string(report.job_id) + ", " + seq + ", " + CountOf(report.batches, "batch", "batches"));
  } else {
    PrintLine("nothing written (no job)");
  }
}

}  // namespace

void RegisterImportCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ImportArgs>();
  CLI::App* cmd = AddCommand(&app, ctx, "import",
                             "Upsert assets from a JSON Lines FILE, standard input (-), or a DIR of media files");
  cmd->add_option("--dataset", a->dataset, "Dataset to import into (created when missing unless --no-create)")
      ->type_name("NAME")
      ->required();
  cmd->add_option("SOURCE", a->source, "JSON Lines file, '-' for standard input, or a directory of media files")
      ->required();
  cmd->add_option("--batch-rows", a->batch_rows, "Rows per write transaction (default 20000)")
      ->type_name("N")
      ->check(UnsignedArg(1, 100000000));
  cmd->add_flag("--no-create", a->no_create, "Fail when the dataset does not exist");
  cmd->add_flag("--no-hash", a->no_hash, "Do not hash local files (file:// URIs, directory import)");
  cmd->add_flag("--no-progress", a->no_progress, "No progress bar (it is shown only when stderr is a terminal)");
  cmd->callback([&ctx, a] { ctx.action = [&ctx, a] { CmdImport(ctx, *a); }; });
  cmd->group("Assets");
}

}  // namespace annodb::cli
