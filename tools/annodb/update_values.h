// Typed values of `annodb update --set key=value` and `--set-time key=TIME`
// (rules in cmd_update.cpp and docs/cli.md). Bad input throws CliError.
#pragma once

#include <string>

#include "annodb/assets.h"

namespace annodb::cli {

MetaEntry ParseSetValue(const std::string& key, const std::string& value);
MetaEntry ParseSetTime(const std::string& key, const std::string& value);

}  // namespace annodb::cli
