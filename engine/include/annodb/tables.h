// The named LMDB databases of a store besides the per-kind record and
// history tables. Values only ever get appended to this list (the names are
// on disk); docs/ARCHITECTURE.md lists each table's key and value layout.
#pragma once

#include <cstdint>

namespace annodb {

enum class Index : uint8_t {
  kDatasetByName = 0,      // name (raw)                       -> dataset id (u64 BE)
  kAssetByExternalId = 1,  // dataset id (u64 BE) + external id -> asset id (u64 BE)
  kAssetByHash = 2,        // hash (16 bytes BE) + asset id      -> empty
  kCount = 3,
};

// The LMDB database name of an index ("idx.asset_by_external_id", ...).
const char* IndexName(Index index);

}  // namespace annodb
