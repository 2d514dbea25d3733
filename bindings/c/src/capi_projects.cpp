// The C ABI: projects (ontologies, settings) and members.
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "internal.h"

namespace annodb::capi {
namespace {

using ojson = nlohmann::ordered_json;

constexpr size_t kProjectSettingsSizeV1 = sizeof(annodb_project_settings);


void GiveOutcome(PutOutcome o, int* outcome) {
  if (outcome) *outcome = static_cast<int>(o);
}

Status ParseRoleArg(const char* role, Role* out) {
  ANNODB_RETURN_IF_ERROR(RequireString(role, "role"));
  if (!ParseRole(role, out))
    return Status::InvalidArgument("role '" + std::string(role) + "' is not one of labeler, reviewer, admin");
  return Status::OK();
}

Status ToSettings(const annodb_project_settings* in, ProjectSettings* out) {
  ANNODB_RETURN_IF_ERROR(CheckStructSize(in, in->struct_size, kProjectSettingsSizeV1,
                                         sizeof(annodb_project_settings), "annodb_project_settings"));
  ProjectSettings s;
  s.overlap = in->overlap;
  s.lease_ttl_s = in->lease_ttl_s;
  // Range-checked as doubles: converting an out-of-range double to float is
  // undefined.
  if (!(in->review_fraction >= 0 && in->review_fraction <= 1))
    return Status::InvalidArgument("review fraction must be 0..1");
  if (!(in->gold_rate >= 0 && in->gold_rate <= 1)) return Status::InvalidArgument("gold rate must be 0..1");
  s.review_fraction = static_cast<float>(in->review_fraction);
  s.gold_rate = static_cast<float>(in->gold_rate);
  s.max_leases = in->max_leases;
  if (in->instructions) s.instructions = in->instructions;
  ANNODB_RETURN_IF_ERROR(ValidateProjectSettings(s));
  *out = std::move(s);
  return Status::OK();
}

Status ParseOntologyArg(const char* text, std::vector<FeatureDef>* out) {
  ANNODB_RETURN_IF_ERROR(RequireString(text, "ontology_json"));
  std::string_view sv(text);
  if (!ValidUtf8(sv)) return Status::InvalidArgument("the ontology is not valid UTF-8");
  return ParseOntologyJson(sv, out);
}

ojson OntologyJson(const std::vector<FeatureDef>& features) {
  ojson arr = ojson::array();
  for (const FeatureDef& f : features) {
    ojson o;
    o["name"] = f.name;
    o["kind"] = FeatureKindName(f.kind);
    if (!f.options.empty()) o["options"] = f.options;
    if (!f.classes.empty()) o["classes"] = f.classes;
    if (f.required) o["required"] = true;
    arr.push_back(std::move(o));
  }
  return ojson{{"features", std::move(arr)}};
}

// Renders project `p` (read as of `as_of`).
Status ProjectJson(const ReadTxn& t, const ProjectInfo& p, uint64_t as_of, ojson* out) {
  ojson names = ojson::array();
  for (uint64_t d : p.dataset_ids) {
    DatasetInfo info;
    names.push_back(GetDataset(t, d, &info).ok() ? info.name : std::string());
  }
  RecordView v;
  ANNODB_RETURN_IF_ERROR(as_of == kCurrent ? t.Get(RecordKind::Project, p.id, &v)
                                           : t.GetAsOf(RecordKind::Project, p.id, as_of, &v));
  ojson settings{{"overlap", p.settings.overlap},
                 {"lease_ttl_s", p.settings.lease_ttl_s},
                 {"review_fraction", FloatForJson(p.settings.review_fraction)},
                 {"gold_rate", FloatForJson(p.settings.gold_rate)},
                 {"max_leases", p.settings.max_leases},
                 {"instructions", p.settings.instructions}};
  *out = ojson{{"id", p.id},
               {"name", p.name},
               {"datasets", std::move(names)},
               {"dataset_ids", p.dataset_ids},
               {"ontology", OntologyJson(p.features)},
               {"settings", std::move(settings)},
               {"version", p.version},
               {"sequence", p.sequence},
               {"provenance", ojson::parse(ProvenanceToJson(v))}};
  return Status::OK();
}

// Reads the current project `name` and writes a new version with what
// `change` makes of it.
template <typename Change>
Status ChangeProject(Store& s, const Actor& a, const std::string& name, int* outcome, Change&& change) {
  PutOutcome o = PutOutcome::kUnchanged;
  ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(t, name, &id));
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(GetProject(t, id, kCurrent, &p));
    ANNODB_RETURN_IF_ERROR(change(t, &p));
    return UpdateProject(t, id, p.dataset_ids, p.features, p.settings, &o);
  }));
  GiveOutcome(o, outcome);
  return Status::OK();
}

