// annodb: the command-line program of the annodb engine.
//
//   annodb [--store DIR] [--json] [--as NAME] [--durability MODE] COMMAND ...
//
// See docs/cli.md. Every failure prints one line, `annodb: error: <message>`,
// on stderr and exits non-zero (1: the operation failed, 2: bad arguments).
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

namespace {

using annodb::cli::CliError;
using annodb::cli::Context;

int PrintError(const std::string& msg, int code) {
  std::string line = msg;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::cout.flush();
  std::fprintf(stderr, "annodb: error: %s\n", line.c_str());
  return code;
}

// The chain of subcommands the user selected: "dataset create".
std::vector<CLI::App*> SelectedPath(CLI::App& app) {
  std::vector<CLI::App*> path;
  CLI::App* cur = &app;
  while (true) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) break;
    cur = subs.front();
    path.push_back(cur);
  }
  return path;
}

std::string PathName(const std::vector<CLI::App*>& path) {
  std::string s = "annodb";
  for (CLI::App* a : path) s += " " + a->get_name();
  return s;
}

std::string SubcommandNames(CLI::App* app) {
  std::string s;
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    if (!s.empty()) s += ", ";
    s += sub->get_name();
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  Context ctx;
  CLI::App app{
      "annodb: an embedded, versioned store for AI-annotation data.\n"
      "Every command accepts --store, --json, --as and --durability, before or after its name."};
  app.name("annodb");
  app.set_version_flag("--version", "annodb 0.1.0");
  app.get_formatter()->column_width(34);
  app.footer(
      "Environment: ANNODB_STORE (default store directory), ANNODB_ACTOR (default --as).\n"
      "Exit codes: 0 success, 1 the operation failed, 2 bad arguments.\n"
      "Run `annodb COMMAND --help` for a command's options; docs/cli.md has examples.");
  annodb::cli::AddGlobalOptions(&app, &ctx.opts);
  annodb::cli::RegisterStoreCommands(app, ctx);
  annodb::cli::RegisterDatasetCommands(app, ctx);
  annodb::cli::RegisterImportCommand(app, ctx);
  annodb::cli::RegisterAssetCommands(app, ctx);
  annodb::cli::RegisterQueryCommands(app, ctx);
  annodb::cli::RegisterVersionCommands(app, ctx);
  annodb::cli::RegisterProjectCommands(app, ctx);
  annodb::cli::RegisterLabelCommands(app, ctx);
  annodb::cli::RegisterCommentCommands(app, ctx);
  annodb::cli::RegisterExportCommands(app, ctx);
  annodb::cli::RegisterConsensusCommands(app, ctx);
  annodb::cli::RegisterQueueCommands(app, ctx);
  annodb::cli::RegisterLeaseCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::vector<CLI::App*> path = SelectedPath(app);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      CLI::App* last = path.empty() ? &app : path.back();
      std::vector<std::string> rest = last->remaining();
      if (rest.empty()) rest = app.remaining();
      if (!rest.empty() && !last->get_subcommands([](CLI::App*) { return true; }).empty()) {
        std::string where = path.empty() ? std::string() : PathName(path).substr(7) + " ";
        return PrintError("unknown command '" + where + rest.front() + "' (see " + PathName(path) + " --help)",
                          annodb::cli::kExitUsage);
      }
    }
    std::string where = path.empty() ? std::string() : PathName(path).substr(7) + ": ";
    return PrintError(where + e.what(), annodb::cli::kExitUsage);
  }

  if (!ctx.action) {
    std::vector<CLI::App*> path = SelectedPath(app);
    CLI::App* last = path.empty() ? &app : path.back();
    return PrintError("'" + PathName(path) + "' needs a command: " + SubcommandNames(last) + " (see " +
                          PathName(path) + " --help)",
                      annodb::cli::kExitUsage);
  }

  int code = annodb::cli::kExitOk;
  try {
    ctx.action();
  } catch (const CliError& e) {
    code = PrintError(e.what(), e.exit_code());
  } catch (const std::bad_alloc&) {
    code = PrintError("out of memory", annodb::cli::kExitFailure);
  } catch (const std::exception&) {
    // Its what() is a library's text ("basic_filebuf::underflow"), not a message.
    code = PrintError("internal error: an unexpected exception (a bug in annodb)", annodb::cli::kExitFailure);
  }
  std::cout.flush();
  if (!std::cout && code == annodb::cli::kExitOk) return PrintError("cannot write to stdout", annodb::cli::kExitFailure);
  return code;
}
