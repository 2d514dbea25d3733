// The C ABI: sequence, changefeed, snapshots, stats, verify, sync, backup.
#include <vector>

#include <nlohmann/json.hpp>

#include "annodb/asset_json.h"
#include "annodb/record.h"
#include "annodb/verify.h"
#include "internal.h"

namespace annodb::capi {
namespace {

using nlohmann::json;


Status CheckSnapshotName(const char* name) {
  ANNODB_RETURN_IF_ERROR(RequireString(name, "snapshot name"));
  if (!ValidUtf8(name)) return Status::InvalidArgument("snapshot name is not valid UTF-8");
  return Status::OK();
}

constexpr size_t kDefaultChangesLimit = 1000;

}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

extern "C" {

ANNODB_EXPORT int annodb_sequence(annodb_store* store, uint64_t* out) {
  if (out) *out = 0;
  return Run(store, "annodb_sequence", [&](Store& s) -> Status {
    if (out == nullptr) return Status::InvalidArgument("out is NULL");
    return s.Sequence(out);
  });
}

ANNODB_EXPORT int annodb_changes_since(annodb_store* store, uint64_t since, size_t limit, char** out,
                                       size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_changes_since", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::vector<ChangeSetInfo> sets;
    size_t n = limit == 0 ? kDefaultChangesLimit : limit;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) { return t.ChangesSince(since, n, &sets); }));
    json arr = json::array();
    for (const ChangeSetInfo& cs : sets) {
      json changes = json::array();
      for (const ChangeRun& r : cs.changes)
        changes.push_back({{"kind", RecordKindName(r.kind)},
                           {"op", ChangeOpName(r.op)},
                           {"first_id", r.first_id},
                           {"last_id", r.last_id}});
      arr.push_back({{"sequence", cs.sequence},
                     {"time_us", cs.time_us},
                     {"time", FormatRfc3339(cs.time_us)},
                     {"actor_kind", ActorKindName(cs.actor_kind)},
                     {"actor", cs.actor_name},
                     {"job_id", cs.job_id},
                     {"changes", std::move(changes)}});
    }
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_snapshot_create(annodb_store* store, const char* name, const annodb_actor* actor,
                                         uint64_t* sequence) {
  if (sequence) *sequence = 0;
  return Run(store, "annodb_snapshot_create", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(CheckSnapshotName(name));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string n(name);
    SnapshotInfo info;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) { return t.CreateSnapshot(n, &info); }));
    if (sequence) *sequence = info.sequence;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_snapshot_delete(annodb_store* store, const char* name, const annodb_actor* actor) {
  return Run(store, "annodb_snapshot_delete", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(CheckSnapshotName(name));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string n(name);
    return s.Write(a, [&](WriteTxn& t) { return t.DeleteSnapshot(n); });
  });
}

ANNODB_EXPORT int annodb_snapshot_list(annodb_store* store, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_snapshot_list", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::vector<SnapshotInfo> snaps;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) { return t.ListSnapshots(&snaps); }));
    json arr = json::array();
    for (const SnapshotInfo& sn : snaps)
      arr.push_back({{"name", sn.name},
                     {"sequence", sn.sequence},
                     {"created_us", sn.created_us},
                     {"created", FormatRfc3339(sn.created_us)}});
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_stats(annodb_store* store, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_stats", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    StoreStats st;
    ANNODB_RETURN_IF_ERROR(s.Stats(&st));
    json live = json::object(), versions = json::object();
    for (int k = 1; k < kRecordKindCount; ++k) {
      const char* name = RecordKindName(static_cast<RecordKind>(k));
      live[name] = st.live[k];
      versions[name] = st.versions[k];
    }
    json j = {{"assets", st.live[static_cast<int>(RecordKind::Asset)]},
              {"datasets", st.live[static_cast<int>(RecordKind::Dataset)]},
              {"sequence", st.sequence},
              {"bytes", st.file_bytes},
              {"map_bytes", st.map_bytes},
              {"snapshots", st.snapshots},
              {"format_version", st.format_version},
              {"live", std::move(live)},
              {"versions", std::move(versions)}};
    GiveText(Dump(j), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_verify(annodb_store* store, char** report_json, size_t* report_len) {
  ResetOut(report_json, report_len);
  return Run(store, "annodb_verify", [&](Store& s) -> Status {
    VerifyReport r;
    ANNODB_RETURN_IF_ERROR(VerifyStore(s, &r));
    if (report_json) {
      json j = {{"ok", r.ok()},
                {"pages_checked", r.pages_checked},
                {"records_checked", r.records_checked},
                {"versions_checked", r.versions_checked},
                {"index_entries_checked", r.index_entries_checked},
                {"changes_checked", r.changes_checked},
                {"problems", r.problems}};
      GiveText(Dump(j), report_json, report_len);
    }
    if (r.ok()) return Status::OK();
    return Status::Corruption("verify found " + std::to_string(r.problems.size()) +
                              (r.problems.size() == 1 ? " problem" : " problems") + "; the first: " + r.problems[0]);
  });
}

ANNODB_EXPORT int annodb_sync(annodb_store* store) {
  return Run(store, "annodb_sync", [&](Store& s) -> Status { return s.Sync(); });
}

ANNODB_EXPORT int annodb_backup(annodb_store* store, const char* dest_dir) {
  return Run(store, "annodb_backup", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(dest_dir, "dest_dir"));
    return s.Backup(dest_dir);
  });
}

}  // extern "C"
