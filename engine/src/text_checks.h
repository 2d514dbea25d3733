// Small validation helpers shared by the record modules.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "annodb/status.h"

namespace annodb {

inline bool ValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

// `field` must be valid UTF-8 of at most `max` bytes (and non-empty if required).
inline Status CheckUtf8Field(std::string_view field, std::string_view value, size_t max, bool required) {
  if (required && value.empty()) return Status::InvalidArgument(std::string(field) + " is required");
  if (value.size() > max)
    return Status::InvalidArgument(std::string(field) + " is " + std::to_string(value.size()) +
                                   " bytes, more than the limit of " + std::to_string(max));
  if (!ValidUtf8(value)) return Status::InvalidArgument(std::string(field) + " is not valid UTF-8");
  return Status::OK();
}

// A name: 1..200 bytes of UTF-8 without control characters.
inline Status CheckRecordName(std::string_view what, std::string_view name) {
  ANNODB_RETURN_IF_ERROR(CheckUtf8Field(what, name, 200, true));
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return Status::InvalidArgument(std::string(what) + " contains a control character");
  return Status::OK();
}

inline std::string FbStr(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

}  // namespace annodb
