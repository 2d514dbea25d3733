// The C ABI: the labelling queue (queue add, priorities, lease, renew,
// heartbeat, release, skip, submit, review, lease/task/stats reads).
//
// The per-labeller calls (lease, renew, heartbeat, release, skip, submit,
// review) go through Store::WriteGrouped: when many threads of one process
// (a team server) call them at once, their transactions share one commit
// (one fsync), and a refused call aborts only its own part.
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "annodb/assets.h"
#include "annodb/json_input.h"
#include "annodb/label_json.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "annodb/queue.h"
#include "internal.h"

namespace annodb::capi {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;


Status ParseWhere(const char* where_json, std::vector<std::pair<std::string, std::string>>* out) {
  if (!where_json) return Status::OK();
  std::string_view sv(where_json);
  ANNODB_RETURN_IF_ERROR(CheckJsonInput(sv).WithContext("where_json"));
  json j = json::parse(sv.begin(), sv.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("where_json is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("where_json must be a JSON object of key: \"value\"");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key().empty()) return Status::InvalidArgument("where_json: a key is empty");
    if (!it->is_string()) return Status::InvalidArgument("where_json: the value of \"" + it.key() + "\" must be a string");
    out->emplace_back(it.key(), it->get<std::string>());
  }
  return Status::OK();
}

ojson GrantJson(const ReadTxn& t, const LeaseGrant& g) {
  ojson j{{"lease", g.lease_id}, {"token", g.token}, {"asset_id", g.asset_id}};
  RecordView v;
  if (GetAsset(t, g.asset_id, kCurrent, &v).ok()) {
    const fb::Asset* a = v.As<fb::Asset>();
    j["external_id"] = a->external_id() ? a->external_id()->str() : "";
    DatasetInfo d;
    if (GetDataset(t, a->dataset_id(), &d).ok()) j["dataset"] = d.name;
  }
  j["stage"] = StageName(g.stage);
  j["gold"] = g.gold;
  j["granted_us"] = g.granted_us;
  j["expires_us"] = g.expires_us;
  return j;
}


}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

