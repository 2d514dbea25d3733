// Queue administration: queue add|stats|priority|task.
#include <memory>

#include "annodb/assets.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "annodb/queue.h"
#include "asset_ref.h"
#include "cli.h"
#include "output.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

struct AddArgs {
  std::string project, dataset;
  double priority = 0;
  std::vector<std::string> where;
};

void CmdAdd(Context& ctx, const AddArgs& a) {
  EnqueueOptions o;
  o.priority = a.priority;
  for (const std::string& w : a.where) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0) UsageError("--where takes key=value, not '" + w + "'");
    o.where.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  EnqueueResult r;
  uint64_t seq = 0;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    uint64_t project = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(txn, a.project, &project));
    ANNODB_RETURN_IF_ERROR(FindDataset(txn, a.dataset, &o.dataset_id));
    return Enqueue(txn, project, o, &r);
  }, &seq));
  if (ctx.json()) {
    PrintJson({{"batch", r.batch_id}, {"added", r.added}, {"already_queued", r.already_queued}, {"gold", r.gold},
               {"filtered_out", r.filtered_out}, {"sequence", seq}});
    return;
  }
  PrintLine("queued " + std::to_string(r.added) + " tasks in project " + a.project +
            (r.added ? " (batch " + std::to_string(r.batch_id) + ", priority " + json(a.priority).dump() + ")" : "") +
            (r.gold ? ", " + std::to_string(r.gold) + " of them gold" : "") + "; " + std::to_string(r.already_queued) +
            " already queued" + (a.where.empty() ? "" : ", " + std::to_string(r.filtered_out) + " not matching --where"));
}

void CmdStats(Context& ctx, const std::string& project_name) {
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    uint64_t project = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(txn, project_name, &project));
    QueueStatsInfo s;
    ANNODB_RETURN_IF_ERROR(GetQueueStats(txn, project, &s));
    std::vector<std::string> names;
    for (const MemberQueueStats& m : s.members) {
      MemberInfo mi;
      ANNODB_RETURN_IF_ERROR(GetMember(txn, m.member_id, &mi));
      names.push_back(mi.name);
    }
    if (ctx.json()) {
      json members = json::array();
      for (size_t i = 0; i < s.members.size(); ++i) {
        const MemberQueueStats& m = s.members[i];
        members.push_back({{"member", names[i]}, {"leased", m.leased}, {"submitted", m.submitted},
                           {"skipped", m.skipped}, {"released", m.released}, {"expired", m.expired},
                           {"reviewed", m.reviewed}});
      }
      PrintJson({{"project", project_name}, {"tasks", s.tasks}, {"ready", s.ready}, {"leased", s.leased},
                 {"label_stage", s.label_stage}, {"review", s.review}, {"review_leased", s.review_leased},
                 {"done", s.done}, {"gold", s.gold}, {"expired_unreclaimed", s.expired_unreclaimed},
                 {"members", members}});
      return Status::OK();
    }
    PrintLine("project " + project_name + ": " + std::to_string(s.tasks) + " tasks");
    Table t({"stage", "count"});
    t.Add({"ready", std::to_string(s.ready) + " tasks still needing a labeller"});
    t.Add({"leased", std::to_string(s.leased) + " active label leases"});
    t.Add({"label stage", std::to_string(s.label_stage) + " tasks"});
    t.Add({"review", std::to_string(s.review) + " tasks, " + std::to_string(s.review_leased) + " being reviewed"});
    t.Add({"done", std::to_string(s.done) + " tasks"});
    if (s.gold) t.Add({"gold", std::to_string(s.gold) + " tasks"});
    t.Print();
    if (s.expired_unreclaimed)
      PrintLine(std::to_string(s.expired_unreclaimed) + " leases have expired and return at the next queue write");
    if (!s.members.empty()) {
      Table m({"member", "leased", "submitted", "skipped", "released", "expired", "reviewed"});
      for (size_t i = 0; i < s.members.size(); ++i) {
        const MemberQueueStats& x = s.members[i];
        m.Add({names[i], std::to_string(x.leased), std::to_string(x.submitted), std::to_string(x.skipped),
               std::to_string(x.released), std::to_string(x.expired), std::to_string(x.reviewed)});
      }
      m.Print();
    }
    return Status::OK();
  }));
}

struct PriorityArgs {
  std::string project, model, model_version;
  AssetRef asset;
  uint64_t batch = 0;
  std::optional<double> priority;
};

