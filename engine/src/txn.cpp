// ReadTxn and WriteTxn: versioned records, history, as-of reads, indexes,
// snapshots and the changefeed on top of LMDB transactions.
#include <cstring>
#include <limits>

#include "annodb/keys.h"
#include "annodb/schema/changes_generated.h"
#include "annodb/schema/provenance_generated.h"
#include "annodb/store.h"
#include "envelope.h"
#include "fb_align.h"
#include "store_impl.h"

namespace annodb {
namespace {

std::string RecordName(RecordKind kind, uint64_t id) {
  return std::string(RecordKindName(kind)) + " " + std::to_string(id);
}

// A record key (u64 big-endian) in a caller's buffer: no allocation on the
// read and write hot paths.
inline std::string_view U64Key(uint64_t v, char (&buf)[8]) {
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return std::string_view(buf, 8);
}

std::string HistoryKey(uint64_t id, uint64_t version) { return KeyBuilder().U64(id).U64(version).str(); }

bool ValidKind(RecordKind kind) {
  auto k = static_cast<int>(kind);
  return k >= 1 && k < kRecordKindCount;
}

// Snapshot values: sequence (u64 BE) + created_us (u64 BE).
std::string EncodeSnapshot(uint64_t seq, int64_t created) {
  return KeyBuilder().U64(seq).U64(static_cast<uint64_t>(created)).str();
}

}  // namespace

const char* IndexName(Index index) {
  switch (index) {
    case Index::kDatasetByName: return "idx.dataset_by_name";
    case Index::kAssetByExternalId: return "idx.asset_by_external_id";
    case Index::kAssetByHash: return "idx.asset_by_hash";
    case Index::kProjectByName: return "idx.project_by_name";
    case Index::kMemberByName: return "idx.member_by_name";
    case Index::kLabelByAsset: return "idx.label_by_asset";
    case Index::kLabelByAuthor: return "idx.label_by_author";
    case Index::kLabelByStatus: return "idx.label_by_status";
    case Index::kLabelUnique: return "idx.label_unique";
    case Index::kCommentByAsset: return "idx.comment_by_asset";
    case Index::kCommentByLabel: return "idx.comment_by_label";
    case Index::kCommentByThread: return "idx.comment_by_thread";
    case Index::kIssueByProject: return "idx.issue_by_project";
    case Index::kInbox: return "idx.inbox";
    case Index::kQueueTask: return "idx.queue_task";
    case Index::kQueueReady: return "idx.queue_ready";
    case Index::kQueueAhead: return "idx.queue_ahead";
    case Index::kQueueTouch: return "idx.queue_touch";
    case Index::kQueueCursor: return "idx.queue_cursor";
    case Index::kLeaseByExpiry: return "idx.lease_by_expiry";
    case Index::kLeaseByMember: return "idx.lease_by_member";
    case Index::kQueueBatch: return "idx.queue_batch";
    case Index::kQueueCounts: return "idx.queue_counts";
    case Index::kConsensusAsset: return "idx.consensus_asset";
    case Index::kConsensusByScore: return "idx.consensus_by_score";
    case Index::kConsensusMember: return "idx.consensus_member";
    case Index::kConsensusValues: return "idx.consensus_values";
    case Index::kCount: break;
  }
  return "idx.unknown";
}

const char* ChangeOpName(ChangeRun::Op op) {
  switch (op) {
    case ChangeRun::Op::kCreate: return "create";
    case ChangeRun::Op::kUpdate: return "update";
    case ChangeRun::Op::kDelete: return "delete";
  }
  return "update";
}

ReadTxn::~ReadTxn() = default;

uint64_t ReadTxn::sequence() const {
  uint64_t seq = 0;
  ReadMetaU64(txn_, store_->impl().meta, kMetaSequence, &seq);
  return seq;
}

uint64_t ReadTxn::LiveCount(RecordKind kind) const {
  uint64_t n = 0;
  ReadMetaU64(txn_, store_->impl().meta, MetaLiveKey(kind), &n);
  return n;
}

Status ReadTxn::GetIncludingDeleted(RecordKind kind, uint64_t id, RecordView* out) const {
  if (!out) return Status::InvalidArgument("output view is null");
  if (!ValidKind(kind)) return Status::InvalidArgument("unknown record kind");
  char kb[8];
  MDB_val k = Val(U64Key(id, kb)), v;
  int rc = mdb_get(txn_, store_->impl().records[static_cast<int>(kind)], &k, &v);
  if (rc == MDB_NOTFOUND) return Status::NotFound(RecordName(kind, id) + " does not exist");
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "reading " + RecordName(kind, id));
  auto* data = static_cast<const uint8_t*>(v.mv_data);
  // Every read checks sizes and the checksum; the record's name for the
  // message is built only when the check fails.
  if (!envelope::Valid(data, v.mv_size)) return envelope::Check(data, v.mv_size, RecordName(kind, id));
  out->Reset(id, data, v.mv_size);
  return Status::OK();
}

