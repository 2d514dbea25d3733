// Dataset commands: dataset create NAME [--description D], dataset list.
#include <memory>

#include "annodb/assets.h"
#include "cli.h"
#include "output.h"
#include "paging.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

json DatasetJson(const DatasetInfo& d) {
  return {{"id", d.id}, {"name", d.name}, {"description", d.description}, {"version", d.version},
          {"sequence", d.sequence}};
}

void CmdCreate(Context& ctx, const std::string& name, const std::string& description) {
  uint64_t id = 0;
  DatasetInfo info;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    ANNODB_RETURN_IF_ERROR(CreateDataset(txn, name, description, &id));
    return GetDataset(txn, id, &info);
  }));
  if (ctx.json()) PrintJson(DatasetJson(info));
  else PrintLine("created dataset " + info.name + " (id " + std::to_string(id) + ", sequence " +
                 std::to_string(info.sequence) + ")");
}

void CmdList(Context& ctx, const Page& page) {
  std::vector<DatasetInfo> list;
  Check(Read(ctx.store(), [&](ReadTxn& txn) { return ListDatasets(txn, &list); }));
  std::string next = TakeIdPage<DatasetInfo>(&list, page, [](const DatasetInfo& d) { return d.id; });
  if (ctx.json()) {
    for (const DatasetInfo& d : list) PrintJson(DatasetJson(d));
  } else if (list.empty()) {
    PrintLine("no datasets (create one with `annodb dataset create NAME`)");
  } else {
    Table t({"ID", "NAME", "VERSION", "SEQUENCE", "DESCRIPTION"});
    for (const DatasetInfo& d : list)
      t.Add({std::to_string(d.id), d.name, std::to_string(d.version), std::to_string(d.sequence),
             Ellipsize(d.description, 60)});
    t.Print();
  }
  PrintMore(ctx, page, next);
}

}  // namespace

void RegisterDatasetCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(&app, ctx, "dataset", "Create and list datasets");
  group->group("Assets");

  struct CreateArgs {
    std::string name, description;
  };
  auto c = std::make_shared<CreateArgs>();
  CLI::App* create = AddCommand(group, ctx, "create", "Create a dataset");
  create->add_option("NAME", c->name, "Dataset name (unique in the store)")->required();
  create->add_option("--description,-d", c->description, "What the dataset holds")->type_name("TEXT");
  create->callback([&ctx, c] { ctx.action = [&ctx, c] { CmdCreate(ctx, c->name, c->description); }; });

  auto page = std::make_shared<Page>();
  CLI::App* list = AddCommand(group, ctx, "list", "List datasets in id order");
  AddPageOptions(list, page.get(), 0, "dataset id");
  list->callback([&ctx, page] { ctx.action = [&ctx, page] { CmdList(ctx, *page); }; });
}

}  // namespace annodb::cli
