// How a command names one asset: `ID`, or `--dataset D --external-id X`.
#pragma once

#include <cstdint>
#include <string>

#include "annodb/status.h"
#include "annodb/store.h"
#include "cli.h"

namespace annodb::cli {

struct AssetRef {
  std::string id_text;  // positional ID
  std::string dataset;
  std::string external_id;
  uint64_t id = 0;  // parsed id_text (after Validate)

  // Adds the positional ID and --dataset/--external-id options to `cmd`.
  void AddOptions(CLI::App* cmd);
  // Checks that exactly one form was given; UsageError otherwise.
  void Validate();
  // The asset id (looking the external id up in the dataset when needed).
  Status Resolve(const ReadTxn& txn, uint64_t* out) const;
  // "asset 17" or "asset 'img-1' in dataset 'cams'".
  std::string Describe() const;
};

// Resolves `--as-of SEQ|SNAPSHOT`: digits are a sequence number, anything
// else names a snapshot.
Status ResolveAsOf(const ReadTxn& txn, const std::string& as_of, uint64_t* sequence);

}  // namespace annodb::cli