Status ReadTxn::Get(RecordKind kind, uint64_t id, RecordView* out) const {
  ANNODB_RETURN_IF_ERROR(GetIncludingDeleted(kind, id, out));
  if (out->deleted()) return Status::NotFound(RecordName(kind, id) + " was deleted");
  return Status::OK();
}

Status ReadTxn::GetAsOf(RecordKind kind, uint64_t id, uint64_t seq, RecordView* out) const {
  uint64_t now = sequence();
  if (seq > now)
    return Status::InvalidArgument("sequence " + std::to_string(seq) + " is in the future (the store is at " +
                                   std::to_string(now) + ")");
  ANNODB_RETURN_IF_ERROR(GetIncludingDeleted(kind, id, out));
  if (out->sequence() > seq) {
    // The current version is newer than asked: walk history back from the
    // newest superseded version to the first one written at or before seq.
    MDB_cursor* cur = nullptr;
    int rc = mdb_cursor_open(txn_, store_->impl().history[static_cast<int>(kind)], &cur);
    if (rc != MDB_SUCCESS) return LmdbStatus(rc, "opening a history cursor");
    std::string start = HistoryKey(id, std::numeric_limits<uint64_t>::max());
    MDB_val k = Val(start), v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = (rc == MDB_NOTFOUND) ? mdb_cursor_get(cur, &k, &v, MDB_LAST) : mdb_cursor_get(cur, &k, &v, MDB_PREV);
    bool found = false;
    Status st;
    while (rc == MDB_SUCCESS && k.mv_size == 16 && DecodeU64(k.mv_data) == id) {
      auto* data = static_cast<const uint8_t*>(v.mv_data);
      std::string what = RecordName(kind, id) + " version " + std::to_string(DecodeU64(static_cast<char*>(k.mv_data) + 8));
      st = envelope::Check(data, v.mv_size, what);
      if (!st.ok()) break;
      uint64_t vseq;
      std::memcpy(&vseq, data + 24, 8);
      if (vseq <= seq) {
        out->Reset(id, data, v.mv_size);
        found = true;
        break;
      }
      rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    }
    mdb_cursor_close(cur);
    ANNODB_RETURN_IF_ERROR(st);
    if (!found)
      return Status::NotFound(RecordName(kind, id) + " did not exist at sequence " + std::to_string(seq));
  }
  if (out->deleted())
    return Status::NotFound(RecordName(kind, id) + " was deleted at sequence " + std::to_string(seq));
  return Status::OK();
}

Status ReadTxn::History(RecordKind kind, uint64_t id, std::vector<RecordView>* out) const {
  if (!out) return Status::InvalidArgument("output vector is null");
  out->clear();
  RecordView current;
  ANNODB_RETURN_IF_ERROR(GetIncludingDeleted(kind, id, &current));
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn_, store_->impl().history[static_cast<int>(kind)], &cur);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "opening a history cursor");
  std::string start = HistoryKey(id, 0);
  MDB_val k = Val(start), v;
  rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  Status st;
  while (rc == MDB_SUCCESS && k.mv_size == 16 && DecodeU64(k.mv_data) == id) {
    auto* data = static_cast<const uint8_t*>(v.mv_data);
    st = envelope::Check(data, v.mv_size, RecordName(kind, id) + " history");
    if (!st.ok()) break;
    out->emplace_back();
    out->back().Reset(id, data, v.mv_size);
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  ANNODB_RETURN_IF_ERROR(st);
  out->push_back(std::move(current));
  return Status::OK();
}

