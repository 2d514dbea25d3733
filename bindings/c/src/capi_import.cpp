// The C ABI: bulk import (JSON Lines files and buffers, directories).
#include <atomic>
#include <cstring>
#include <istream>
#include <streambuf>

#include <nlohmann/json.hpp>

#include "annodb/asset_import.h"
#include "internal.h"

namespace annodb::capi {
namespace {

// A read-only stream over the caller's bytes (no copy).
class MemoryBuf : public std::streambuf {
 public:
  MemoryBuf(const char* data, size_t size) {
    char* p = const_cast<char*>(data);  // only ever read through get area
    setg(p, p, p + size);
  }
};

struct ImportArgs {
  ImportOptions options;
  Actor actor;
  std::atomic<bool> cancel{false};
  annodb_import_progress_fn progress = nullptr;
  void* user_data = nullptr;
};

// Fills the caller's report (any outcome) and, on success, the JSON report.
void GiveReport(const ImportReport& r, annodb_import_report* report) {
  if (report == nullptr) return;
  size_t size = report->struct_size;
  std::memset(report, 0, size);
  report->struct_size = size;
  report->lines = r.lines;
  report->created = r.created;
  report->updated = r.updated;
  report->unchanged = r.unchanged;
  report->job_id = r.job_id;
  report->first_sequence = r.first_sequence;
  report->last_sequence = r.last_sequence;
  report->batches = r.batches;
}

Status PrepareImport(const annodb_import_options* opts, const annodb_actor* actor, annodb_import_report* report,
                     ImportArgs* args) {
  if (report != nullptr) {
    // An output struct: any size from the first published one up is fine;
    // fields this library does not know are left zero.
    if (report->struct_size < kImportReportSizeV1 || report->struct_size > kMaxStructSize)
      return Status::InvalidArgument("annodb_import_report.struct_size " + std::to_string(report->struct_size) +
                                     " is not a size of annodb_import_report (set it to sizeof(annodb_import_report))");
    GiveReport(ImportReport{}, report);
  }
  ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &args->actor));
  if (opts != nullptr) {
    ANNODB_RETURN_IF_ERROR(CheckStructSize(opts, opts->struct_size, kImportOptionsSizeV1,
                                           sizeof(annodb_import_options), "annodb_import_options"));
    if (opts->batch_rows != 0) args->options.batch_rows = opts->batch_rows;
    args->options.create_dataset = opts->create_dataset != 0;
    args->options.hash_local_files = opts->hash_local_files != 0;
    args->progress = opts->progress;
    args->user_data = opts->progress_user_data;
  }
  args->options.cancel = &args->cancel;
  if (args->progress != nullptr) {
    args->options.progress = [args](const ImportProgress& p) {
      if (args->cancel.load()) return;
      annodb_import_progress cp;
      std::memset(&cp, 0, sizeof cp);
      cp.struct_size = sizeof cp;
      cp.phase = p.phase == ImportProgress::Phase::kChecking ? ANNODB_IMPORT_CHECKING : ANNODB_IMPORT_WRITING;
      cp.rows_done = p.rows_done;
      cp.rows_total = p.rows_total;
      cp.bytes_done = p.bytes_done;
      cp.bytes_total = p.bytes_total;
      cp.created = p.created;
      cp.updated = p.updated;
      cp.unchanged = p.unchanged;
      cp.batches = p.batches;
      if (args->progress(&cp, args->user_data) != 0) args->cancel.store(true);
    };
  }
  return Status::OK();
}

void GiveReportJson(const ImportReport& r, char** out, size_t* out_len) {
  if (out == nullptr) return;
  nlohmann::json j = {{"lines", r.lines},       {"created", r.created},
                      {"updated", r.updated},   {"unchanged", r.unchanged},
                      {"job_id", r.job_id},     {"first_sequence", r.first_sequence},
                      {"last_sequence", r.last_sequence}, {"batches", r.batches},
                      {"dataset_created", r.dataset_created}};
  GiveText(j.dump(), out, out_len);
}

