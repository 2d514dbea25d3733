// Shared pieces of the NDJSON export and restore: provenance as JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

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

// Field readers for restore: a field that is missing (when required) or of
// the wrong type is an InvalidArgument naming it, so nothing throws and no
// JSON library text reaches a message. `j` must be an object. An optional
// field that is absent leaves *out as it is.
inline Status FindField(const nlohmann::json& j, const char* key, bool required, const nlohmann::json** out) {
  auto it = j.find(key);
  *out = it == j.end() ? nullptr : &*it;
  if (!*out && required) return Status::InvalidArgument(std::string("\"") + key + "\" is missing");
  return Status::OK();
}

inline Status TypeError(const char* key, const char* expected) {
  return Status::InvalidArgument(std::string(key) + ": expected " + expected);
}

inline Status ReadString(const nlohmann::json& j, const char* key, bool required, std::string* out) {
  const nlohmann::json* v = nullptr;
  ANNODB_RETURN_IF_ERROR(FindField(j, key, required, &v));
  if (!v) return Status::OK();
  if (!v->is_string()) return TypeError(key, "a string");
  *out = v->get<std::string>();
  return Status::OK();
}

inline Status ReadUint(const nlohmann::json& j, const char* key, uint64_t max, bool required, uint64_t* out) {
  const nlohmann::json* v = nullptr;
  ANNODB_RETURN_IF_ERROR(FindField(j, key, required, &v));
  if (!v) return Status::OK();
  if (!v->is_number_unsigned() || v->get<uint64_t>() > max)
    return TypeError(key, ("a whole number from 0 to " + std::to_string(max)).c_str());
  *out = v->get<uint64_t>();
  return Status::OK();
}

inline Status ReadInt(const nlohmann::json& j, const char* key, bool required, int64_t* out) {
  const nlohmann::json* v = nullptr;
  ANNODB_RETURN_IF_ERROR(FindField(j, key, required, &v));
  if (!v) return Status::OK();
  if (!v->is_number_integer() || (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t{INT64_MAX}))
    return TypeError(key, "a whole number (64-bit signed)");
  *out = v->get<int64_t>();
  return Status::OK();
}

inline Status ReadBool(const nlohmann::json& j, const char* key, bool required, bool* out) {
  const nlohmann::json* v = nullptr;
  ANNODB_RETURN_IF_ERROR(FindField(j, key, required, &v));
  if (!v) return Status::OK();
  if (!v->is_boolean()) return TypeError(key, "true or false");
  *out = v->get<bool>();
  return Status::OK();
}

inline Status ReadNumber(const nlohmann::json& j, const char* key, bool required, double* out) {
  const nlohmann::json* v = nullptr;
  ANNODB_RETURN_IF_ERROR(FindField(j, key, required, &v));
  if (!v) return Status::OK();
  if (!v->is_number()) return TypeError(key, "a number");
  *out = v->get<double>();
  return Status::OK();
}

// The field `key` as an object or an array (`want` is value_t::object or
// value_t::array); *out is null when an optional field is absent.
inline Status ReadContainer(const nlohmann::json& j, const char* key, nlohmann::json::value_t want, bool required,
                            const nlohmann::json** out) {
  ANNODB_RETURN_IF_ERROR(FindField(j, key, required, out));
  if (*out && (*out)->type() != want)
    return TypeError(key, want == nlohmann::json::value_t::object ? "an object" : "an array");
  return Status::OK();
}

inline Status ParseProvenance(const nlohmann::json& j, ProvenanceInfo* p) {
  *p = ProvenanceInfo();
  if (!j.is_object()) return Status::InvalidArgument("provenance: expected an object");
  std::string kind;
  Status s = ReadString(j, "actor_kind", true, &kind);
  if (s.ok() && !ParseActorKind(kind, &p->actor_kind))
    s = Status::InvalidArgument("actor_kind: expected system, person, model, plugin or import_job");
  if (s.ok()) s = ReadString(j, "actor", false, &p->actor_name);
  const nlohmann::json* model = nullptr;
  if (s.ok()) s = ReadContainer(j, "model", nlohmann::json::value_t::object, false, &model);
  if (s.ok() && model) s = ReadString(*model, "name", false, &p->model_name);
  if (s.ok() && model) s = ReadString(*model, "version", false, &p->model_version);
  if (s.ok()) s = ReadUint(j, "job_id", UINT64_MAX, false, &p->job_id);
  if (s.ok()) s = ReadUint(j, "lease_id", UINT64_MAX, false, &p->lease_id);
  if (s.ok()) s = ReadInt(j, "time_us", false, &p->time_us);
  if (s.ok()) s = ReadString(j, "note", false, &p->note);
  return s.WithContext("provenance");
}

}  // namespace annodb::ndjson
