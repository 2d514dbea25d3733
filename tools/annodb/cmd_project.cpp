// Project and member commands: project create|show|list|set, member
// add|list|deactivate|activate.
#include <memory>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "asset_ref.h"
#include "cli.h"
#include "output.h"
#include "paging.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

struct ProjectArgs {
  std::string name, ontology, instructions, as_of;
  std::vector<std::string> datasets;
  // Settings given on the command line (unset ones keep their value).
  std::optional<uint32_t> overlap, lease_ttl, max_leases;
  std::optional<float> review_fraction, gold_rate;
};

void AddSettingOptions(CLI::App* cmd, ProjectArgs* a) {
  cmd->add_option("--overlap", a->overlap, "Labels needed per asset from distinct members (1..100)")
      ->check(UnsignedArg(0, UINT32_MAX));
  cmd->add_option("--lease-ttl", a->lease_ttl, "Seconds a lease lasts")->type_name("SECONDS")->check(UnsignedArg(0, UINT32_MAX));
  cmd->add_option("--review-fraction", a->review_fraction, "Share of labelled assets sent to review (0..1)");
  cmd->add_option("--gold-rate", a->gold_rate, "Share of gold tasks mixed into a member's stream (0..1)");
  cmd->add_option("--max-leases", a->max_leases, "Leases a member may hold at once (0 = no limit)")
      ->check(UnsignedArg(0, UINT32_MAX));
  cmd->add_option("--instructions", a->instructions, "Instructions shown to labellers")->type_name("TEXT");
}

void ApplySettings(const ProjectArgs& a, ProjectSettings* s) {
  if (a.overlap) s->overlap = *a.overlap;
  if (a.lease_ttl) s->lease_ttl_s = *a.lease_ttl;
  if (a.review_fraction) s->review_fraction = *a.review_fraction;
  if (a.gold_rate) s->gold_rate = *a.gold_rate;
  if (a.max_leases) s->max_leases = *a.max_leases;
  if (!a.instructions.empty()) s->instructions = a.instructions;
}

json FeatureJson(const FeatureDef& f) {
  json o{{"name", f.name}, {"kind", FeatureKindName(f.kind)}};
  if (!f.options.empty()) o["options"] = f.options;
  if (!f.classes.empty()) o["classes"] = f.classes;
  if (f.required) o["required"] = true;
  return o;
}

json ProjectJson(const ReadTxn& txn, const ProjectInfo& p) {
  json ds = json::array();
  for (uint64_t id : p.dataset_ids) {
    DatasetInfo d;
    ds.push_back(GetDataset(txn, id, &d).ok() ? d.name : std::to_string(id));
  }
  json features = json::array();
  for (const FeatureDef& f : p.features) features.push_back(FeatureJson(f));
  return {{"id", p.id},
          {"name", p.name},
          {"datasets", ds},
          {"ontology", {{"features", features}}},
          {"settings",
           {{"overlap", p.settings.overlap},
            {"lease_ttl_s", p.settings.lease_ttl_s},
            {"review_fraction", FloatForJson(p.settings.review_fraction)},
            {"gold_rate", FloatForJson(p.settings.gold_rate)},
            {"max_leases", p.settings.max_leases},
            {"instructions", p.settings.instructions}}},
          {"version", p.version},
          {"sequence", p.sequence}};
}

void PrintProject(const ReadTxn& txn, const ProjectInfo& p, bool as_json) {
  json j = ProjectJson(txn, p);
  if (as_json) {
    PrintJson(j);
    return;
  }
  PrintLine("project " + p.name + " (id " + std::to_string(p.id) + ", version " + std::to_string(p.version) + ")");
  PrintLine("  datasets: " + j["datasets"].dump());
  PrintLine("  overlap " + std::to_string(p.settings.overlap) + ", lease TTL " + std::to_string(p.settings.lease_ttl_s) +
            " s, review fraction " + json(FloatForJson(p.settings.review_fraction)).dump() + ", gold rate " +
            json(FloatForJson(p.settings.gold_rate)).dump() + ", max leases " + std::to_string(p.settings.max_leases));
  Table t({"FEATURE", "KIND", "OPTIONS/CLASSES"});
  for (const FeatureDef& f : p.features) {
    std::string list;
    for (const std::string& o : f.options.empty() ? f.classes : f.options) list += (list.empty() ? "" : ", ") + o;
    t.Add({f.name, FeatureKindName(f.kind), Ellipsize(list, 60)});
  }
  t.Print();
}

Status DatasetIds(const ReadTxn& txn, const std::vector<std::string>& names, std::vector<uint64_t>* ids) {
  for (const std::string& n : names) {
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(FindDataset(txn, n, &id));
    ids->push_back(id);
  }
  return Status::OK();
}

