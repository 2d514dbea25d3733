// Output helpers of the `annodb` program: JSON lines, aligned tables, and
// human-readable forms of times, sizes, actors and asset versions.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "annodb/assets.h"
#include "annodb/record.h"
#include "annodb/store.h"

namespace annodb::cli {

// Writes one JSON value as one line on stdout (invalid UTF-8 is replaced).
void PrintJson(const nlohmann::ordered_json& j);
// Writes text already holding one JSON object as one line on stdout.
void PrintJsonLine(std::string_view json_text);
// Writes a line on stdout.
void PrintLine(std::string_view text);
// Parses JSON produced by the engine (AssetToJson, ...); throws CliError on a bug.
nlohmann::ordered_json ParseEngineJson(std::string_view text);

// Columns padded to the widest cell; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t rows() const { return rows_.size() - 1; }
  void Print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "2024-05-01T12:00:00.123456Z" (UTC), or "-" for 0.
std::string FormatTime(int64_t micros);
// "1.5 MiB", "512 B".
std::string FormatBytes(uint64_t bytes);
// "person:alice", "import_job:import#3".
std::string FormatActor(ActorKind kind, std::string_view name);
// "alice (person)", with model, job and lease facts.
std::string DescribeProvenance(const ProvenanceInfo& p);
// A metadata value as shown to people: "A" (quoted string), 12.5, true, 2024-...Z.
std::string FormatMetaValue(const MetaEntry& m);
const char* MetaKindName(MetaKind kind);
// "1 batch", "2 batches": a count with the singular or the plural noun.
std::string CountOf(uint64_t n, std::string_view singular, std::string_view plural);
// Shortens text to at most `max` characters (UTF-8 aware), adding "...".
std::string Ellipsize(std::string_view text, size_t max);

// The dataset name for an id, cached per call site.
class DatasetNames {
 public:
  explicit DatasetNames(const ReadTxn& txn) : txn_(txn) {}
  // The dataset's name, "#ID" when it does not exist (deleted).
  const std::string& Get(uint64_t dataset_id);
  // The first error other than NotFound that Get met (a damaged dataset
  // record): the command must fail with it rather than print "#ID".
  const Status& status() const { return status_; }

 private:
  const ReadTxn& txn_;
  Status status_;
  std::vector<std::pair<uint64_t, std::string>> cache_;
};

// One asset version: as JSON (AssetToJson) or as an indented block for people.
void PrintAssetJson(const RecordView& v, std::string_view dataset_name);
void PrintAssetHuman(const RecordView& v, std::string_view dataset_name);

// What changed between two decoded versions of an asset, for history:
// "set lux=13.5; unset night; uri changed". Empty when nothing differs.
std::string DescribeAssetChange(const AssetInput& before, const AssetInput& after);

}  // namespace annodb::cli