ojson MemberJson(const MemberInfo& m) {
  return ojson{{"id", m.id},
               {"name", m.name},
               {"display_name", m.display_name},
               {"role", RoleName(m.role)},
               {"active", m.active},
               {"version", m.version}};
}

// Reads member `name` and writes a new version with role/active changed.
template <typename Change>
Status ChangeMember(Store& s, const Actor& a, const std::string& name, int* outcome, Change&& change) {
  PutOutcome o = PutOutcome::kUnchanged;
  ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(FindMember(t, name, &id));
    MemberInfo m;
    ANNODB_RETURN_IF_ERROR(GetMember(t, id, &m));
    change(&m);
    return UpdateMember(t, id, m.role, m.active, &o);
  }));
  GiveOutcome(o, outcome);
  return Status::OK();
}

}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

extern "C" {

// ---- projects ----

ANNODB_EXPORT int annodb_project_settings_init(annodb_project_settings* settings, size_t struct_size) {
  try {
    if (settings == nullptr)
      return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_project_settings_init: settings is NULL");
    if (struct_size < kProjectSettingsSizeV1 || struct_size > kMaxStructSize)
      return SetThreadError(ANNODB_INVALID_ARGUMENT,
                            "annodb_project_settings_init: struct_size " + std::to_string(struct_size) +
                                " is not a size of annodb_project_settings (pass sizeof(annodb_project_settings))");
    std::memset(settings, 0, struct_size);
    ProjectSettings d;
    settings->struct_size = struct_size;
    settings->overlap = d.overlap;
    settings->lease_ttl_s = d.lease_ttl_s;
    settings->review_fraction = d.review_fraction;
    settings->gold_rate = d.gold_rate;
    settings->max_leases = d.max_leases;
    settings->instructions = nullptr;
    return ANNODB_OK;
  } catch (...) {
    return InternalError(nullptr, "annodb_project_settings_init", "unknown exception");
  }
}

ANNODB_EXPORT int annodb_project_create(annodb_store* store, const char* name, const char* const* datasets,
                                        size_t dataset_count, const char* ontology_json,
                                        const annodb_project_settings* settings, const annodb_actor* actor,
                                        uint64_t* id) {
  if (id) *id = 0;
  return Run(store, "annodb_project_create", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "project name"));
    if (!ValidUtf8(name)) return Status::InvalidArgument("project name is not valid UTF-8");
    if (datasets == nullptr && dataset_count != 0) return Status::InvalidArgument("datasets is NULL");
    if (dataset_count == 0) return Status::InvalidArgument("a project needs at least one dataset");
    std::vector<std::string> ds_names;
    for (size_t i = 0; i < dataset_count; ++i) {
      if (datasets[i] == nullptr) return Status::InvalidArgument("datasets[" + std::to_string(i) + "] is NULL");
      ds_names.emplace_back(datasets[i]);
    }
    std::vector<FeatureDef> features;
    ANNODB_RETURN_IF_ERROR(ParseOntologyArg(ontology_json, &features));
    ProjectSettings ps;
    if (settings) ANNODB_RETURN_IF_ERROR(ToSettings(settings, &ps));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string n(name);
    uint64_t new_id = 0;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
      std::vector<uint64_t> ids;
      for (const std::string& d : ds_names) {
        uint64_t ds = 0;
        ANNODB_RETURN_IF_ERROR(FindDataset(t, d, &ds));
        ids.push_back(ds);
      }
      return CreateProject(t, n, ids, features, ps, &new_id);
    }));
    if (id) *id = new_id;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_project_find(annodb_store* store, const char* name, uint64_t* id) {
  if (id) *id = 0;
  return Run(store, "annodb_project_find", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "project name"));
    if (id == nullptr) return Status::InvalidArgument("id is NULL");
    std::string n(name);
    uint64_t found = 0;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) { return FindProject(t, n, &found); }));
    *id = found;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_project_get(annodb_store* store, const char* name, uint64_t as_of, char** out,
                                     size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_project_get", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "project name"));
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string n(name);
    ojson j;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      uint64_t id = 0;
      ANNODB_RETURN_IF_ERROR(FindProject(t, n, &id));
      ProjectInfo p;
      Status gs = GetProject(t, id, as_of, &p);
      if (gs.IsNotFound() && as_of != kCurrent)
        return Status::NotFound("project '" + n + "' did not exist at sequence " + std::to_string(as_of));
      ANNODB_RETURN_IF_ERROR(gs);
      return ProjectJson(t, p, as_of, &j);
    }));
    GiveText(Dump(j), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_project_list(annodb_store* store, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_project_list", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    ojson arr = ojson::array();
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      std::vector<ProjectInfo> list;
      ANNODB_RETURN_IF_ERROR(ListProjects(t, &list));
      for (const ProjectInfo& p : list) {
        ojson j;
        ANNODB_RETURN_IF_ERROR(ProjectJson(t, p, kCurrent, &j));
        arr.push_back(std::move(j));
      }
      return Status::OK();
    }));
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_project_set_settings(annodb_store* store, const char* name,
                                              const annodb_project_settings* settings, const annodb_actor* actor,
                                              int* outcome) {
  if (outcome) *outcome = 0;
  return Run(store, "annodb_project_set_settings", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "project name"));
    if (settings == nullptr) return Status::InvalidArgument("settings is NULL");
    ProjectSettings ps;
    ANNODB_RETURN_IF_ERROR(ToSettings(settings, &ps));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return ChangeProject(s, a, name, outcome, [&](WriteTxn&, ProjectInfo* p) {
      p->settings = ps;
      return Status::OK();
    });
  });
}

