// VerifyStore: a full consistency check of a store (see verify.h).
#include "annodb/verify.h"
#include "consensus_views.h"
#include "queue_verify.h"

#include <cstring>
#include <unordered_map>
#include <vector>

#include "annodb/assets.h"
#include "annodb/keys.h"
#include "annodb/schema/asset_generated.h"
#include "annodb/schema/changes_generated.h"
#include "annodb/schema/comment_generated.h"
#include "annodb/schema/consensus_generated.h"
#include "annodb/schema/dataset_generated.h"
#include "annodb/schema/label_generated.h"
#include "annodb/schema/lease_generated.h"
#include "annodb/schema/member_generated.h"
#include "annodb/schema/project_generated.h"
#include "annodb/schema/provenance_generated.h"
#include "envelope.h"
#include "fb_align.h"
#include "label_keys.h"
#include "page_walk.h"
#include "store_impl.h"

namespace annodb {

bool VerifyPayload(RecordKind kind, const uint8_t* payload, size_t size) {
  flatbuffers::Verifier v(payload, size);
  switch (kind) {
    case RecordKind::Dataset: return fb::VerifyDatasetBuffer(v);
    case RecordKind::Asset: return fb::VerifyAssetBuffer(v);
    case RecordKind::Project: return fb::VerifyProjectBuffer(v);
    case RecordKind::Member: return fb::VerifyMemberBuffer(v);
    case RecordKind::Label: return fb::VerifyLabelBuffer(v) && LabelStructsAligned(payload);
    case RecordKind::Comment: return fb::VerifyCommentBuffer(v);
    case RecordKind::Lease: return fb::VerifyLeaseBuffer(v);
    case RecordKind::Consensus: return fb::VerifyConsensusBuffer(v) && ConsensusStructsAligned(payload);
    default: return false;
  }
}

namespace {

class Checker {
 public:
  Checker(StoreImpl& impl, MDB_txn* txn, VerifyReport* r, size_t max) : impl_(impl), txn_(txn), r_(r), max_(max) {}

  void Problem(std::string p) {
    if (max_ == 0 || r_->problems.size() < max_) r_->problems.push_back(std::move(p));
  }

  // Visits every entry of a table; returns false when LMDB refused to read.
  template <typename Fn>
  Status ForEach(MDB_dbi dbi, Fn fn) {
    MDB_cursor* cur = nullptr;
    int rc = mdb_cursor_open(txn_, dbi, &cur);
    if (rc != MDB_SUCCESS) return LmdbStatus(rc, "opening a cursor");
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
      fn(View(k), static_cast<const uint8_t*>(v.mv_data), v.mv_size);
      rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) return LmdbStatus(rc, "reading a table");
    return Status::OK();
  }

  // Checks one envelope: checksum, kind, structure of provenance and payload.
  // On success copies it into `aligned` and returns true.
  bool CheckEnvelope(RecordKind kind, const std::string& what, const uint8_t* data, size_t size,
                     std::vector<uint64_t>* aligned) {
    Status s = envelope::Check(data, size, what);
    if (!s.ok()) {
      Problem(s.message());
      return false;
    }
    aligned->assign((size + 7) / 8, 0);
    std::memcpy(aligned->data(), data, size);
    auto* base = reinterpret_cast<const uint8_t*>(aligned->data());
    if (static_cast<RecordKind>(base[8]) != kind) {
      Problem(what + ": envelope names kind " + std::to_string(base[8]));
      return false;
    }
    uint32_t prov_size, payload_size;
    std::memcpy(&prov_size, base + 12, 4);
    std::memcpy(&payload_size, base + 32, 4);
    flatbuffers::Verifier pv(base + envelope::kHeaderSize, prov_size);
    if (!fb::VerifyProvenanceBuffer(pv)) {
      Problem(what + ": provenance is malformed");
      return false;
    }
    if (!VerifyPayload(kind, base + envelope::PayloadOffset(base), payload_size)) {
      Problem(what + ": payload is not a valid " + RecordKindName(kind) + " record");
      return false;
    }
    return true;
  }

