// Commands that find assets: list (a dataset in pages), find --hash, duplicates.
#include <memory>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/keys.h"
#include "cli.h"
#include "output.h"
#include "paging.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

// Prints assets as a table (people) or one JSON object per line.
class AssetPrinter {
 public:
  AssetPrinter(Context& ctx, const ReadTxn& txn) : json_(ctx.json()), names_(txn), table_({"ID", "DATASET", "EXTERNAL_ID", "MEDIA_TYPE", "VERSION", "URI"}) {}
  void Add(const RecordView& v) {
    const fb::Asset* a = v.As<fb::Asset>();
    const std::string& ds = names_.Get(a->dataset_id());
    if (json_) {
      PrintAssetJson(v, ds);
      return;
    }
    auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
    table_.Add({std::to_string(v.id()), ds, str(a->external_id()), str(a->media_type()), std::to_string(v.version()),
                Ellipsize(str(a->uri()), 80)});
  }
  // A damaged dataset record met while naming datasets (DatasetNames).
  const Status& status() const { return names_.status(); }
  // Prints the table (people); returns the number of rows.
  size_t Finish() {
    if (!json_ && table_.rows() > 0) table_.Print();
    return table_.rows();
  }

 private:
  bool json_;
  DatasetNames names_;
  Table table_;
};

struct ListArgs {
  std::string dataset;
  Page page;  // --after EXTERNAL_ID, --limit (default: all)
};

void CmdList(Context& ctx, const ListArgs& a) {
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    uint64_t ds = 0;
    ANNODB_RETURN_IF_ERROR(FindDataset(txn, a.dataset, &ds));
    AssetPrinter printer(ctx, txn);
    std::string after = a.page.after, next;
    size_t printed = 0;
    std::vector<uint64_t> ids;
    // Without --limit the whole dataset is listed, a page at a time.
    do {
      size_t page = a.page.limit ? a.page.limit : 1000;
      ANNODB_RETURN_IF_ERROR(ListAssets(txn, ds, after, page, &ids, &next));
      for (uint64_t id : ids) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(txn.Get(RecordKind::Asset, id, &v));
        printer.Add(v);
        ++printed;
      }
      after = next;
    } while (!next.empty() && a.page.limit == 0);
    printer.Finish();
    ANNODB_RETURN_IF_ERROR(printer.status());
    if (!ctx.json() && printed == 0)
      PrintLine("no assets in dataset '" + a.dataset + "'" + (a.page.after.empty() ? "" : " after '" + a.page.after + "'"));
    PrintMore(ctx, a.page, next);
    return Status::OK();
  }));
}

void CmdFind(Context& ctx, const std::string& hex) {
  Hash128 hash;
  if (!Hash128::FromHex(hex, &hash)) UsageError("--hash '" + hex + "' is not 32 hexadecimal digits");
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(FindAssetsByHash(txn, hash, &ids));
    AssetPrinter printer(ctx, txn);
    for (uint64_t id : ids) {
      RecordView v;
      Status s = txn.Get(RecordKind::Asset, id, &v);
      if (s.IsNotFound()) continue;
      ANNODB_RETURN_IF_ERROR(s);
      printer.Add(v);
    }
    if (printer.Finish() == 0 && !ctx.json()) PrintLine("no asset has content hash " + hash.Hex());
    return printer.status();
  }));
}

void CmdDuplicates(Context& ctx, const std::string& dataset) {
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    uint64_t ds = 0;
    if (!dataset.empty()) ANNODB_RETURN_IF_ERROR(FindDataset(txn, dataset, &ds));
    DatasetNames names(txn);
    size_t groups = 0, assets = 0;
    std::string group_key;
    std::vector<uint64_t> group;
    Status inner;
    auto flush = [&]() -> Status {
      std::vector<std::pair<uint64_t, RecordView>> live;
      for (uint64_t id : group) {
        RecordView v;
        Status s = txn.Get(RecordKind::Asset, id, &v);
        if (s.IsNotFound()) continue;
        ANNODB_RETURN_IF_ERROR(s);
        if (ds != 0 && v.As<fb::Asset>()->dataset_id() != ds) continue;
        live.emplace_back(id, std::move(v));
      }
      group.clear();
      if (live.size() < 2) return Status::OK();
      ++groups;
      assets += live.size();
      Hash128 h;
      h.hi = DecodeU64(group_key.data());
      h.lo = DecodeU64(group_key.data() + 8);
      auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
      if (ctx.json()) {
        json list = json::array();
        for (const auto& [id, v] : live) {
          const fb::Asset* a = v.As<fb::Asset>();
          list.push_back({{"id", id}, {"dataset", names.Get(a->dataset_id())}, {"external_id", str(a->external_id())},
                          {"uri", str(a->uri())}});
        }
        PrintJson({{"content_hash", h.Hex()}, {"count", live.size()}, {"assets", list}});
        return names.status();
      }
      PrintLine(h.Hex() + "  " + std::to_string(live.size()) + " assets");
      Table t({"    ID", "DATASET", "EXTERNAL_ID", "URI"});
      for (const auto& [id, v] : live) {
        const fb::Asset* a = v.As<fb::Asset>();
        t.Add({"    " + std::to_string(id), names.Get(a->dataset_id()), str(a->external_id()), Ellipsize(str(a->uri()), 80)});
      }
      t.Print();
      return names.status();
    };
    ANNODB_RETURN_IF_ERROR(txn.IndexScan(Index::kAssetByHash, "", "", [&](std::string_view key, std::string_view) {
      if (key.size() != 24) return true;
      if (key.substr(0, 16) != group_key) {
        inner = flush();
        if (!inner.ok()) return false;
        group_key.assign(key.substr(0, 16));
      }
      group.push_back(DecodeU64(key.data() + 16));
      return true;
    }));
    ANNODB_RETURN_IF_ERROR(inner);
    if (!group.empty()) ANNODB_RETURN_IF_ERROR(flush());
    if (!ctx.json()) {
      if (groups == 0) PrintLine("no duplicates" + (dataset.empty() ? std::string() : " in dataset '" + dataset + "'"));
      else PrintLine(std::to_string(groups) + " content hashes shared by " + std::to_string(assets) + " assets");
    }
    return Status::OK();
  }));
}

}  // namespace

void RegisterQueryCommands(CLI::App& app, Context& ctx) {
  auto l = std::make_shared<ListArgs>();
  CLI::App* list = AddCommand(&app, ctx, "list", "List a dataset's assets in external-id order");
  list->add_option("--dataset", l->dataset, "Dataset to list")->type_name("NAME")->required();
  AddPageOptions(list, &l->page, 0, "external id", CursorKind::kText);
  list->callback([&ctx, l] { ctx.action = [&ctx, l] { CmdList(ctx, *l); }; });
  list->group("Assets");

  auto hash = std::make_shared<std::string>();
  CLI::App* find = AddCommand(&app, ctx, "find", "Find assets by content hash");
  find->add_option("--hash", *hash, "Content hash: 32 hexadecimal digits (xxh3-128)")->type_name("HEX")->required();
  find->callback([&ctx, hash] { ctx.action = [&ctx, hash] { CmdFind(ctx, *hash); }; });
  find->group("Assets");

  auto ds = std::make_shared<std::string>();
  CLI::App* dup = AddCommand(&app, ctx, "duplicates", "Groups of assets with the same content hash");
  dup->add_option("--dataset", *ds, "Only assets of this dataset")->type_name("NAME");
  dup->callback([&ctx, ds] { ctx.action = [&ctx, ds] { CmdDuplicates(ctx, *ds); }; });
  dup->group("Assets");
}

}  // namespace annodb::cli