Status ReadTxn::Scan(RecordKind kind, uint64_t from_id, const std::function<bool(const RecordView&)>& fn) const {
  return ScanImpl(kind, from_id, false, fn);
}

Status ReadTxn::ScanIncludingDeleted(RecordKind kind, uint64_t from_id,
                                     const std::function<bool(const RecordView&)>& fn) const {
  return ScanImpl(kind, from_id, true, fn);
}

Status ReadTxn::ScanImpl(RecordKind kind, uint64_t from_id, bool include_deleted,
                         const std::function<bool(const RecordView&)>& fn) const {
  if (!ValidKind(kind)) return Status::InvalidArgument("unknown record kind");
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn_, store_->impl().records[static_cast<int>(kind)], &cur);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "opening a cursor");
  std::string start = EncodeU64(from_id);
  MDB_val k = Val(start), v;
  rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  Status st;
  RecordView view;
  while (rc == MDB_SUCCESS) {
    uint64_t id = DecodeU64(k.mv_data);
    auto* data = static_cast<const uint8_t*>(v.mv_data);
    if (!envelope::Valid(data, v.mv_size)) {
      st = envelope::Check(data, v.mv_size, RecordName(kind, id));
      break;
    }
    view.Reset(id, data, v.mv_size);
    if ((include_deleted || !view.deleted()) && !fn(view)) break;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (st.ok() && rc != MDB_SUCCESS && rc != MDB_NOTFOUND) st = LmdbStatus(rc, "scanning");
  return st;
}

Status ReadTxn::IndexGet(Index index, std::string_view key, std::string_view* value) const {
  if (key.empty() || key.size() > kMaxKeyBytes) return Status::InvalidArgument("index key is empty or too long");
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn_, store_->impl().indexes[static_cast<int>(index)], &k, &v);
  if (rc == MDB_NOTFOUND) return Status::NotFound("no such key in " + std::string(IndexName(index)));
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, std::string("reading ") + IndexName(index));
  *value = View(v);
  return Status::OK();
}

Status ReadTxn::IndexFind(Index index, std::string_view key, std::string_view* value, bool* found) const {
  *found = false;
  if (key.empty() || key.size() > kMaxKeyBytes) return Status::InvalidArgument("index key is empty or too long");
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn_, store_->impl().indexes[static_cast<int>(index)], &k, &v);
  if (rc == MDB_NOTFOUND) return Status::OK();
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, std::string("reading ") + IndexName(index));
  *value = View(v);
  *found = true;
  return Status::OK();
}

Status ReadTxn::IndexScan(Index index, std::string_view from, std::string_view prefix,
                          const std::function<bool(std::string_view, std::string_view)>& fn) const {
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn_, store_->impl().indexes[static_cast<int>(index)], &cur);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "opening an index cursor");
  std::string start(from.empty() ? prefix : from);
  MDB_val k = Val(start), v;
  rc = start.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST) : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    std::string_view key = View(k);
    if (!prefix.empty() && key.substr(0, prefix.size()) != prefix) break;
    if (!fn(key, View(v))) break;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return LmdbStatus(rc, "scanning an index");
  return Status::OK();
}