enum class Source { kFile, kBuffer, kDirectory };

int RunImport(const char* fn_name, Source source, annodb_store* store, const char* dataset, const char* path,
              const char* data, size_t size, const annodb_import_options* opts, const annodb_actor* actor,
              annodb_import_report* report, char** report_json, size_t* report_len) {
  ResetOut(report_json, report_len);
  return Run(store, fn_name, [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(dataset, "dataset name"));
    if (source == Source::kBuffer) {
      if (data == nullptr && size != 0) return Status::InvalidArgument("data is NULL");
    } else {
      ANNODB_RETURN_IF_ERROR(RequireString(path, source == Source::kFile ? "path" : "dir"));
      if (*path == '\0') return Status::InvalidArgument(source == Source::kFile ? "path is empty" : "dir is empty");
    }
    ImportArgs args;
    ANNODB_RETURN_IF_ERROR(PrepareImport(opts, actor, report, &args));
    ImportReport r;
    Status st;
    switch (source) {
      case Source::kFile: st = ImportJsonl(s, dataset, path, args.actor, args.options, &r); break;
      case Source::kBuffer: {
        MemoryBuf buf(data ? data : "", size);
        std::istream in(&buf);
        st = ImportJsonlStream(s, dataset, in, args.actor, args.options, &r);
        break;
      }
      case Source::kDirectory: st = ImportDirectory(s, dataset, path, args.actor, args.options, &r); break;
    }
    GiveReport(r, report);
    if (st.ok()) GiveReportJson(r, report_json, report_len);
    return st;
  });
}

}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

extern "C" {

ANNODB_EXPORT int annodb_import_options_init(annodb_import_options* opts, size_t struct_size) {
  try {
    if (opts == nullptr) return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_import_options_init: opts is NULL");
    if (struct_size < kImportOptionsSizeV1 || struct_size > kMaxStructSize)
      return SetThreadError(ANNODB_INVALID_ARGUMENT,
                            "annodb_import_options_init: struct_size " + std::to_string(struct_size) +
                                " is not a size of annodb_import_options (pass sizeof(annodb_import_options))");
    std::memset(opts, 0, struct_size);
    ImportOptions d;
    opts->struct_size = struct_size;
    opts->batch_rows = d.batch_rows;
    opts->create_dataset = d.create_dataset ? 1 : 0;
    opts->hash_local_files = d.hash_local_files ? 1 : 0;
    return ANNODB_OK;
  } catch (...) {
    return InternalError(nullptr, "annodb_import_options_init", "unknown exception");
  }
}

ANNODB_EXPORT int annodb_import_jsonl(annodb_store* store, const char* dataset, const char* path,
                                      const annodb_import_options* opts, const annodb_actor* actor,
                                      annodb_import_report* report, char** report_json, size_t* report_len) {
  return RunImport("annodb_import_jsonl", Source::kFile, store, dataset, path, nullptr, 0, opts, actor, report,
                   report_json, report_len);
}

ANNODB_EXPORT int annodb_import_jsonl_buffer(annodb_store* store, const char* dataset, const char* data,
                                             size_t size, const annodb_import_options* opts,
                                             const annodb_actor* actor, annodb_import_report* report,
                                             char** report_json, size_t* report_len) {
  return RunImport("annodb_import_jsonl_buffer", Source::kBuffer, store, dataset, nullptr, data, size, opts, actor,
                   report, report_json, report_len);
}

ANNODB_EXPORT int annodb_import_directory(annodb_store* store, const char* dataset, const char* dir,
                                          const annodb_import_options* opts, const annodb_actor* actor,
                                          annodb_import_report* report, char** report_json, size_t* report_len) {
  return RunImport("annodb_import_directory", Source::kDirectory, store, dataset, dir, nullptr, 0, opts, actor,
                   report, report_json, report_len);
}

}  // extern "C"