void CmdPriority(Context& ctx, PriorityArgs& a) {
  int forms = (!a.asset.id_text.empty() || !a.asset.external_id.empty()) + (a.batch != 0) + !a.model.empty();
  if (forms != 1) UsageError("give exactly one of: an asset, --batch B, --from-model NAME");
  if (a.model.empty() && !a.priority) UsageError("--priority is required with an asset or a batch");
  if (!a.model.empty() && a.priority) UsageError("--from-model sets priorities from scores; drop --priority");
  if (!a.asset.id_text.empty() || !a.asset.external_id.empty()) a.asset.Validate();
  uint64_t changed = 0;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    uint64_t project = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(txn, a.project, &project));
    if (a.batch) return SetBatchPriority(txn, project, a.batch, *a.priority, &changed);
    if (!a.model.empty()) return SetPriorityFromModel(txn, project, a.model, a.model_version, &changed);
    uint64_t asset = 0;
    ANNODB_RETURN_IF_ERROR(a.asset.Resolve(txn, &asset));
    changed = 1;
    return SetTaskPriority(txn, project, asset, *a.priority);
  }));
  if (ctx.json()) PrintJson({{"changed", changed}});
  else PrintLine("changed the priority of " + std::to_string(changed) + " tasks");
}

void CmdTask(Context& ctx, const std::string& project_name, AssetRef& ref) {
  ref.Validate();
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    uint64_t project = 0, asset = 0;
    ANNODB_RETURN_IF_ERROR(FindProject(txn, project_name, &project));
    ANNODB_RETURN_IF_ERROR(ref.Resolve(txn, &asset));
    TaskInfo t;
    ANNODB_RETURN_IF_ERROR(GetTask(txn, project, asset, &t));
    if (ctx.json()) {
      PrintJson({{"asset_id", asset}, {"stage", StageName(t.stage)}, {"gold", t.gold}, {"priority", t.priority},
                 {"batch", t.batch_id}, {"submitted", t.submitted}, {"holders", t.holders}, {"reviewing", t.reviewing}});
    } else {
      PrintLine("asset " + std::to_string(asset) + ": stage " + StageName(t.stage) + (t.gold ? " (gold)" : "") +
                ", priority " + json(t.priority).dump() + ", batch " + std::to_string(t.batch_id) + ", " +
                std::to_string(t.submitted) + " labels submitted, " + std::to_string(t.holders) + " holders" +
                (t.reviewing ? ", being reviewed" : ""));
    }
    return Status::OK();
  }));
}

}  // namespace

void RegisterQueueCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(&app, ctx, "queue", "Fill a project's queue, order it, and watch it");
  group->group("Queue");

  auto add = std::make_shared<AddArgs>();
  CLI::App* a = AddCommand(group, ctx, "add", "Queue a dataset's assets for a project as one batch");
  a->add_option("--project", add->project, "Project name")->required();
  a->add_option("--dataset", add->dataset, "Dataset name")->required();
  a->add_option("--priority", add->priority, "Higher is leased first")->capture_default_str();
  a->add_option("--where", add->where, "Only assets whose metadata has key=value (repeatable)")->type_name("KEY=VALUE");
  a->callback([&ctx, add] { ctx.action = [&ctx, add] { CmdAdd(ctx, *add); }; });

  auto stats = std::make_shared<std::string>();
  CLI::App* s = AddCommand(group, ctx, "stats", "Tasks per stage and per member");
  s->add_option("--project", *stats, "Project name")->required();
  s->callback([&ctx, stats] { ctx.action = [&ctx, stats] { CmdStats(ctx, *stats); }; });

  auto pr = std::make_shared<PriorityArgs>();
  CLI::App* p = AddCommand(group, ctx, "priority", "Change the priority of a task, a batch, or from a model's scores");
  p->add_option("--project", pr->project, "Project name")->required();
  pr->asset.AddOptions(p);
  p->add_option("--batch", pr->batch, "Every task of this batch")->check(UnsignedArg(1));
  p->add_option("--from-model", pr->model, "Priority = 1 - the model's lowest score (lowest confidence first)");
  p->add_option("--model-version", pr->model_version, "With --from-model: only this version");
  p->add_option("--priority", pr->priority, "The new priority");
  p->callback([&ctx, pr] { ctx.action = [&ctx, pr] { CmdPriority(ctx, *pr); }; });

  struct TaskArgs {
    std::string project;
    AssetRef asset;
  };
  auto ta = std::make_shared<TaskArgs>();
  CLI::App* t = AddCommand(group, ctx, "task", "Show one asset's task: stage, priority, labels, holders");
  t->add_option("--project", ta->project, "Project name")->required();
  ta->asset.AddOptions(t);
  t->callback([&ctx, ta] { ctx.action = [&ctx, ta] { CmdTask(ctx, ta->project, ta->asset); }; });
}

}  // namespace annodb::cli