  Status Run() {
    uint64_t seq = 0;
    ANNODB_RETURN_IF_ERROR(ReadMetaU64(txn_, impl_.meta, kMetaSequence, &seq));
    std::vector<uint64_t> buf;
    // Records of each kind: current versions.
    for (int k = 1; k < kRecordKindCount; ++k) {
      auto kind = static_cast<RecordKind>(k);
      uint64_t live = 0, max_id = 0;
      std::unordered_map<uint64_t, uint64_t> versions;  // id -> current version
      ANNODB_RETURN_IF_ERROR(ForEach(impl_.records[k], [&](std::string_view key, const uint8_t* d, size_t n) {
        ++r_->records_checked;
        if (key.size() != 8) {
          Problem(std::string(RecordKindName(kind)) + " table holds a key of " + std::to_string(key.size()) + " bytes");
          return;
        }
        uint64_t id = DecodeU64(key.data());
        max_id = std::max(max_id, id);
        std::string what = std::string(RecordKindName(kind)) + " " + std::to_string(id);
        if (!CheckEnvelope(kind, what, d, n, &buf)) return;
        auto* base = reinterpret_cast<const uint8_t*>(buf.data());
        uint64_t version, vseq;
        std::memcpy(&version, base + 16, 8);
        std::memcpy(&vseq, base + 24, 8);
        versions[id] = version;
        if (vseq > seq) Problem(what + ": written at sequence " + std::to_string(vseq) + ", after the store's " + std::to_string(seq));
        bool deleted = (base[10] & envelope::kFlagDeleted) != 0;
        if (!deleted) ++live;
        RecordView view;
        view.Reset(id, base, n);
        CheckRecordIndexes(kind, view);
      }));
      uint64_t counted = 0;
      ANNODB_RETURN_IF_ERROR(ReadMetaU64(txn_, impl_.meta, MetaLiveKey(kind), &counted));
      if (counted != live)
        Problem(std::string("live ") + RecordKindName(kind) + " count is " + std::to_string(counted) + " but " +
                std::to_string(live) + " records are live");
      uint64_t next_id = 0;
      ANNODB_RETURN_IF_ERROR(ReadMetaU64(txn_, impl_.meta, MetaIdKey(kind), &next_id));
      if (max_id != 0 && next_id <= max_id)
        Problem(std::string("next ") + RecordKindName(kind) + " id " + std::to_string(next_id) + " would reuse id " + std::to_string(max_id));
      // History: superseded versions.
      ANNODB_RETURN_IF_ERROR(ForEach(impl_.history[k], [&](std::string_view key, const uint8_t* d, size_t n) {
        ++r_->versions_checked;
        if (key.size() != 16) {
          Problem(std::string(RecordKindName(kind)) + " history holds a malformed key");
          return;
        }
        uint64_t id = DecodeU64(key.data()), version = DecodeU64(key.data() + 8);
        std::string what = std::string(RecordKindName(kind)) + " " + std::to_string(id) + " version " + std::to_string(version);
        if (!CheckEnvelope(kind, what, d, n, &buf)) return;
        uint64_t stored_version;
        std::memcpy(&stored_version, reinterpret_cast<const uint8_t*>(buf.data()) + 16, 8);
        if (stored_version != version) Problem(what + ": the envelope says version " + std::to_string(stored_version));
        auto it = versions.find(id);
        if (it == versions.end()) Problem(what + ": history of a record that does not exist");
        else if (it->second <= version) Problem(what + ": not older than the current version");
      }));
    }
    ANNODB_RETURN_IF_ERROR(CheckIndexEntries());
    // Changefeed.
    uint64_t last = 0;
    ANNODB_RETURN_IF_ERROR(ForEach(impl_.changes, [&](std::string_view key, const uint8_t* d, size_t n) {
      ++r_->changes_checked;
      if (key.size() != 8) {
        Problem("changefeed holds a malformed key");
        return;
      }
      uint64_t s = DecodeU64(key.data());
      buf.assign((n + 7) / 8, 0);
      std::memcpy(buf.data(), d, n);
      auto* base = reinterpret_cast<const uint8_t*>(buf.data());
      flatbuffers::Verifier v(base, n);
      if (!fb::VerifyChangeSetBuffer(v) || !ChangeSetStructsAligned(base)) {
        Problem("changefeed entry " + std::to_string(s) + " is malformed");
        return;
      }
      if (fb::GetChangeSet(base)->sequence() != s) Problem("changefeed entry " + std::to_string(s) + " names another sequence");
      last = s;
    }));
    if (last != seq) Problem("the last changefeed entry is " + std::to_string(last) + " but the store is at sequence " + std::to_string(seq));
    return Status::OK();
  }

