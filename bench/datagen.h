// Synthetic asset rows with realistic shapes, generated deterministically from
// (seed, row index) so that any process can recompute any row's external id
// without holding the data set in memory.
//
// One row, one JSON Lines line (the import format of docs/formats.md):
//   {"external_id":"3f1c...-...","uri":"s3://annotation-data/site-07/2024/05/3f1c....jpg",
//    "media_type":"image/jpeg","width":1920,"height":1080,"byte_size":482113,
//    "content_hash":"<32 hex>","metadata":{"camera":"cam-12","frame":88123,
//    "lux":412.75,"night":false,"site":"site-07", ... 5 to 10 keys}}
// Metadata mixes strings, integers, floats and booleans; about 2% of rows
// repeat an earlier row's content hash (duplicates, as real data has).
#pragma once

#include <cstdint>
#include <string>

namespace bench {

// The external id of row `i` (0-based). uuid-like (random order) unless
// `sequential`, then "img-000000042".
std::string ExternalId(uint64_t seed, uint64_t i, bool sequential);

// Appends row `i` as one JSON line (with the trailing newline) to `out`.
void AppendRowJson(uint64_t seed, uint64_t i, bool sequential, std::string* out);

// Writes rows [0, n) to `path`. Returns the file size in bytes.
uint64_t WriteJsonl(const std::string& path, uint64_t seed, uint64_t n, bool sequential);

// splitmix64: a bijection on 64-bit integers with good mixing.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace bench
