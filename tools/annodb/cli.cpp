// Shared context of the `annodb` program: global options, the store, errors.
#include "cli.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace annodb::cli {

namespace {

// Keeps an error message to one line.
std::string OneLine(std::string msg) {
  for (char& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  return msg;
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

void Fail(const Status& s, std::string_view context) {
  std::string msg = s.message().empty() ? std::string(CodeName(s.code())) : s.message();
  if (!context.empty()) msg = std::string(context) + ": " + msg;
  throw CliError(OneLine(std::move(msg)), kExitFailure);
}

void Fail(std::string msg) { throw CliError(OneLine(std::move(msg)), kExitFailure); }

void UsageError(std::string msg) { throw CliError(OneLine(std::move(msg)), kExitUsage); }

void AddGlobalOptions(CLI::App* app, GlobalOptions* g) {
  app->add_option("--store", g->store, "Store directory (default: $ANNODB_STORE, else ./annodb.store)")
      ->type_name("DIR");
  app->add_flag("--json", g->json, "Machine-readable output: one JSON object (one per line for lists)");
  app->add_option("--as", g->as, "Who is acting, recorded in provenance (default: $ANNODB_ACTOR, else the OS user)")
      ->type_name("NAME");
  app->add_option("--durability", g->durability,
                  "Commit durability: full (default), last-commit-may-drop, process-crash-safe")
      ->type_name("MODE");
}

CLI::App* AddCommand(CLI::App* parent, Context& ctx, const std::string& name, const std::string& help) {
  CLI::App* sub = parent->add_subcommand(name, help);
  AddGlobalOptions(sub, &ctx.opts);
  return sub;
}

std::string Context::StorePath() const {
  if (!opts.store.empty()) return opts.store;
  std::string env = Getenv("ANNODB_STORE");
  if (!env.empty()) return env;
  return "annodb.store";
}

Actor Context::actor() const {
  std::string name = opts.as;
  if (name.empty()) name = Getenv("ANNODB_ACTOR");
  if (name.empty()) {
    if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name && *pw->pw_name) name = pw->pw_name;
  }
  if (name.empty()) name = "uid:" + std::to_string(::geteuid());
  return Actor::Person(name);
}

StoreOptions Context::MakeStoreOptions(bool create_if_missing) const {
  StoreOptions o;
  o.create_if_missing = create_if_missing;
  const std::string& d = opts.durability;
  if (d.empty() || d == "full") {
    o.durability = Durability::kFull;
  } else if (d == "last-commit-may-drop") {
    o.durability = Durability::kLastCommitMayDrop;
  } else if (d == "process-crash-safe") {
    o.durability = Durability::kProcessCrashSafe;
  } else {
    UsageError("--durability: unknown mode '" + d + "' (use full, last-commit-may-drop or process-crash-safe)");
  }
  return o;
}

Store& Context::store() {
  if (!store_) {
    std::string path = StorePath();
    Check(Store::Open(path, MakeStoreOptions(false), &store_));
  }
  return *store_;
}

Store& Context::CreateStore(bool* created) {
  std::string path = StorePath();
  Status s = Store::Open(path, MakeStoreOptions(false), &store_);
  *created = false;
  if (s.IsNotFound()) {
    *created = true;
    s = Store::Open(path, MakeStoreOptions(true), &store_);
  }
  Check(s);
  return *store_;
}

namespace {

// Runs `fn`, keeping any exception it throws in *thrown (for the caller to
// rethrow once the transaction is over) instead of letting the store see it.
template <typename Txn>
Status Catching(const std::function<Status(Txn&)>& fn, Txn& txn, std::exception_ptr* thrown) {
  try {
    return fn(txn);
  } catch (...) {
    *thrown = std::current_exception();
    return Status::Aborted("the command stopped");
  }
}

}  // namespace

Status Read(Store& store, const std::function<Status(ReadTxn&)>& fn) {
  std::exception_ptr thrown;
  Status s = store.Read([&](ReadTxn& txn) { return Catching(fn, txn, &thrown); });
  if (thrown) std::rethrow_exception(thrown);
  return s;
}

Status Write(Store& store, const Actor& actor, const std::function<Status(WriteTxn&)>& fn,
             uint64_t* committed_sequence) {
  std::exception_ptr thrown;
  Status s = store.Write(actor, [&](WriteTxn& txn) { return Catching(fn, txn, &thrown); }, committed_sequence);
  if (thrown) std::rethrow_exception(thrown);
  return s;
}

bool ParseU64(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

CLI::Validator UnsignedArg(uint64_t min, uint64_t max) {
  std::string range = max == UINT64_MAX ? "at least " + std::to_string(min)
                                        : "from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        uint64_t v = 0;
        if (!ParseU64(text, &v) || v < min || v > max)
          return "'" + text + "' is not a whole number " + range + " (digits only)";
        return std::string();
      },
      "");
}

std::string ReadInputFile(const std::string& path) {
  std::stringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
    if (std::cin.bad()) Fail("cannot read standard input");
    return buf.str();
  }
  // An ifstream opens a directory and then throws from inside the stream
  // buffer on the first read; say what is wrong instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) Fail("'" + path + "' is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read '" + path + "'" + (std::filesystem::exists(path, ec) ? "" : ": no such file"));
  buf << in.rdbuf();
  if (in.bad()) Fail("cannot read '" + path + "'");
  return buf.str();
}

std::string InputName(const std::string& path) { return path == "-" ? std::string("standard input") : "'" + path + "'"; }

uint64_t ParseId(const std::string& text, std::string_view what) {
  uint64_t v = 0;
  if (!ParseU64(text, &v) || v == 0)
    UsageError("invalid " + std::string(what) + " '" + text + "' (expected a positive integer)");
  return v;
}

}  // namespace annodb::cli
