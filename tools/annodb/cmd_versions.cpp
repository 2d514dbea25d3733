// Store-wide version commands: log (the changefeed), snapshot create|list|delete.
#include <memory>

#include "annodb/store.h"
#include "cli.h"
#include "output.h"
#include "paging.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

struct LogArgs {
  uint64_t since = 0;
  Page page{"", 0, 0, "--since"};  // the cursor is --since SEQ; --limit (default: all)
};

std::string DescribeRun(const ChangeRun& r) {
  std::string s = std::string(RecordKindName(r.kind)) + " " + ChangeOpName(r.op) + " " + std::to_string(r.first_id);
  if (r.last_id != r.first_id) s += ".." + std::to_string(r.last_id) + " (" + std::to_string(r.last_id - r.first_id + 1) + ")";
  return s;
}

void CmdLog(Context& ctx, const LogArgs& a) {
  std::string next;
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    Table t({"SEQUENCE", "TIME", "ACTOR", "CHANGES"});
    uint64_t since = a.since;
    size_t printed = 0;
    std::vector<ChangeSetInfo> page;
    const size_t limit = a.page.Size();
    while (limit == 0 || printed < limit) {
      size_t want = 1000;
      if (limit) want = std::min(want, limit - printed);
      ANNODB_RETURN_IF_ERROR(txn.ChangesSince(since, want, &page));
      if (page.empty()) break;
      for (const ChangeSetInfo& c : page) {
        if (ctx.json()) {
          json changes = json::array();
          for (const ChangeRun& r : c.changes)
            changes.push_back({{"kind", RecordKindName(r.kind)}, {"op", ChangeOpName(r.op)}, {"first_id", r.first_id},
                               {"last_id", r.last_id}});
          json j = {{"sequence", c.sequence}, {"time", FormatTime(c.time_us)}, {"time_us", c.time_us},
                    {"actor_kind", ActorKindName(c.actor_kind)}, {"actor", c.actor_name}, {"changes", changes}};
          if (c.job_id) j["job_id"] = c.job_id;
          PrintJson(j);
        } else {
          std::string actor = FormatActor(c.actor_kind, c.actor_name);
          if (c.job_id) actor += " job " + std::to_string(c.job_id);
          std::string what;
          for (const ChangeRun& r : c.changes) {
            if (!what.empty()) what += "; ";
            what += DescribeRun(r);
          }
          t.Add({std::to_string(c.sequence), FormatTime(c.time_us), actor, Ellipsize(what, 100)});
        }
        since = c.sequence;
        ++printed;
      }
      if (page.size() < want) break;
    }
    // Cut by --limit: is there a commit after the last one printed?
    if (limit && printed == limit) {
      ANNODB_RETURN_IF_ERROR(txn.ChangesSince(since, 1, &page));
      if (!page.empty()) next = std::to_string(since);
    }
    if (!ctx.json()) {
      if (printed == 0) PrintLine("no changes after sequence " + std::to_string(a.since));
      else t.Print();
    }
    return Status::OK();
  }));
  PrintMore(ctx, a.page, next);
}

json SnapshotJson(const SnapshotInfo& s) {
  return {{"name", s.name}, {"sequence", s.sequence}, {"created", FormatTime(s.created_us)}, {"created_us", s.created_us}};
}

void CmdSnapshotCreate(Context& ctx, const std::string& name) {
  SnapshotInfo info;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) { return txn.CreateSnapshot(name, &info); }));
  if (ctx.json()) PrintJson(SnapshotJson(info));
  else PrintLine("created snapshot " + info.name + " at sequence " + std::to_string(info.sequence));
}

void CmdSnapshotList(Context& ctx, const Page& page) {
  std::vector<SnapshotInfo> list;
  Check(Read(ctx.store(), [&](ReadTxn& txn) { return txn.ListSnapshots(&list); }));
  // In name order: the cursor is the last name printed.
  std::string next = TakePage<SnapshotInfo>(
      &list, page, [&](const SnapshotInfo& s) { return s.name > page.after; },
      [](const SnapshotInfo& s) { return s.name; });
  if (ctx.json()) {
    for (const SnapshotInfo& s : list) PrintJson(SnapshotJson(s));
  } else if (list.empty()) {
    PrintLine("no snapshots (create one with `annodb snapshot create NAME`)");
  } else {
    Table t({"NAME", "SEQUENCE", "CREATED"});
    for (const SnapshotInfo& s : list) t.Add({s.name, std::to_string(s.sequence), FormatTime(s.created_us)});
    t.Print();
  }
  PrintMore(ctx, page, next);
}

void CmdSnapshotDelete(Context& ctx, const std::string& name) {
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) { return txn.DeleteSnapshot(name); }));
  if (ctx.json()) PrintJson({{"name", name}, {"deleted", true}});
  else PrintLine("deleted snapshot " + name);
}

}  // namespace

void RegisterVersionCommands(CLI::App& app, Context& ctx) {
  auto l = std::make_shared<LogArgs>();
  CLI::App* log = AddCommand(&app, ctx, "log", "The changefeed: what each commit changed, oldest first");
  log->add_option("--since", l->since, "Only commits after sequence SEQ")->type_name("SEQ")->check(UnsignedArg());
  AddPageOptions(log, &l->page, 0, "sequence");
  log->callback([&ctx, l] { ctx.action = [&ctx, l] { CmdLog(ctx, *l); }; });
  log->group("Versions");

  CLI::App* group = AddCommand(&app, ctx, "snapshot", "Named points in the store's history for as-of reads");
  group->group("Versions");

  auto name = std::make_shared<std::string>();
  CLI::App* create = AddCommand(group, ctx, "create", "Name the current sequence number");
  create->add_option("NAME", *name, "Snapshot name (not all digits)")->required();
  create->callback([&ctx, name] { ctx.action = [&ctx, name] { CmdSnapshotCreate(ctx, *name); }; });

  auto snap_page = std::make_shared<Page>();
  CLI::App* list = AddCommand(group, ctx, "list", "List snapshots in name order");
  AddPageOptions(list, snap_page.get(), 0, "snapshot name", CursorKind::kText);
  list->callback([&ctx, snap_page] { ctx.action = [&ctx, snap_page] { CmdSnapshotList(ctx, *snap_page); }; });

  auto del_name = std::make_shared<std::string>();
  CLI::App* del = AddCommand(group, ctx, "delete", "Delete a snapshot (the versions it named stay)");
  del->add_option("NAME", *del_name, "Snapshot name")->required();
  del->callback([&ctx, del_name] { ctx.action = [&ctx, del_name] { CmdSnapshotDelete(ctx, *del_name); }; });
}

}  // namespace annodb::cli
