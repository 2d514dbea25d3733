// Commands on one asset: get, delete, history.
#include <memory>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "asset_ref.h"
#include "cli.h"
#include "output.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

struct GetArgs {
  AssetRef ref;
  std::string as_of;
};

void CmdGet(Context& ctx, GetArgs& a) {
  a.ref.Validate();
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(a.ref.Resolve(txn, &id));
    uint64_t as_of = kCurrent;
    if (!a.as_of.empty()) ANNODB_RETURN_IF_ERROR(ResolveAsOf(txn, a.as_of, &as_of));
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetAsset(txn, id, as_of, &v));
    DatasetNames names(txn);
    const std::string& ds = names.Get(v.As<fb::Asset>()->dataset_id());
    ANNODB_RETURN_IF_ERROR(names.status());
    if (ctx.json()) {
      PrintAssetJson(v, ds);
    } else {
      PrintAssetHuman(v, ds);
      if (as_of != kCurrent)
        PrintLine("  (as of sequence " + std::to_string(as_of) + (a.as_of == std::to_string(as_of) ? "" : ", snapshot " + a.as_of) +
                  "; the store is at " + std::to_string(txn.sequence()) + ")");
    }
    return Status::OK();
  }));
}

void CmdDelete(Context& ctx, AssetRef& ref) {
  ref.Validate();
  uint64_t id = 0, seq = 0, version = 0;
  Check(Write(ctx.store(), 
      ctx.actor(),
      [&](WriteTxn& txn) {
        ANNODB_RETURN_IF_ERROR(ref.Resolve(txn, &id));
        ANNODB_RETURN_IF_ERROR(DeleteAsset(txn, id));
        RecordView v;
        ANNODB_RETURN_IF_ERROR(txn.GetIncludingDeleted(RecordKind::Asset, id, &v));
        version = v.version();
        return Status::OK();
      },
      &seq));
  if (ctx.json()) PrintJson({{"id", id}, {"deleted", true}, {"version", version}, {"sequence", seq}});
  else PrintLine("deleted asset " + std::to_string(id) + " (version " + std::to_string(version) + ", sequence " +
                 std::to_string(seq) + "; its history stays readable)");
}

void CmdHistory(Context& ctx, AssetRef& ref) {
  ref.Validate();
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    uint64_t id = 0;
    ANNODB_RETURN_IF_ERROR(ref.Resolve(txn, &id));
    std::vector<RecordView> versions;
    ANNODB_RETURN_IF_ERROR(txn.History(RecordKind::Asset, id, &versions));
    DatasetNames names(txn);
    if (ctx.json()) {
      for (const RecordView& v : versions) PrintAssetJson(v, names.Get(v.As<fb::Asset>()->dataset_id()));
      return names.status();
    }
    if (!versions.empty()) {
      AssetInput last = DecodeAsset(versions.back().As<fb::Asset>());
      PrintLine("asset " + std::to_string(id) + "  dataset " + names.Get(versions.back().As<fb::Asset>()->dataset_id()) +
                "  external_id " + last.external_id + "  " + CountOf(versions.size(), "version", "versions"));
    }
    Table t({"VERSION", "SEQUENCE", "TIME", "ACTOR", "CHANGE"});
    AssetInput prev;
    bool prev_deleted = true;
    for (const RecordView& v : versions) {
      AssetInput cur = DecodeAsset(v.As<fb::Asset>());
      ProvenanceInfo p = v.DecodeProvenance();
      std::string change;
      if (v.deleted()) change = "deleted";
      else if (v.version() == 1) change = "created";
      else if (prev_deleted) change = "revived";
      else change = DescribeAssetChange(prev, cur);
      if (change.empty()) change = "no change";
      std::string actor = FormatActor(p.actor_kind, p.actor_name);
      if (!p.model_name.empty()) actor += " (" + p.model_name + (p.model_version.empty() ? "" : "@" + p.model_version) + ")";
      if (p.job_id) actor += " job " + std::to_string(p.job_id);
      t.Add({std::to_string(v.version()), std::to_string(v.sequence()), FormatTime(p.time_us), actor,
             change});
      prev = std::move(cur);
      prev_deleted = v.deleted();
    }
    t.Print();
    return names.status();
  }));
}

}  // namespace

void RegisterAssetCommands(CLI::App& app, Context& ctx) {
  auto g = std::make_shared<GetArgs>();
  CLI::App* get = AddCommand(&app, ctx, "get", "Show one asset (current, or as of a sequence number or snapshot)");
  g->ref.AddOptions(get);
  get->add_option("--as-of", g->as_of, "Read as of a sequence number (digits) or a named snapshot")
      ->type_name("SEQ|SNAPSHOT");
  get->callback([&ctx, g] { ctx.action = [&ctx, g] { CmdGet(ctx, *g); }; });
  get->group("Assets");

  RegisterUpdateCommand(app, ctx);

  auto d = std::make_shared<AssetRef>();
  CLI::App* del = AddCommand(&app, ctx, "delete", "Delete an asset (a tombstone version; history stays readable)");
  d->AddOptions(del);
  del->callback([&ctx, d] { ctx.action = [&ctx, d] { CmdDelete(ctx, *d); }; });
  del->group("Assets");

  auto h = std::make_shared<AssetRef>();
  CLI::App* hist = AddCommand(&app, ctx, "history", "Every version of an asset with its provenance, oldest first");
  h->AddOptions(hist);
  hist->callback([&ctx, h] { ctx.action = [&ctx, h] { CmdHistory(ctx, *h); }; });
  hist->group("Versions");
}

}  // namespace annodb::cli
