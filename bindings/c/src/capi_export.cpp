// The C ABI: NDJSON export (to a file or a buffer) and restore.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "annodb/ndjson.h"
#include "internal.h"

namespace annodb::capi {
namespace {

using ojson = nlohmann::ordered_json;

constexpr size_t kExportOptionsSizeV1 = sizeof(annodb_export_options);


Status ToExportOptions(const annodb_export_options* o, ExportOptions* out) {
  *out = ExportOptions();
  if (o == nullptr) return Status::OK();
  ANNODB_RETURN_IF_ERROR(
      CheckStructSize(o, o->struct_size, kExportOptionsSizeV1, sizeof(annodb_export_options), "annodb_export_options"));
  if (o->project) out->project = o->project;
  if (o->dataset) out->dataset = o->dataset;
  if (o->snapshot) out->snapshot = o->snapshot;
  out->as_of = o->as_of == ANNODB_CURRENT ? 0 : o->as_of;
  if (o->project && out->project.empty()) return Status::InvalidArgument("opts.project is empty (NULL = all)");
  if (o->dataset && out->dataset.empty()) return Status::InvalidArgument("opts.dataset is empty (NULL = all)");
  if (o->snapshot && out->snapshot.empty()) return Status::InvalidArgument("opts.snapshot is empty (NULL = none)");
  for (const std::string* s : {&out->project, &out->dataset, &out->snapshot})
    if (!ValidUtf8(*s)) return Status::InvalidArgument("export options: a name is not valid UTF-8");
  if (!out->snapshot.empty() && out->as_of != 0)
    return Status::InvalidArgument("export options: give a snapshot or an as_of sequence, not both");
  return Status::OK();
}

void GiveExportReport(const ExportReport& r, char** out, size_t* out_len) {
  if (out == nullptr) return;
  ojson j{{"lines", r.lines},
          {"assets", r.assets},
          {"labels", r.labels},
          {"comments", r.comments},
          {"sequence", r.sequence}};
  GiveText(Dump(j), out, out_len);
}

// A temporary file beside `path`, removed unless committed (renamed over
// `path`).
class TempOutput {
 public:
  explicit TempOutput(const std::string& path) : path_(path) {
    static std::atomic<uint64_t> counter{0};
    tmp_ = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  }
  ~TempOutput() {
    if (!committed_) {
      std::error_code ec;
      std::filesystem::remove(tmp_, ec);
    }
  }
  TempOutput(const TempOutput&) = delete;
  TempOutput& operator=(const TempOutput&) = delete;

  Status Open(std::ofstream* f) {
    errno = 0;
    f->open(tmp_, std::ios::binary | std::ios::trunc);
    if (!*f)
      return Status::IOError("cannot write '" + path_ + "'" + (errno ? std::string(": ") + std::strerror(errno) : ""));
    return Status::OK();
  }

  Status Commit(std::ofstream* f) {
    f->flush();
    if (!*f) return Status::IOError("writing '" + path_ + "' failed");
    f->close();
    if (f->fail()) return Status::IOError("writing '" + path_ + "' failed");
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
      return Status::IOError("cannot rename the export to '" + path_ + "': " + std::strerror(errno));
    committed_ = true;
    return Status::OK();
  }

 private:
  std::string path_, tmp_;
  bool committed_ = false;
};

}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

extern "C" {

ANNODB_EXPORT int annodb_export_options_init(annodb_export_options* opts, size_t struct_size) {
  try {
    if (opts == nullptr) return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_export_options_init: opts is NULL");
    if (struct_size < kExportOptionsSizeV1 || struct_size > kMaxStructSize)
      return SetThreadError(ANNODB_INVALID_ARGUMENT,
                            "annodb_export_options_init: struct_size " + std::to_string(struct_size) +
                                " is not a size of annodb_export_options (pass sizeof(annodb_export_options))");
    std::memset(opts, 0, struct_size);
    opts->struct_size = struct_size;
    return ANNODB_OK;
  } catch (...) {
    return InternalError(nullptr, "annodb_export_options_init", "unknown exception");
  }
}

ANNODB_EXPORT int annodb_export_ndjson(annodb_store* store, const char* path, const annodb_export_options* opts,
                                       char** report_json, size_t* report_len) {
  ResetOut(report_json, report_len);
  return Run(store, "annodb_export_ndjson", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(path, "path"));
    if (*path == '\0') return Status::InvalidArgument("path is empty");
    ExportOptions o;
    ANNODB_RETURN_IF_ERROR(ToExportOptions(opts, &o));
    TempOutput tmp(path);
    std::ofstream f;
    ANNODB_RETURN_IF_ERROR(tmp.Open(&f));
    ExportReport r;
    ANNODB_RETURN_IF_ERROR(ExportNdjson(s, o, f, &r));
    ANNODB_RETURN_IF_ERROR(tmp.Commit(&f));
    GiveExportReport(r, report_json, report_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_export_ndjson_buffer(annodb_store* store, const annodb_export_options* opts, char** out,
                                              size_t* out_len, char** report_json, size_t* report_len) {
  ResetOut(out, out_len);
  ResetOut(report_json, report_len);
  return Run(store, "annodb_export_ndjson_buffer", [&](Store& s) -> Status {
    if (out == nullptr) return Status::InvalidArgument("out is NULL");
    ExportOptions o;
    ANNODB_RETURN_IF_ERROR(ToExportOptions(opts, &o));
    std::ostringstream buf;
    ExportReport r;
    ANNODB_RETURN_IF_ERROR(ExportNdjson(s, o, buf, &r));
    std::string text = std::move(buf).str();
    char* p = MallocCopy(text);
    try {
      GiveExportReport(r, report_json, report_len);
    } catch (...) {
      std::free(p);
      throw;
    }
    *out = p;
    if (out_len) *out_len = text.size();
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_restore_ndjson(annodb_store* store, const char* path, char** report_json,
                                        size_t* report_len) {
  ResetOut(report_json, report_len);
  return Run(store, "annodb_restore_ndjson", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(path, "path"));
    if (*path == '\0') return Status::InvalidArgument("path is empty");
    if (std::strcmp(path, "-") != 0) {
      std::error_code ec;
      if (!std::filesystem::exists(path, ec) && !ec) return Status::NotFound("no file '" + std::string(path) + "'");
    }
    RestoreReport r;
    ANNODB_RETURN_IF_ERROR(RestoreNdjson(s, path, &r));
    if (report_json) {
      ojson j{{"lines", r.lines},       {"members", r.members}, {"datasets", r.datasets}, {"projects", r.projects},
              {"assets", r.assets},     {"labels", r.labels},   {"comments", r.comments},
              {"comments_existing", r.comments_existing}};
      GiveText(Dump(j), report_json, report_len);
    }
    return Status::OK();
  });
}

}  // extern "C"