 private:
  // Forward direction: each record has the index entries it should; each
  // expected entry is remembered for the backward check.
  void CheckRecordIndexes(RecordKind kind, const RecordView& v) {
    std::string what = std::string(RecordKindName(kind)) + " " + std::to_string(v.id());
    std::string id = EncodeU64(v.id());
    auto expect = [&](Index index, const std::string& key, const std::string& value) {
      if (!ExpectIndex(index, key, value)) Problem(what + ": missing or wrong entry in " + IndexName(index));
      expected_[static_cast<int>(index)][key] = value;
    };
    auto name_of = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
    switch (kind) {
      case RecordKind::Dataset:
        if (!v.deleted()) expect(Index::kDatasetByName, name_of(v.As<fb::Dataset>()->name()), id);
        break;
      case RecordKind::Project:
        if (!v.deleted()) expect(Index::kProjectByName, name_of(v.As<fb::Project>()->name()), id);
        break;
      case RecordKind::Member:
        if (!v.deleted()) expect(Index::kMemberByName, name_of(v.As<fb::Member>()->name()), id);
        break;
      case RecordKind::Asset: {
        auto* a = v.As<fb::Asset>();
        // Deleted assets keep their external-id entry (a re-import revives them).
        expect(Index::kAssetByExternalId, AssetExternalIdKey(a->dataset_id(), name_of(a->external_id())), id);
        if (!v.deleted() && a->content_hash())
          expect(Index::kAssetByHash, AssetHashKey({a->content_hash()->hi(), a->content_hash()->lo()}, v.id()), "");
        break;
      }
      case RecordKind::Label: {
        auto* l = v.As<fb::Label>();
        // The by-asset index keeps deleted labels (for as-of reads).
        expect(Index::kLabelByAsset, label_keys::ByAsset(l->project_id(), l->asset_id(), v.id()), "");
        if (v.deleted()) break;
        std::string author = label_keys::Author(l->source(), l->author_member_id(), name_of(l->model_name()),
                                                name_of(l->model_version()));
        expect(Index::kLabelUnique, label_keys::Unique(l->project_id(), l->asset_id(), l->source(), author), id);
        if (l->author_member_id())
          expect(Index::kLabelByAuthor, label_keys::ByAuthor(l->project_id(), l->author_member_id(), v.id()), "");
        expect(Index::kLabelByStatus, label_keys::ByStatus(l->project_id(), l->status(), v.id()), "");
        break;
      }
      case RecordKind::Comment: {
        if (v.deleted()) break;
        auto* c = v.As<fb::Comment>();
        uint64_t root = c->thread_id() ? c->thread_id() : v.id();
        expect(Index::kCommentByThread, KeyBuilder().U64(root).U64(v.id()).str(), "");
        if (c->thread_id() == 0) {
          expect(Index::kCommentByAsset, KeyBuilder().U64(c->asset_id()).U64(v.id()).str(), "");
          if (c->label_id()) expect(Index::kCommentByLabel, KeyBuilder().U64(c->label_id()).U64(v.id()).str(), "");
          if (c->issue_state() != fb::IssueState::None)
            expect(Index::kIssueByProject,
                   KeyBuilder().U64(c->project_id()).U8(static_cast<uint8_t>(c->issue_state())).U64(v.id()).str(), "");
        }
        break;
      }
      default:
        break;
    }
  }