void CmdCreate(Context& ctx, ProjectArgs& a) {
  std::vector<FeatureDef> features;
  Check(ParseOntologyJson(ReadInputFile(a.ontology), &features), InputName(a.ontology));
  ProjectSettings settings;
  ApplySettings(a, &settings);
  uint64_t id = 0;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(DatasetIds(txn, a.datasets, &ids));
    return CreateProject(txn, a.name, ids, features, settings, &id);
  }));
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(GetProject(txn, id, kCurrent, &p));
    if (!ctx.json()) PrintLine("created project " + a.name + " (id " + std::to_string(id) + ")");
    else PrintProject(txn, p, true);
    return Status::OK();
  }));
}

void CmdShow(Context& ctx, ProjectArgs& a) {
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    uint64_t id = 0, as_of = kCurrent;
    ANNODB_RETURN_IF_ERROR(FindProject(txn, a.name, &id));
    if (!a.as_of.empty()) ANNODB_RETURN_IF_ERROR(ResolveAsOf(txn, a.as_of, &as_of));
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(GetProject(txn, id, as_of, &p));
    PrintProject(txn, p, ctx.json());
    return Status::OK();
  }));
}

void CmdList(Context& ctx, const Page& page) {
  std::string next;
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    std::vector<ProjectInfo> all;
    ANNODB_RETURN_IF_ERROR(ListProjects(txn, &all));
    next = TakeIdPage<ProjectInfo>(&all, page, [](const ProjectInfo& p) { return p.id; });
    if (ctx.json()) {
      for (const ProjectInfo& p : all) PrintJson(ProjectJson(txn, p));
      return Status::OK();
    }
    if (all.empty()) {
      PrintLine("no projects (create one with `annodb project create NAME --ontology FILE --dataset D`)");
      return Status::OK();
    }
    Table t({"ID", "NAME", "FEATURES", "OVERLAP", "VERSION"});
    for (const ProjectInfo& p : all)
      t.Add({std::to_string(p.id), p.name, std::to_string(p.features.size()), std::to_string(p.settings.overlap),
             std::to_string(p.version)});
    t.Print();
    return Status::OK();
  }));
  PrintMore(ctx, page, next);
}

void CmdSet(Context& ctx, ProjectArgs& a) {
  std::vector<FeatureDef> features;
  bool new_ontology = !a.ontology.empty();
  if (new_ontology) Check(ParseOntologyJson(ReadInputFile(a.ontology), &features), InputName(a.ontology));
  PutOutcome outcome = PutOutcome::kUnchanged;
  uint64_t seq = 0;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(txn, a.name, &id));
    ProjectInfo p;
    ANNODB_RETURN_IF_ERROR(GetProject(txn, id, kCurrent, &p));
    ApplySettings(a, &p.settings);
    std::vector<uint64_t> added;
    ANNODB_RETURN_IF_ERROR(DatasetIds(txn, a.datasets, &added));
    for (uint64_t d : added)
      if (std::find(p.dataset_ids.begin(), p.dataset_ids.end(), d) == p.dataset_ids.end()) p.dataset_ids.push_back(d);
    return UpdateProject(txn, id, p.dataset_ids, new_ontology ? features : p.features, p.settings, &outcome);
  }, &seq));
  if (ctx.json()) PrintJson({{"project", a.name}, {"changed", outcome != PutOutcome::kUnchanged}, {"sequence", seq}});
  else PrintLine(outcome == PutOutcome::kUnchanged ? "project " + a.name + " unchanged"
                                                   : "updated project " + a.name + " (sequence " + std::to_string(seq) + ")");
}

json MemberJson(const MemberInfo& m) {
  return {{"id", m.id}, {"name", m.name}, {"display_name", m.display_name}, {"role", RoleName(m.role)},
          {"active", m.active}, {"version", m.version}};
}

void CmdMemberAdd(Context& ctx, const std::string& name, const std::string& role_text, const std::string& display) {
  Role role;
  if (!ParseRole(role_text, &role)) UsageError("--role must be labeler, reviewer or admin");
  MemberInfo m;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(AddMember(txn, name, role, display, &id));
    return GetMember(txn, id, &m);
  }));
  if (ctx.json()) PrintJson(MemberJson(m));
  else PrintLine("added member " + name + " (" + RoleName(role) + ", id " + std::to_string(m.id) + ")");
}

