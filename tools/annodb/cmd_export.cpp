// Export and restore: export --format ndjson --out PATH|-, restore FILE|-.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>

#include "annodb/ndjson.h"
#include "cli.h"
#include "output.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

struct ExportArgs {
  std::string format = "ndjson", out;
  ExportOptions o;
};

void CmdExport(Context& ctx, ExportArgs& a) {
  if (a.format != "ndjson") UsageError("--format must be ndjson (other formats come as exporter plugins)");
  ExportReport r;
  if (a.out == "-") {
    Check(ExportNdjson(ctx.store(), a.o, std::cout, &r));
    return;  // the export is the output
  }
  std::string tmp = a.out + ".partial";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    if (!file) Fail("cannot write '" + tmp + "': " + std::strerror(errno));
    // A stream keeps no error code: errno from the write that failed (a full
    // disk) is the cause to report.
    errno = 0;
    Status s = ExportNdjson(ctx.store(), a.o, file, &r);
    int write_errno = errno;
    bool write_failed = !file;
    file.close();
    if (!file && write_errno == 0) write_errno = errno;
    if (write_failed || !file)
      s = Status::IOError("writing the export to '" + tmp + "' failed: " +
                          (write_errno ? std::strerror(write_errno) : "unknown error"));
    if (!s.ok()) {
      std::remove(tmp.c_str());
      Fail(s);
    }
  }
  // Only a complete export appears under the asked-for name.
  if (std::rename(tmp.c_str(), a.out.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    Fail("cannot rename '" + tmp + "' to '" + a.out + "': " + std::strerror(e));
  }
  if (ctx.json())
    PrintJson({{"out", a.out}, {"lines", r.lines}, {"assets", r.assets}, {"labels", r.labels}, {"comments", r.comments},
               {"sequence", r.sequence}});
  else
    PrintLine("exported " + std::to_string(r.assets) + " assets, " + std::to_string(r.labels) + " labels, " +
              std::to_string(r.comments) + " comments as of sequence " + std::to_string(r.sequence) + " to " + a.out);
}

void CmdRestore(Context& ctx, const std::string& path) {
  RestoreReport r;
  Check(RestoreNdjson(ctx.store(), path, &r));
  if (ctx.json())
    PrintJson({{"lines", r.lines}, {"members", r.members}, {"datasets", r.datasets}, {"projects", r.projects},
               {"assets", r.assets}, {"labels", r.labels}, {"comments", r.comments},
               {"comments_existing", r.comments_existing}});
  else
    PrintLine("restored " + std::to_string(r.lines) + " lines: " + std::to_string(r.assets) + " assets, " +
              std::to_string(r.labels) + " labels, " + std::to_string(r.comments) + " comments" +
              (r.comments_existing ? " (" + std::to_string(r.comments_existing) + " already there)" : std::string()) + ", " +
              std::to_string(r.projects) + " projects, " + std::to_string(r.members) + " members");
}

}  // namespace

void RegisterExportCommands(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* exp = AddCommand(&app, ctx, "export", "Export assets, labels, comments and provenance (one read transaction)");
  exp->group("Labels");
  exp->add_option("--format", a->format, "Export format")->capture_default_str();
  exp->add_option("--out", a->out, "Output file, or - for standard output")->required();
  exp->add_option("--project", a->o.project, "Only this project's labels and datasets");
  exp->add_option("--dataset", a->o.dataset, "Only this dataset");
  exp->add_option("--snapshot", a->o.snapshot, "Export as of a named snapshot (reproducible)");
  exp->callback([&ctx, a] { ctx.action = [&ctx, a] { CmdExport(ctx, *a); }; });

  auto path = std::make_shared<std::string>();
  CLI::App* restore = AddCommand(&app, ctx, "restore", "Restore an NDJSON export into the store (all or nothing)");
  restore->group("Labels");
  restore->add_option("FILE", *path, "Export file, or - for standard input")->required();
  restore->callback([&ctx, path] { ctx.action = [&ctx, path] { CmdRestore(ctx, *path); }; });
}

}  // namespace annodb::cli