Status ReadTxn::ChangesSince(uint64_t since, size_t limit, std::vector<ChangeSetInfo>* out) const {
  if (!out) return Status::InvalidArgument("output vector is null");
  out->clear();
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn_, store_->impl().changes, &cur);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "opening the changefeed");
  if (since == std::numeric_limits<uint64_t>::max()) {
    mdb_cursor_close(cur);
    return Status::OK();
  }
  std::string start = EncodeU64(since + 1);
  MDB_val k = Val(start), v;
  rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  Status st;
  std::vector<uint8_t> aligned;
  while (rc == MDB_SUCCESS && (limit == 0 || out->size() < limit)) {
    aligned.assign(static_cast<uint8_t*>(v.mv_data), static_cast<uint8_t*>(v.mv_data) + v.mv_size);
    flatbuffers::Verifier verifier(aligned.data(), aligned.size());
    if (!fb::VerifyChangeSetBuffer(verifier) || !ChangeSetStructsAligned(aligned.data())) {
      st = Status::Corruption("changefeed entry " + std::to_string(DecodeU64(k.mv_data)) + " is malformed");
      break;
    }
    const fb::ChangeSet* cs = fb::GetChangeSet(aligned.data());
    ChangeSetInfo info;
    info.sequence = cs->sequence();
    info.time_us = cs->time_us();
    info.actor_kind = static_cast<ActorKind>(cs->actor_kind());
    info.actor_name = cs->actor_name() ? cs->actor_name()->str() : "";
    info.job_id = cs->job_id();
    if (cs->changes()) {
      for (const fb::Change* c : *cs->changes()) {
        ChangeRun r;
        r.kind = c->kind();
        r.op = static_cast<ChangeRun::Op>(c->op());
        r.first_id = c->first_id();
        r.last_id = c->last_id();
        info.changes.push_back(r);
      }
    }
    out->push_back(std::move(info));
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  return st;
}

Status ReadTxn::GetSnapshot(const std::string& name, SnapshotInfo* out) const {
  if (name.empty() || name.size() > 200) return Status::InvalidArgument("snapshot name must be 1..200 bytes");
  MDB_val k = Val(name), v;
  int rc = mdb_get(txn_, store_->impl().snapshots, &k, &v);
  if (rc == MDB_NOTFOUND) return Status::NotFound("no snapshot named '" + name + "'");
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "reading snapshot");
  if (v.mv_size != 16) return Status::Corruption("snapshot '" + name + "' has a malformed value");
  out->name = name;
  out->sequence = DecodeU64(v.mv_data);
  out->created_us = static_cast<int64_t>(DecodeU64(static_cast<char*>(v.mv_data) + 8));
  return Status::OK();
}

Status ReadTxn::ListSnapshots(std::vector<SnapshotInfo>* out) const {
  out->clear();
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn_, store_->impl().snapshots, &cur);
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, "opening snapshots");
  MDB_val k, v;
  Status st;
  rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (rc == MDB_SUCCESS) {
    if (v.mv_size != 16) {
      st = Status::Corruption("snapshot '" + std::string(View(k)) + "' has a malformed value");
      break;
    }
    out->push_back({std::string(View(k)), DecodeU64(v.mv_data),
                    static_cast<int64_t>(DecodeU64(static_cast<char*>(v.mv_data) + 8))});
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  return st;
}

// ---- WriteTxn ----

int64_t WriteTxn::now_us() const { return store_->NowUs(); }

Status WriteTxn::Check(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return Status::OK();  // no message string on the hot path
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return LmdbStatus(rc, what);
}

Status WriteTxn::AllocateId(RecordKind kind, uint64_t* id) {
  if (!ValidKind(kind)) return Status::InvalidArgument("unknown record kind");
  int k = static_cast<int>(kind);
  if (n_.next_id[k] == 0) {
    uint64_t next = 0;
    ANNODB_RETURN_IF_ERROR(ReadMetaU64(txn_, store_->impl().meta, MetaIdKey(kind), &next));
    n_.next_id[k] = next == 0 ? 1 : next;
  }
  *id = n_.next_id[k]++;
  if (n_.first_new_id[k] == 0) n_.first_new_id[k] = *id;
  n_.id_dirty[k] = true;  // written once, in Finish
  return Status::OK();
}