void CmdMemberList(Context& ctx, const Page& page) {
  std::vector<MemberInfo> all;
  Check(Read(ctx.store(), [&](ReadTxn& txn) { return ListMembers(txn, &all); }));
  std::string next = TakeIdPage<MemberInfo>(&all, page, [](const MemberInfo& m) { return m.id; });
  if (ctx.json()) {
    for (const MemberInfo& m : all) PrintJson(MemberJson(m));
  } else {
    Table t({"ID", "NAME", "ROLE", "ACTIVE", "DISPLAY NAME"});
    for (const MemberInfo& m : all)
      t.Add({std::to_string(m.id), m.name, RoleName(m.role), m.active ? "yes" : "no", m.display_name});
    t.Print();
  }
  PrintMore(ctx, page, next);
}

void CmdMemberSetActive(Context& ctx, const std::string& name, bool active) {
  PutOutcome o = PutOutcome::kUnchanged;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(FindMember(txn, name, &id));
    MemberInfo m;
    ANNODB_RETURN_IF_ERROR(GetMember(txn, id, &m));
    return UpdateMember(txn, id, m.role, active, &o);
  }));
  if (ctx.json()) PrintJson({{"member", name}, {"active", active}, {"changed", o != PutOutcome::kUnchanged}});
  else PrintLine("member " + name + (active ? " is active" : " is inactive") + (o == PutOutcome::kUnchanged ? " (unchanged)" : ""));
}

}  // namespace

void RegisterProjectCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(&app, ctx, "project", "Create, show, list and change projects");
  group->group("Labels");
  auto c = std::make_shared<ProjectArgs>();
  CLI::App* create = AddCommand(group, ctx, "create", "Create a project over datasets with an ontology");
  create->add_option("NAME", c->name, "Project name (unique)")->required();
  create->add_option("--ontology", c->ontology, "Ontology JSON file (- = standard input)")->required()->type_name("FILE");
  create->add_option("--dataset", c->datasets, "A dataset to label (repeatable)")->required()->type_name("NAME");
  AddSettingOptions(create, c.get());
  create->callback([&ctx, c] { ctx.action = [&ctx, c] { CmdCreate(ctx, *c); }; });

  auto s = std::make_shared<ProjectArgs>();
  CLI::App* show = AddCommand(group, ctx, "show", "Show a project's datasets, settings and ontology");
  show->add_option("NAME", s->name, "Project name")->required();
  show->add_option("--as-of", s->as_of, "Read as of a sequence number or snapshot")->type_name("SEQ|SNAPSHOT");
  show->callback([&ctx, s] { ctx.action = [&ctx, s] { CmdShow(ctx, *s); }; });

  auto project_page = std::make_shared<Page>();
  CLI::App* list = AddCommand(group, ctx, "list", "List projects in id order");
  AddPageOptions(list, project_page.get(), 0, "project id");
  list->callback([&ctx, project_page] { ctx.action = [&ctx, project_page] { CmdList(ctx, *project_page); }; });

  auto u = std::make_shared<ProjectArgs>();
  CLI::App* set = AddCommand(group, ctx, "set", "Change settings, add datasets, or extend the ontology");
  set->add_option("NAME", u->name, "Project name")->required();
  set->add_option("--ontology", u->ontology, "New ontology (may only add features, options, classes)")->type_name("FILE");
  set->add_option("--add-dataset", u->datasets, "Add a dataset (repeatable)")->type_name("NAME");
  AddSettingOptions(set, u.get());
  set->callback([&ctx, u] { ctx.action = [&ctx, u] { CmdSet(ctx, *u); }; });

  CLI::App* members = AddCommand(&app, ctx, "member", "Add, list, activate and deactivate members");
  members->group("Labels");
  struct AddArgs {
    std::string name, role = "labeler", display;
  };
  auto m = std::make_shared<AddArgs>();
  CLI::App* add = AddCommand(members, ctx, "add", "Add a member");
  add->add_option("NAME", m->name, "Member name (no spaces or @)")->required();
  add->add_option("--role", m->role, "labeler, reviewer or admin")->capture_default_str();
  add->add_option("--display-name", m->display, "Name shown to people");
  add->callback([&ctx, m] { ctx.action = [&ctx, m] { CmdMemberAdd(ctx, m->name, m->role, m->display); }; });
  auto member_page = std::make_shared<Page>();
  CLI::App* member_list = AddCommand(members, ctx, "list", "List members in id order");
  AddPageOptions(member_list, member_page.get(), 0, "member id");
  member_list->callback([&ctx, member_page] { ctx.action = [&ctx, member_page] { CmdMemberList(ctx, *member_page); }; });
  for (bool active : {false, true}) {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = AddCommand(members, ctx, active ? "activate" : "deactivate",
                               active ? "Let a member receive work again" : "Stop a member receiving work");
    cmd->add_option("NAME", *name, "Member name")->required();
    cmd->callback([&ctx, name, active] { ctx.action = [&ctx, name, active] { CmdMemberSetActive(ctx, *name, active); }; });
  }
}

}  // namespace annodb::cli