  bool ExpectIndex(Index index, const std::string& key, const std::string& value) {
    if (key.empty() || key.size() > kMaxKeyBytes) return false;
    MDB_val k = Val(key), v;
    if (mdb_get(txn_, impl_.indexes[static_cast<int>(index)], &k, &v) != MDB_SUCCESS) return false;
    return View(v) == value;
  }

  // Backward direction: every entry of an index that records maintain must
  // be one some record expects. (Inbox entries are member state, not derived
  // from records: they are not cross-checked.)
  Status CheckIndexEntries() {
    for (Index index : {Index::kDatasetByName, Index::kAssetByExternalId, Index::kAssetByHash, Index::kProjectByName,
                        Index::kMemberByName, Index::kLabelUnique, Index::kLabelByAsset, Index::kLabelByAuthor,
                        Index::kLabelByStatus, Index::kCommentByThread, Index::kCommentByAsset,
                        Index::kCommentByLabel, Index::kIssueByProject}) {
      const auto& expected = expected_[static_cast<int>(index)];
      ANNODB_RETURN_IF_ERROR(ForEach(impl_.indexes[static_cast<int>(index)],
                                     [&](std::string_view key, const uint8_t* d, size_t n) {
        ++r_->index_entries_checked;
        auto it = expected.find(std::string(key));
        if (it == expected.end() || it->second != std::string_view(reinterpret_cast<const char*>(d), n))
          Problem(std::string(IndexName(index)) + " holds an entry that matches no live record" +
                  (n == 8 ? " (value " + std::to_string(DecodeU64(d)) + ")" : ""));
      }));
    }
    return Status::OK();
  }

  StoreImpl& impl_;
  MDB_txn* txn_;
  VerifyReport* r_;
  size_t max_;
  std::unordered_map<std::string, std::string> expected_[static_cast<int>(Index::kCount)];
};

}  // namespace

Status VerifyStoreFile(const std::string& dir, VerifyReport* report, size_t max_problems) {
  if (!report) return Status::InvalidArgument("report is null");
  *report = VerifyReport();
  page_walk::Report pr;
  ANNODB_RETURN_IF_ERROR(page_walk::Walk(dir, page_walk::Scope::kAll, max_problems, &pr));
  report->pages_checked = pr.pages_read;
  report->problems = std::move(pr.problems);
  return Status::OK();
}

Status VerifyStore(Store& store, VerifyReport* report, size_t max_problems) {
  if (!report) return Status::InvalidArgument("report is null");
  // No cursor opens on a file whose pages failed the walk.
  ANNODB_RETURN_IF_ERROR(VerifyStoreFile(store.dir(), report, max_problems));
  if (!report->ok()) return Status::OK();
  return store.Read([&](ReadTxn& t) {
    uint64_t format = 0;
    ANNODB_RETURN_IF_ERROR(ReadMetaU64(t.raw(), store.impl().meta, kMetaFormat, &format));
    if (format != kFormatVersion) report->problems.push_back("format marker is " + std::to_string(format));
    Checker c(store.impl(), t.raw(), report, max_problems);
    ANNODB_RETURN_IF_ERROR(c.Run());
    ANNODB_RETURN_IF_ERROR(queue::VerifyQueue(t, &report->problems, &report->index_entries_checked));
    ANNODB_RETURN_IF_ERROR(consensus_internal::VerifyViews(t, &report->problems));
    if (max_problems && report->problems.size() > max_problems) report->problems.resize(max_problems);
    return Status::OK();
  });
}

}  // namespace annodb