ANNODB_EXPORT int annodb_queue_add(annodb_store* store, const char* project, const char* dataset, double priority,
                                   const char* where_json, const annodb_actor* actor, char** report_json,
                                   size_t* report_len) {
  ResetOut(report_json, report_len);
  return Run(store, "annodb_queue_add", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(project, "project"));
    ANNODB_RETURN_IF_ERROR(RequireString(dataset, "dataset"));
    EnqueueOptions o;
    o.priority = priority;
    ANNODB_RETURN_IF_ERROR(ParseWhere(where_json, &o.where));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    EnqueueResult r;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProject(t, project, &p));
      ANNODB_RETURN_IF_ERROR(FindDataset(t, dataset, &o.dataset_id));
      return Enqueue(t, p, o, &r);
    }));
    if (report_json)
      GiveText(Dump({{"batch", r.batch_id}, {"added", r.added}, {"already_queued", r.already_queued}, {"gold", r.gold},
                     {"filtered_out", r.filtered_out}}),
               report_json, report_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_queue_set_priority(annodb_store* store, const char* project, uint64_t asset_id,
                                            double priority, const annodb_actor* actor) {
  return Run(store, "annodb_queue_set_priority", [&](Store& s) -> Status {
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return s.Write(a, [&](WriteTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      return SetTaskPriority(t, p, asset_id, priority);
    });
  });
}

ANNODB_EXPORT int annodb_queue_set_batch_priority(annodb_store* store, const char* project, uint64_t batch_id,
                                                  double priority, const annodb_actor* actor, uint64_t* changed) {
  if (changed) *changed = 0;
  return Run(store, "annodb_queue_set_batch_priority", [&](Store& s) -> Status {
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    uint64_t n = 0;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      return SetBatchPriority(t, p, batch_id, priority, &n);
    }));
    if (changed) *changed = n;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_queue_priority_from_model(annodb_store* store, const char* project, const char* model_name,
                                                   const char* model_version, const annodb_actor* actor,
                                                   uint64_t* changed) {
  if (changed) *changed = 0;
  return Run(store, "annodb_queue_priority_from_model", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(model_name, "model_name"));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string version = model_version ? model_version : "";
    uint64_t n = 0;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      return SetPriorityFromModel(t, p, model_name, version, &n);
    }));
    if (changed) *changed = n;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_lease(annodb_store* store, const char* project, const char* member, uint32_t n, int lane,
                               char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_lease", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    ANNODB_RETURN_IF_ERROR(RequireString(member, "member"));
    if (lane < ANNODB_LANE_AUTO || lane > ANNODB_LANE_REVIEW)
      return Status::InvalidArgument("lane must be ANNODB_LANE_AUTO, _LABEL or _REVIEW");
    ojson arr;
    ANNODB_RETURN_IF_ERROR(s.WriteGrouped(Actor::Person(member), [&](WriteTxn& t) -> Status {
      uint64_t p = 0, m = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      ANNODB_RETURN_IF_ERROR(FindMemberArg(t, member, &m));
      std::vector<LeaseGrant> grants;
      ANNODB_RETURN_IF_ERROR(LeaseTasks(t, p, m, n, static_cast<LeaseLane>(lane), &grants));
      arr = ojson::array();  // fn may run again (map growth): start afresh
      for (const LeaseGrant& g : grants) arr.push_back(GrantJson(t, g));
      return Status::OK();
    }));
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_lease_renew(annodb_store* store, uint64_t lease_id, uint64_t token, int64_t* expires_us) {
  if (expires_us) *expires_us = 0;
  return Run(store, "annodb_lease_renew", [&](Store& s) -> Status {
    int64_t exp = 0;
    ANNODB_RETURN_IF_ERROR(s.WriteGrouped(Actor::System(), [&](WriteTxn& t) { return RenewLease(t, lease_id, token, &exp); }));
    if (expires_us) *expires_us = exp;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_heartbeat(annodb_store* store, const char* member, uint32_t* renewed) {
  if (renewed) *renewed = 0;
  return Run(store, "annodb_heartbeat", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(member, "member"));
    uint32_t n = 0;
    ANNODB_RETURN_IF_ERROR(s.WriteGrouped(Actor::Person(member), [&](WriteTxn& t) -> Status {
      uint64_t m = 0;
      ANNODB_RETURN_IF_ERROR(FindMemberArg(t, member, &m));
      return Heartbeat(t, m, &n);
    }));
    if (renewed) *renewed = n;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_lease_release(annodb_store* store, uint64_t lease_id, uint64_t token) {
  return Run(store, "annodb_lease_release", [&](Store& s) -> Status {
    return s.WriteGrouped(Actor::System(), [&](WriteTxn& t) { return ReleaseLease(t, lease_id, token); });
  });
}

ANNODB_EXPORT int annodb_lease_skip(annodb_store* store, uint64_t lease_id, uint64_t token, const char* reason) {
  return Run(store, "annodb_lease_skip", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(reason, "reason"));
    if (!ValidUtf8(reason)) return Status::InvalidArgument("reason is not valid UTF-8");
    return s.WriteGrouped(Actor::System(), [&](WriteTxn& t) { return SkipLease(t, lease_id, token, reason); });
  });
}

ANNODB_EXPORT int annodb_lease_submit(annodb_store* store, uint64_t lease_id, uint64_t token,
                                      const char* annotations_json, uint64_t time_spent_ms, uint64_t* label_id) {
  if (label_id) *label_id = 0;
  return Run(store, "annodb_lease_submit", [&](Store& s) -> Status {
    SubmitInput in;
    in.time_spent_ms = time_spent_ms;
    ANNODB_RETURN_IF_ERROR(RequireString(annotations_json, "annotations_json"));
    ANNODB_RETURN_IF_ERROR(ParseAnnotationsJson(annotations_json, &in.annotations));
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(s.WriteGrouped(Actor::System(), [&](WriteTxn& t) { return SubmitLease(t, lease_id, token, in, &id); }));
    if (label_id) *label_id = id;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_review_accept(annodb_store* store, uint64_t lease_id, uint64_t token) {
  return Run(store, "annodb_review_accept", [&](Store& s) -> Status {
    ReviewInput in;
    return s.WriteGrouped(Actor::System(), [&](WriteTxn& t) { return ReviewLease(t, lease_id, token, in, nullptr); });
  });
}

ANNODB_EXPORT int annodb_review_reject(annodb_store* store, uint64_t lease_id, uint64_t token, const char* comment,
                                       const uint64_t* label_ids, size_t n_labels, char** issues_json,
                                       size_t* issues_len) {
  ResetOut(issues_json, issues_len);
  return Run(store, "annodb_review_reject", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(comment, "comment"));
    if (!ValidUtf8(comment)) return Status::InvalidArgument("comment is not valid UTF-8");
    if (n_labels && !label_ids) return Status::InvalidArgument("label_ids is NULL with n_labels > 0");
    if (n_labels > 1000) return Status::InvalidArgument("at most 1000 label ids");
    ReviewInput in;
    in.accept = false;
    in.comment = comment;
    if (n_labels) in.reject_label_ids.assign(label_ids, label_ids + n_labels);
    std::vector<uint64_t> issues;
    ANNODB_RETURN_IF_ERROR(s.WriteGrouped(Actor::System(), [&](WriteTxn& t) { return ReviewLease(t, lease_id, token, in, &issues); }));
    if (issues_json) GiveText(Dump(ojson(issues)), issues_json, issues_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_lease_get_json(annodb_store* store, uint64_t lease_id, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_lease_get_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    return s.Read([&](ReadTxn& t) -> Status {
      LeaseInfo l;
      ANNODB_RETURN_IF_ERROR(GetLease(t, lease_id, &l));
      ojson j{{"lease", l.lease_id}, {"project_id", l.project_id}, {"asset_id", l.asset_id},
              {"member_id", l.member_id}, {"stage", StageName(l.stage)}, {"token", l.token},
              {"granted_us", l.granted_us}, {"expires_us", l.expires_us}, {"state", LeaseStateName(l.state)},
              {"expired", l.expired}, {"gold", l.gold}, {"skip_reason", l.skip_reason}};
      GiveText(Dump(j), out, out_len);
      return Status::OK();
    });
  });
}

ANNODB_EXPORT int annodb_queue_stats_json(annodb_store* store, const char* project, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_queue_stats_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    return s.Read([&](ReadTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      QueueStatsInfo st;
      ANNODB_RETURN_IF_ERROR(GetQueueStats(t, p, &st));
      ojson members = ojson::array();
      for (const MemberQueueStats& m : st.members) {
        MemberInfo mi;
        ANNODB_RETURN_IF_ERROR(GetMember(t, m.member_id, &mi));
        members.push_back({{"member", mi.name}, {"leased", m.leased}, {"submitted", m.submitted},
                           {"skipped", m.skipped}, {"released", m.released}, {"expired", m.expired},
                           {"reviewed", m.reviewed}});
      }
      GiveText(Dump({{"tasks", st.tasks}, {"ready", st.ready}, {"label_stage", st.label_stage},
                     {"leased", st.leased}, {"review", st.review}, {"review_leased", st.review_leased},
                     {"done", st.done}, {"gold", st.gold}, {"expired_unreclaimed", st.expired_unreclaimed},
                     {"members", members}}),
               out, out_len);
      return Status::OK();
    });
  });
}

ANNODB_EXPORT int annodb_queue_task_json(annodb_store* store, const char* project, uint64_t asset_id, char** out,
                                         size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_queue_task_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    return s.Read([&](ReadTxn& t) -> Status {
      uint64_t p = 0;
      ANNODB_RETURN_IF_ERROR(FindProjectArg(t, project, &p));
      TaskInfo ti;
      ANNODB_RETURN_IF_ERROR(GetTask(t, p, asset_id, &ti));
      GiveText(Dump({{"asset_id", ti.asset_id}, {"stage", StageName(ti.stage)}, {"gold", ti.gold},
                     {"priority", ti.priority}, {"batch", ti.batch_id}, {"submitted", ti.submitted},
                     {"holders", ti.holders}, {"reviewing", ti.reviewing}}),
               out, out_len);
      return Status::OK();
    });
  });
}