Status WriteTxn::AllocateCounter(std::string_view name, uint64_t* value) {
  if (name.empty() || name.size() > 64) return Status::InvalidArgument("counter name must be 1..64 bytes");
  std::string key = "counter." + std::string(name);
  uint64_t next = 0;
  ANNODB_RETURN_IF_ERROR(ReadMetaU64(txn_, store_->impl().meta, key, &next));
  if (next == 0) next = 1;
  *value = next;
  std::string enc = EncodeU64(next + 1);
  MDB_val k = Val(key), v = Val(enc);
  return Check(mdb_put(txn_, store_->impl().meta, &k, &v, 0), "allocating a counter");
}

Status WriteTxn::PeekSequence(uint64_t* seq) {
  if (n_.pending_seq != 0) {
    *seq = n_.pending_seq;
    return Status::OK();
  }
  if (n_.next_seq == 0) {
    uint64_t cur = 0;
    ANNODB_RETURN_IF_ERROR(ReadMetaU64(txn_, store_->impl().meta, kMetaSequence, &cur));
    n_.next_seq = cur + 1;
  }
  *seq = n_.next_seq;
  return Status::OK();
}

Status WriteTxn::MarkChanged(RecordKind kind, ChangeRun::Op op, uint64_t id) {
  if (n_.pending_seq == 0) ANNODB_RETURN_IF_ERROR(PeekSequence(&n_.pending_seq));
  ++n_.change_count;
  if (!changes_.empty()) {
    ChangeRun& last = changes_.back();
    if (last.kind == kind && last.op == op && last.last_id + 1 == id) {
      last.last_id = id;
      return Status::OK();
    }
    if (last.kind == kind && last.op == op && id >= last.first_id && id <= last.last_id) return Status::OK();
  }
  changes_.push_back({kind, op, id, id});
  return Status::OK();
}

void WriteTxn::BuildProvenance(flatbuffers::FlatBufferBuilder* pb, uint64_t replaces) const {
  ProvenanceInfo stamped;
  const ProvenanceInfo* p = prov_override_;
  if (!p) {
    stamped.actor_kind = actor_.kind;
    stamped.actor_name = actor_.name;
    stamped.model_name = actor_.model_name;
    stamped.model_version = actor_.model_version;
    stamped.job_id = actor_.job_id;
    stamped.lease_id = actor_.lease_id;
    stamped.time_us = now_us();
    stamped.note = actor_.note;
    p = &stamped;
  }
  auto opt = [&](const std::string& s) { return s.empty() ? flatbuffers::Offset<flatbuffers::String>() : pb->CreateString(s); };
  auto name = pb->CreateString(p->actor_name);
  auto mname = opt(p->model_name);
  auto mver = opt(p->model_version);
  auto note = opt(p->note);
  fb::ProvenanceBuilder prov(*pb);
  prov.add_actor_kind(static_cast<fb::ActorKind>(p->actor_kind));
  prov.add_actor_name(name);
  if (!mname.IsNull()) prov.add_model_name(mname);
  if (!mver.IsNull()) prov.add_model_version(mver);
  if (!note.IsNull()) prov.add_note(note);
  prov.add_job_id(p->job_id);
  prov.add_lease_id(p->lease_id);
  prov.add_time_us(p->time_us);
  prov.add_replaces_version(replaces);
  pb->Finish(prov.Finish());
}

std::string_view WriteTxn::ProvenanceBytes(uint64_t replaces, flatbuffers::FlatBufferBuilder* pb) {
  bool cacheable = replaces == 0 && prov_override_ == nullptr;
  if (cacheable && !first_version_prov_.empty()) return first_version_prov_;
  BuildProvenance(pb, replaces);
  std::string_view bytes(reinterpret_cast<const char*>(pb->GetBufferPointer()), pb->GetSize());
  if (cacheable) first_version_prov_.assign(bytes);
  return bytes;
}

