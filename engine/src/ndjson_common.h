// Shared pieces of the NDJSON export and restore: provenance as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "annodb/record.h"
#include "annodb/status.h"

namespace annodb::ndjson {

using ojson = nlohmann::ordered_json;

// The restorable part of a version's provenance (no version numbers).
inline ojson ProvenanceJson(const ProvenanceInfo& p) {
  ojson j;
  j["actor_kind"] = ActorKindName(p.actor_kind);
  j["actor"] = p.actor_name;
  if (!p.model_name.empty() || !p.model_version.empty()) j["model"] = {{"name", p.model_name}, {"version", p.model_version}};
  if (p.job_id) j["job_id"] = p.job_id;
  if (p.lease_id) j["lease_id"] = p.lease_id;
  j["time_us"] = p.time_us;
  if (!p.note.empty()) j["note"] = p.note;
  return j;
}

inline Status ParseProvenance(const nlohmann::json& j, ProvenanceInfo* p) {
  *p = ProvenanceInfo();
  if (!j.is_object()) return Status::InvalidArgument("provenance: expected an object");
  try {
    if (!j.contains("actor_kind") || !ParseActorKind(j.at("actor_kind").get<std::string>(), &p->actor_kind))
      return Status::InvalidArgument("provenance.actor_kind: expected system, person, model, plugin or import_job");
    p->actor_name = j.value("actor", std::string());
    if (j.contains("model")) {
      p->model_name = j.at("model").value("name", std::string());
      p->model_version = j.at("model").value("version", std::string());
    }
    p->job_id = j.value("job_id", uint64_t{0});
    p->lease_id = j.value("lease_id", uint64_t{0});
    p->time_us = j.value("time_us", int64_t{0});
    p->note = j.value("note", std::string());
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("provenance: ") + e.what());
  }
  return Status::OK();
}

}  // namespace annodb::ndjson
