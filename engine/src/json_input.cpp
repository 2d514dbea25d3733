// CheckJsonInput: valid JSON without duplicate keys (see json_input.h).
#include "annodb/json_input.h"

#include <simdjson.h>

#include <algorithm>
#include <string>
#include <vector>

namespace annodb {
namespace {

// "annotations[0]" or "" for the document itself.
std::string Where(const std::string& path) { return path.empty() ? std::string() : path + ": "; }

bool Container(simdjson::dom::element e) { return e.is_array() || e.is_object(); }

// Recursion is bounded by the parser's depth limit (1024 levels).
Status Walk(simdjson::dom::element e, const std::string& path) {
  simdjson::dom::array arr;
  if (e.get_array().get(arr) == simdjson::SUCCESS) {
    size_t i = 0;
    for (simdjson::dom::element child : arr) {
      // The path is built only for nested containers, not for each number
      // of a polygon.
      if (Container(child)) ANNODB_RETURN_IF_ERROR(Walk(child, path + "[" + std::to_string(i) + "]"));
      ++i;
    }
    return Status::OK();
  }
  simdjson::dom::object obj;
  if (e.get_object().get(obj) != simdjson::SUCCESS) return Status::OK();
  std::vector<std::string_view> keys;
  keys.reserve(obj.size());
  for (simdjson::dom::key_value_pair kv : obj) keys.push_back(kv.key);
  std::sort(keys.begin(), keys.end());
  auto dup = std::adjacent_find(keys.begin(), keys.end());
  if (dup != keys.end())
    return Status::InvalidArgument(Where(path) + "key '" + std::string(dup->substr(0, 64)) + "' is given twice");
  for (simdjson::dom::key_value_pair kv : obj) {
    if (!Container(kv.value)) continue;
    std::string child = path.empty() ? std::string(kv.key) : path + "." + std::string(kv.key);
    ANNODB_RETURN_IF_ERROR(Walk(kv.value, child));
  }
  return Status::OK();
}

}  // namespace

Status CheckJsonInput(std::string_view text) {
  try {
    thread_local simdjson::dom::parser parser;
    simdjson::padded_string padded(text);
    simdjson::dom::element doc;
    if (auto e = parser.parse(padded).get(doc)) {
      if (e == simdjson::UTF8_ERROR) return Status::InvalidArgument("not valid UTF-8");
      if (e == simdjson::EMPTY) return Status::InvalidArgument("not valid JSON (empty)");
      if (e == simdjson::DEPTH_ERROR) return Status::InvalidArgument("not valid JSON (nested too deeply)");
      if (e == simdjson::NUMBER_ERROR)
        return Status::InvalidArgument("not valid JSON (a number is malformed or out of the range of a 64-bit float)");
      return Status::InvalidArgument("not valid JSON");
    }
    return Walk(doc, "");
  } catch (const std::bad_alloc&) {
    return Status::IOError("out of memory checking a JSON input");
  }
}

}  // namespace annodb