Status WriteTxn::PutNew(RecordKind kind, uint64_t id, std::string_view key, const uint8_t* payload, size_t size,
                        bool* done) {
  *done = false;
  int k_index = static_cast<int>(kind);
  uint64_t seq = 0;
  ANNODB_RETURN_IF_ERROR(PeekSequence(&seq));
  flatbuffers::FlatBufferBuilder pb(256);
  std::string_view prov = ProvenanceBytes(0, &pb);
  MDB_val k = Val(key), nv{envelope::EncodedSize(prov.size(), size), nullptr};
  // MDB_APPEND refuses (MDB_KEYEXIST, nothing changed) a key that is not
  // above the table's last key, so a successful put is of a new record.
  int rc = mdb_put(txn_, store_->impl().records[k_index], &k, &nv, MDB_APPEND | MDB_RESERVE);
  if (rc == MDB_KEYEXIST) return Status::OK();
  ANNODB_RETURN_IF_ERROR(Check(rc, "writing a record"));
  ANNODB_RETURN_IF_ERROR(MarkChanged(kind, ChangeRun::Op::kCreate, id));
  envelope::Write(static_cast<uint8_t*>(nv.mv_data), envelope::Header{kind, 0, 1, seq},
                  reinterpret_cast<const uint8_t*>(prov.data()), prov.size(), payload, size);
  n_.live_delta[k_index] += 1;
  *done = true;
  return Status::OK();
}

Status WriteTxn::Put(RecordKind kind, uint64_t id, const uint8_t* payload, size_t size, PutOutcome* outcome) {
  if (!ValidKind(kind)) return Status::InvalidArgument("unknown record kind");
  if (id == 0) return Status::InvalidArgument("record id 0 is reserved");
  if (!payload || size == 0) return Status::InvalidArgument("empty payload");
  if (size > (uint64_t{1} << 30)) return Status::InvalidArgument("payload larger than 1 GiB");
  StoreImpl& impl = store_->impl();
  int k_index = static_cast<int>(kind);
  char kb[8];
  std::string_view key = U64Key(id, kb);
  // An id allocated in this transaction is usually above every stored id:
  // append it without looking it up first (bulk loads fill pages fully).
  if (n_.first_new_id[k_index] != 0 && id >= n_.first_new_id[k_index]) {
    bool done = false;
    ANNODB_RETURN_IF_ERROR(PutNew(kind, id, key, payload, size, &done));
    if (done) {
      if (outcome) *outcome = PutOutcome::kCreated;
      return Status::OK();
    }
  }
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn_, impl.records[k_index], &k, &v);
  uint64_t old_version = 0;
  bool revive = false;
  if (rc == MDB_SUCCESS) {
    auto* old = static_cast<const uint8_t*>(v.mv_data);
    if (!envelope::Valid(old, v.mv_size)) return envelope::Check(old, v.mv_size, RecordName(kind, id));
    std::memcpy(&old_version, old + 16, 8);
    bool was_deleted = (old[10] & envelope::kFlagDeleted) != 0;
    size_t off = envelope::PayloadOffset(old);
    uint32_t old_size;
    std::memcpy(&old_size, old + 32, 4);
    if (!was_deleted && old_size == size && std::memcmp(old + off, payload, size) == 0) {
      if (outcome) *outcome = PutOutcome::kUnchanged;
      return Status::OK();
    }
    revive = was_deleted;
    // Move the superseded version to history (copied first: the source page
    // may be dirty in this transaction and move when other pages are written).
    std::string old_copy(static_cast<const char*>(v.mv_data), v.mv_size);
    std::string hkey = HistoryKey(id, old_version);
    MDB_val hk = Val(hkey), hv = Val(old_copy);
    ANNODB_RETURN_IF_ERROR(Check(mdb_put(txn_, impl.history[k_index], &hk, &hv, 0), "writing history"));
  } else if (rc != MDB_NOTFOUND) {
    return Check(rc, "reading the current version");
  }
  ANNODB_RETURN_IF_ERROR(MarkChanged(kind, old_version ? ChangeRun::Op::kUpdate : ChangeRun::Op::kCreate, id));

  flatbuffers::FlatBufferBuilder pb(256);
  std::string_view prov = ProvenanceBytes(old_version, &pb);
  envelope::Header h{kind, 0, old_version + 1, n_.pending_seq};
  size_t total = envelope::EncodedSize(prov.size(), size);
  MDB_val nv{total, nullptr};
  k = Val(key);
  ANNODB_RETURN_IF_ERROR(Check(mdb_put(txn_, impl.records[k_index], &k, &nv, MDB_RESERVE), "writing a record"));
  envelope::Write(static_cast<uint8_t*>(nv.mv_data), h, reinterpret_cast<const uint8_t*>(prov.data()), prov.size(),
                  payload, size);
  if (old_version == 0 || revive) n_.live_delta[k_index] += 1;
  if (outcome) *outcome = old_version ? PutOutcome::kUpdated : PutOutcome::kCreated;
  return Status::OK();
}

