// The one check every JSON input goes through before it is read.
#pragma once

#include <string_view>

#include "annodb/status.h"

namespace annodb {

// Checks that `text` is one JSON value in valid UTF-8 with no object holding
// the same key twice, at any depth. JSON parsers keep the last of two equal
// keys ({"author":"carol","author":"bob"} reads as bob), so input readers
// that use such a parser call this first; a duplicate is refused instead of
// silently dropping one of the values. The asset line parser
// (ParseAssetJson) does the same check while it reads.
//
// Errors: InvalidArgument with a message naming the problem: "not valid
// UTF-8", "not valid JSON (...)", or "annotations[0]: key 'feature' is given
// twice" (the path of the object holding the key). Never throws; thread-safe.
Status CheckJsonInput(std::string_view text);

}  // namespace annodb
