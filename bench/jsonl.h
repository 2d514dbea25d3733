// Reading the JSON Lines import file: one streaming line reader and one
// simdjson (On-Demand) line parser, shared by every loader in the benchmark so
// that each system pays the same parsing cost.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "annodb/assets.h"

namespace bench {

// Streams a file line by line through a fixed buffer (memory does not grow
// with the file). Every line handed out is followed by at least
// SIMDJSON_PADDING readable bytes, as simdjson requires.
class LineReader {
 public:
  explicit LineReader(const std::string& path);  // throws std::runtime_error
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next non-empty line without its newline; false at the end. The view
  // stays valid until the next call. `capacity` receives the readable bytes
  // from line.data() (>= line.size() + SIMDJSON_PADDING).
  bool Next(std::string_view* line, size_t* capacity);
  uint64_t line_number() const { return line_no_; }

 private:
  bool Fill();
  int fd_ = -1;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t line_no_ = 0;
};

// How the loader wants the metadata object.
enum class MetaMode {
  kTyped,    // typed entries in in.metadata (annodb, raw LMDB)
  kRawJson,  // the object's JSON text in metadata_json (SQLite stores JSON text)
};

struct ParsedAsset {
  annodb::AssetInput in;           // reused between lines: strings keep their capacity
  std::string_view metadata_json;  // kRawJson: valid until the next line is read
};

// Parses one import line. Throws std::runtime_error naming the line and the
// field on bad input (not JSON, missing field, wrong type, unknown key).
void ParseAssetLine(simdjson::ondemand::parser& parser, std::string_view line, size_t capacity, MetaMode mode,
                    uint64_t line_no, ParsedAsset* out);

}  // namespace bench