Status WriteTxn::Delete(RecordKind kind, uint64_t id) {
  RecordView cur;
  ANNODB_RETURN_IF_ERROR(Get(kind, id, &cur));
  // Rewrite the current payload as a tombstone version: history keeps the
  // live version, the tombstone records who deleted it and when.
  std::string payload(reinterpret_cast<const char*>(cur.payload()), cur.payload_size());
  PutOutcome outcome;
  // Force a new version even though the payload is equal: write it directly.
  StoreImpl& impl = store_->impl();
  int k_index = static_cast<int>(kind);
  uint64_t old_version = cur.version();
  std::string key = EncodeU64(id);
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn_, impl.records[k_index], &k, &v);
  if (rc != MDB_SUCCESS) return Check(rc, "reading the current version");
  std::string old_copy(static_cast<const char*>(v.mv_data), v.mv_size);
  std::string hkey = HistoryKey(id, old_version);
  MDB_val hk = Val(hkey), hv = Val(old_copy);
  ANNODB_RETURN_IF_ERROR(Check(mdb_put(txn_, impl.history[k_index], &hk, &hv, 0), "writing history"));
  ANNODB_RETURN_IF_ERROR(MarkChanged(kind, ChangeRun::Op::kDelete, id));
  (void)outcome;

  flatbuffers::FlatBufferBuilder pb(256);
  BuildProvenance(&pb, old_version);
  envelope::Header h{kind, envelope::kFlagDeleted, old_version + 1, n_.pending_seq};
  size_t total = envelope::EncodedSize(pb.GetSize(), payload.size());
  MDB_val nv{total, nullptr};
  k = Val(key);
  ANNODB_RETURN_IF_ERROR(Check(mdb_put(txn_, impl.records[k_index], &k, &nv, MDB_RESERVE), "writing a tombstone"));
  envelope::Write(static_cast<uint8_t*>(nv.mv_data), h, pb.GetBufferPointer(), pb.GetSize(),
                  reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  n_.live_delta[k_index] -= 1;
  if (n_.live_kind == kind && n_.live_id == id) n_.live_id = 0;  // RequireLive must look again
  return Status::OK();
}

Status WriteTxn::RequireLive(RecordKind kind, uint64_t id) {
  if (id != 0 && n_.live_kind == kind && n_.live_id == id) return Status::OK();
  RecordView v;
  ANNODB_RETURN_IF_ERROR(Get(kind, id, &v));
  n_.live_kind = kind;
  n_.live_id = id;
  return Status::OK();
}

Status WriteTxn::IndexPut(Index index, std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > kMaxKeyBytes) return Status::InvalidArgument("index key is empty or longer than 511 bytes");
  MDB_val k = Val(key), v = Val(value);
  return Check(mdb_put(txn_, store_->impl().indexes[static_cast<int>(index)], &k, &v, 0), "writing an index");
}

Status WriteTxn::IndexDelete(Index index, std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return Status::InvalidArgument("index key is empty or longer than 511 bytes");
  MDB_val k = Val(key);
  int rc = mdb_del(txn_, store_->impl().indexes[static_cast<int>(index)], &k, nullptr);
  if (rc == MDB_NOTFOUND) return Status::OK();
  return Check(rc, "deleting from an index");
}

