// The `annodb` command-line program: shared context, errors and registration.
//
// Every command is a CLI11 subcommand registered by one Register* function
// (one source file per command group). Parsing only records what to run
// (Context::action); main() runs it afterwards, so every failure, from a bad
// argument to an engine error, ends in exactly one line on stderr:
//   annodb: error: <message>
// and a non-zero exit code (kExitFailure, or kExitUsage for bad arguments).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "annodb/options.h"
#include "annodb/status.h"
#include "annodb/store.h"

namespace annodb::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the operation failed (engine error, problems found)
inline constexpr int kExitUsage = 2;    // bad arguments

// An error shown to the user as one line; thrown by command code, caught in main().
class CliError : public std::runtime_error {
 public:
  CliError(std::string msg, int exit_code) : std::runtime_error(std::move(msg)), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Throws CliError(kExitFailure) with the status message (prefixed by context).
[[noreturn]] void Fail(const Status& s, std::string_view context = {});
[[noreturn]] void Fail(std::string msg);
// Throws CliError(kExitUsage).
[[noreturn]] void UsageError(std::string msg);
// Fail(s, context) unless s is OK.
inline void Check(const Status& s, std::string_view context = {}) {
  if (!s.ok()) Fail(s, context);
}

// Options accepted before and after every command name.
struct GlobalOptions {
  std::string store;       // --store DIR
  bool json = false;       // --json
  std::string as;          // --as NAME
  std::string durability;  // --durability full|last-commit-may-drop|process-crash-safe
};

// Adds --store, --json, --as and --durability to `app`, bound to `g`.
void AddGlobalOptions(CLI::App* app, GlobalOptions* g);

class Context {
 public:
  GlobalOptions opts;
  // What the selected command does; set by its parse callback.
  std::function<void()> action;

  bool json() const { return opts.json; }
  // --store, else $ANNODB_STORE, else ./annodb.store.
  std::string StorePath() const;
  // A person named by --as, else $ANNODB_ACTOR, else the OS user.
  Actor actor() const;
  StoreOptions MakeStoreOptions(bool create_if_missing) const;
  // Opens the store once (an existing one) and returns it; throws CliError.
  Store& store();
  // Opens (creating when missing) for `init`; *created tells whether it was new.
  Store& CreateStore(bool* created);

 private:
  std::unique_ptr<Store> store_;
};

// Store::Read and Store::Write with the CLI's error handling kept: the store
// turns an exception thrown by the callback into a Status ("exception in
// read: ..."), but command callbacks throw CliError on purpose (a usage error
// or a failure found inside the transaction). These end the transaction
// (aborting a write) and rethrow what the callback threw, so main() shows
// the CliError's own message with its exit code.
Status Read(Store& store, const std::function<Status(ReadTxn&)>& fn);
Status Write(Store& store, const Actor& actor, const std::function<Status(WriteTxn&)>& fn,
             uint64_t* committed_sequence = nullptr);

// Adds a subcommand with the global options already attached.
CLI::App* AddCommand(CLI::App* parent, Context& ctx, const std::string& name, const std::string& help);

// The whole content of file `path`, or of standard input for "-"; Fail()s
// when the file cannot be read.
std::string ReadInputFile(const std::string& path);
// How messages name an input: "standard input" for "-", else 'path'.
std::string InputName(const std::string& path);

// Parses a strictly positive decimal id ("17"); UsageError otherwise.
uint64_t ParseId(const std::string& text, std::string_view what);
// Parses a non-negative decimal number; false when `text` is not one.
bool ParseU64(std::string_view text, uint64_t* out);

// The check for every option bound to an unsigned integer: the text must be
// decimal digits for a number in [min, max]. Without it CLI11 converts with
// strtoull, which turns "-1" into 18446744073709551615 (and reads "010" as
// octal); with it such a value is a usage error (exit 2) naming the option.
CLI::Validator UnsignedArg(uint64_t min = 0, uint64_t max = UINT64_MAX);

// Command groups (one source file each).
void RegisterStoreCommands(CLI::App& app, Context& ctx);    // init, stats, verify, backup
void RegisterDatasetCommands(CLI::App& app, Context& ctx);  // dataset create|list
void RegisterImportCommand(CLI::App& app, Context& ctx);    // import
void RegisterAssetCommands(CLI::App& app, Context& ctx);    // get, update, delete, history
void RegisterUpdateCommand(CLI::App& app, Context& ctx);    // update (called by RegisterAssetCommands)
void RegisterQueryCommands(CLI::App& app, Context& ctx);    // list, duplicates, find
void RegisterVersionCommands(CLI::App& app, Context& ctx);  // log, snapshot create|list|delete
void RegisterProjectCommands(CLI::App& app, Context& ctx);  // project create|show|list|set, member ...
void RegisterLabelCommands(CLI::App& app, Context& ctx);    // label import|import-ls|get|list|update|delete|history
void RegisterCommentCommands(CLI::App& app, Context& ctx);  // comment add|reply|edit|resolve|reopen|list, inbox
void RegisterExportCommands(CLI::App& app, Context& ctx);   // export, restore
// consensus, member agreement (after RegisterProjectCommands), agreement, aggregate
void RegisterConsensusCommands(CLI::App& app, Context& ctx);
void RegisterQueueCommands(CLI::App& app, Context& ctx);    // queue add|stats|priority|task
void RegisterLeaseCommands(CLI::App& app, Context& ctx);    // lease, renew, release, skip, submit, review, heartbeat, leases

}  // namespace annodb::cli