ANNODB_EXPORT int annodb_project_extend_ontology(annodb_store* store, const char* name, const char* ontology_json,
                                                 const annodb_actor* actor, int* outcome) {
  if (outcome) *outcome = 0;
  return Run(store, "annodb_project_extend_ontology", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "project name"));
    std::vector<FeatureDef> features;
    ANNODB_RETURN_IF_ERROR(ParseOntologyArg(ontology_json, &features));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return ChangeProject(s, a, name, outcome, [&](WriteTxn&, ProjectInfo* p) {
      p->features = features;  // UpdateProject checks that it only adds
      return Status::OK();
    });
  });
}

ANNODB_EXPORT int annodb_project_add_dataset(annodb_store* store, const char* name, const char* dataset,
                                             const annodb_actor* actor, int* outcome) {
  if (outcome) *outcome = 0;
  return Run(store, "annodb_project_add_dataset", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "project name"));
    ANNODB_RETURN_IF_ERROR(RequireString(dataset, "dataset name"));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string ds_name(dataset);
    return ChangeProject(s, a, name, outcome, [&](WriteTxn& t, ProjectInfo* p) -> Status {
      uint64_t ds = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(t, ds_name, &ds));
      for (uint64_t d : p->dataset_ids)
        if (d == ds) return Status::OK();  // already there: an unchanged version
      p->dataset_ids.push_back(ds);
      return Status::OK();
    });
  });
}

// ---- members ----

ANNODB_EXPORT int annodb_member_add(annodb_store* store, const char* name, const char* role,
                                    const char* display_name, const annodb_actor* actor, uint64_t* id) {
  if (id) *id = 0;
  return Run(store, "annodb_member_add", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "member name"));
    if (!ValidUtf8(name)) return Status::InvalidArgument("member name is not valid UTF-8");
    Role r;
    ANNODB_RETURN_IF_ERROR(ParseRoleArg(role, &r));
    std::string n(name), dn(display_name ? display_name : "");
    if (!ValidUtf8(dn)) return Status::InvalidArgument("display name is not valid UTF-8");
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    uint64_t new_id = 0;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) { return AddMember(t, n, r, dn, &new_id); }));
    if (id) *id = new_id;
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_member_get(annodb_store* store, const char* name, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_member_get", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "member name"));
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string n(name);
    MemberInfo m;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      uint64_t id = 0;
      ANNODB_RETURN_IF_ERROR(FindMember(t, n, &id));
      return GetMember(t, id, &m);
    }));
    GiveText(Dump(MemberJson(m)), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_member_list(annodb_store* store, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_member_list", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::vector<MemberInfo> list;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) { return ListMembers(t, &list); }));
    ojson arr = ojson::array();
    for (const MemberInfo& m : list) arr.push_back(MemberJson(m));
    GiveText(Dump(arr), out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_member_set_active(annodb_store* store, const char* name, int active,
                                           const annodb_actor* actor, int* outcome) {
  if (outcome) *outcome = 0;
  return Run(store, "annodb_member_set_active", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "member name"));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return ChangeMember(s, a, name, outcome, [&](MemberInfo* m) { m->active = active != 0; });
  });
}

ANNODB_EXPORT int annodb_member_set_role(annodb_store* store, const char* name, const char* role,
                                         const annodb_actor* actor, int* outcome) {
  if (outcome) *outcome = 0;
  return Run(store, "annodb_member_set_role", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(name, "member name"));
    Role r;
    ANNODB_RETURN_IF_ERROR(ParseRoleArg(role, &r));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return ChangeMember(s, a, name, outcome, [&](MemberInfo* m) { m->role = r; });
  });
}

}  // extern "C"
