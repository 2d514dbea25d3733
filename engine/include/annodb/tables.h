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
  kProjectByName = 3,      // name (raw)                       -> project id
  kMemberByName = 4,       // name (raw)                       -> member id
  kLabelByAsset = 5,       // project id + asset id + label id -> empty
  kLabelByAuthor = 6,      // project id + member id + label id -> empty
  kLabelByStatus = 7,      // project id + status (u8) + label id -> empty
  kLabelUnique = 8,        // project id + asset id + source (u8) + author key -> label id
  kCommentByAsset = 9,     // asset id + comment id            -> empty
  kCommentByLabel = 10,    // label id + comment id            -> empty
  kCommentByThread = 11,   // thread id + comment id           -> empty
  kIssueByProject = 12,    // project id + issue state (u8) + comment id -> empty
  kInbox = 13,             // member id + comment id           -> read flag (u8)
  // The queue (queue.h; layouts in docs/queue.md). Queue state is not a
  // versioned record: tasks change on every lease, and the leases themselves
  // are the versioned, provenance-carrying records.
  kQueueTask = 14,         // project id + asset id            -> task state (queue_state.h)
  kQueueReady = 15,        // project id + lane (u8) + order key + asset id -> empty
  kQueueAhead = 16,        // same keys as kQueueReady: ready tasks placed behind some member's cursor
  kQueueTouch = 17,        // project id + asset id + member id -> touch state (u8)
  kQueueCursor = 18,       // project id + member id + lane (u8) -> cursor state
  kLeaseByExpiry = 19,     // expiry (i64) + lease id          -> empty (active leases only)
  kLeaseByMember = 20,     // member id + lease id             -> project id (active leases only)
  kQueueBatch = 21,        // project id + batch id + asset id -> empty
  kQueueCounts = 22,       // project id + member id (0 = project) -> counters record (queue_state.h)
  // Consensus views (consensus.h; layouts in docs/ARCHITECTURE.md). Derived
  // data kept current in the label's own write transaction, not versioned.
  kConsensusAsset = 23,    // project id + asset id            -> Consensus FlatBuffer (consensus.fbs)
  kConsensusByScore = 24,  // no longer written (was project + score + asset); a rebuild removes old entries
  kConsensusMember = 25,   // project id + member id           -> 5 x u64 BE (labels, pair sum, pairs, gold sum, gold pairs)
  kConsensusValues = 26,   // project id + feature (u32 BE) + asset id -> (option u32 BE, count u32 BE)...
  kCount = 27,
};

// The LMDB database name of an index ("idx.asset_by_external_id", ...).
const char* IndexName(Index index);

}  // namespace annodb