Status WriteTxn::CreateSnapshot(const std::string& name, SnapshotInfo* out) {
  if (name.empty() || name.size() > 200) return Status::InvalidArgument("snapshot name must be 1..200 bytes");
  if (name.find_first_not_of("0123456789") == std::string::npos)
    return Status::InvalidArgument("snapshot name '" + name + "' is all digits (it would read as a sequence number)");
  SnapshotInfo existing;
  if (GetSnapshot(name, &existing).ok()) return Status::AlreadyExists("snapshot '" + name + "' already exists");
  SnapshotInfo info{name, sequence(), now_us()};
  std::string val = EncodeSnapshot(info.sequence, info.created_us);
  MDB_val k = Val(name), v = Val(val);
  ANNODB_RETURN_IF_ERROR(Check(mdb_put(txn_, store_->impl().snapshots, &k, &v, 0), "writing a snapshot"));
  if (out) *out = info;
  return Status::OK();
}

Status WriteTxn::DeleteSnapshot(const std::string& name) {
  SnapshotInfo existing;
  ANNODB_RETURN_IF_ERROR(GetSnapshot(name, &existing));
  MDB_val k = Val(name);
  return Check(mdb_del(txn_, store_->impl().snapshots, &k, nullptr), "deleting a snapshot");
}

Status WriteTxn::Finish() {
  StoreImpl& impl = store_->impl();
  // Id counters first: an id allocated and not used is still never reused.
  for (int k = 1; k < kRecordKindCount; ++k) {
    if (!n_.id_dirty[k]) continue;
    std::string key = MetaIdKey(static_cast<RecordKind>(k));
    std::string enc = EncodeU64(n_.next_id[k]);
    MDB_val mk = Val(key), mv = Val(enc);
    ANNODB_RETURN_IF_ERROR(Check(mdb_put(txn_, impl.meta, &mk, &mv, 0), "allocating an id"));
    n_.id_dirty[k] = false;
  }
  const uint64_t seq = n_.pending_seq;
  if (seq == 0) return Status::OK();
  for (int k = 1; k < kRecordKindCount; ++k) {
    if (n_.live_delta[k] == 0) continue;
    uint64_t n = 0;
    std::string key = MetaLiveKey(static_cast<RecordKind>(k));
    ANNODB_RETURN_IF_ERROR(ReadMetaU64(txn_, impl.meta, key, &n));
    int64_t next = static_cast<int64_t>(n) + n_.live_delta[k];
    std::string enc = EncodeU64(static_cast<uint64_t>(next < 0 ? 0 : next));
    MDB_val mk = Val(key), mv = Val(enc);
    ANNODB_RETURN_IF_ERROR(Check(mdb_put(txn_, impl.meta, &mk, &mv, 0), "writing a live count"));
  }
  const Actor& feed_actor = feed_actor_ ? *feed_actor_ : actor_;
  flatbuffers::FlatBufferBuilder b(128 + changes_.size() * 24);
  auto name = b.CreateString(feed_actor.name);
  std::vector<fb::Change> runs;
  runs.reserve(changes_.size());
  for (const ChangeRun& r : changes_)
    runs.emplace_back(r.kind, static_cast<fb::ChangeOp>(r.op), r.first_id, r.last_id);
  auto vec = b.CreateVectorOfStructs(runs);
  fb::ChangeSetBuilder cs(b);
  cs.add_sequence(seq);
  cs.add_time_us(now_us());
  cs.add_actor_kind(static_cast<fb::ActorKind>(feed_actor.kind));
  cs.add_actor_name(name);
  cs.add_job_id(feed_actor.job_id);
  cs.add_changes(vec);
  b.Finish(cs.Finish());
  std::string key = EncodeU64(seq);
  MDB_val k = Val(key), v{b.GetSize(), b.GetBufferPointer()};
  int rc = mdb_put(txn_, impl.changes, &k, &v, MDB_APPEND);
  if (rc == MDB_KEYEXIST) rc = mdb_put(txn_, impl.changes, &k, &v, 0);
  ANNODB_RETURN_IF_ERROR(Check(rc, "writing the changefeed"));
  std::string enc = EncodeU64(seq);
  MDB_val mk = Val(kMetaSequence), mv = Val(enc);
  return Check(mdb_put(txn_, impl.meta, &mk, &mv, 0), "writing the sequence");
}

}  // namespace annodb
