// Label commands: label import|import-ls|get|list|update|delete|history.
#include <fstream>
#include <memory>
#include <sstream>

#include "annodb/assets.h"
#include "annodb/label_json.h"
#include "annodb/labels.h"
#include "annodb/ls_import.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "asset_ref.h"
#include "cli.h"
#include "output.h"
#include "paging.h"

namespace annodb::cli {

using json = nlohmann::ordered_json;

namespace {

void PrintLabel(const ReadTxn& txn, const RecordView& v, bool as_json) {
  std::string text;
  Check(LabelToJson(txn, v, &text));
  if (as_json) {
    PrintJsonLine(text);
    return;
  }
  json j = ParseEngineJson(text);
  std::string who = j.contains("author") ? j["author"].get<std::string>()
                                         : j["model"]["name"].get<std::string>() + " " + j["model"]["version"].get<std::string>();
  PrintLine("label " + std::to_string(v.id()) + " on " + j["dataset"].get<std::string>() + "/" + j["asset"].get<std::string>() +
            " in " + j["project"].get<std::string>() + " by " + who + " (" + j["source"].get<std::string>() + ", " +
            j["status"].get<std::string>() + ", version " + std::to_string(v.version()) + (v.deleted() ? ", deleted" : "") + ")");
  for (const auto& a : j["annotations"]) {
    json rest = a;
    rest.erase("feature");
    PrintLine("  " + a["feature"].get<std::string>() + ": " + rest.dump());
  }
}

void CmdImport(Context& ctx, const std::string& path, size_t batch) {
  LabelImportReport r;
  Check(ImportLabelsJsonl(ctx.store(), path, ctx.actor(), batch, &r));
  if (ctx.json())
    PrintJson({{"lines", r.lines}, {"created", r.created}, {"updated", r.updated}, {"unchanged", r.unchanged},
               {"job_id", r.job_id}, {"batches", r.batches}});
  else
    PrintLine("imported " + CountOf(r.lines, "label", "labels") + ": " + std::to_string(r.created) + " created, " +
              std::to_string(r.updated) + " updated, " + std::to_string(r.unchanged) + " unchanged (" +
              (r.job_id ? "job " + std::to_string(r.job_id) : std::string("nothing written, no job")) + ")");
}

void CmdImportLs(Context& ctx, const std::string& path, const LsImportOptions& o) {
  LsImportReport r;
  Check(ImportLabelStudio(ctx.store(), path, ctx.actor(), o, &r));
  json skipped = json::object();
  for (const auto& [type, n] : r.skipped_types) skipped[type] = n;
  if (ctx.json()) {
    PrintJson({{"tasks", r.tasks}, {"assets_created", r.assets_created}, {"labels", r.labels},
               {"predictions", r.predictions}, {"earlier_versions", r.earlier_versions}, {"unchanged", r.unchanged},
               {"members_created", r.members_created}, {"default_author_used", r.default_author_used},
               {"cancelled_skipped", r.cancelled_skipped}, {"results_skipped", r.results_skipped},
               {"skipped_types", skipped}, {"boxes_clamped", r.boxes_clamped}, {"project_created", r.project_created}});
    return;
  }
  PrintLine("imported " + std::to_string(r.tasks) + " Label Studio tasks into project " + o.project +
            (r.project_created ? " (created, ontology inferred)" : "") + ": " + std::to_string(r.assets_created) +
            " new assets, " + std::to_string(r.labels) + " labels, " + std::to_string(r.predictions) + " predictions, " +
            std::to_string(r.unchanged) + " unchanged, " + std::to_string(r.members_created) + " new members");
  if (r.earlier_versions)
    PrintLine("  kept " + std::to_string(r.earlier_versions) + " annotations as earlier versions of a label by the same author");
  if (r.default_author_used)
    PrintLine("  " + std::to_string(r.default_author_used) + " annotations without completed_by are by " +
              (o.default_author.empty() ? std::string("ls-unknown-author") : o.default_author));
  if (r.boxes_clamped) PrintLine("  clamped " + std::to_string(r.boxes_clamped) + " boxes to the image");
  if (r.cancelled_skipped) PrintLine("  skipped " + std::to_string(r.cancelled_skipped) + " cancelled annotations");
  if (r.results_skipped) PrintLine("  skipped " + std::to_string(r.results_skipped) + " results of unsupported types " + skipped.dump());
}

void CmdGet(Context& ctx, uint64_t id, const std::string& as_of_text) {
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    uint64_t as_of = kCurrent;
    if (!as_of_text.empty()) ANNODB_RETURN_IF_ERROR(ResolveAsOf(txn, as_of_text, &as_of));
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetLabel(txn, id, as_of, &v));
    PrintLabel(txn, v, ctx.json());
    return Status::OK();
  }));
}

struct ListArgs {
  std::string project, dataset, asset, author, status;
  Page page;  // --after LABEL_ID, --limit (default 100)
};

void CmdList(Context& ctx, const ListArgs& a) {
  std::string next;
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    LabelFilter f;
    ANNODB_RETURN_IF_ERROR(FindProject(txn, a.project, &f.project_id));
    if (!a.asset.empty()) {
      if (a.dataset.empty()) return Status::InvalidArgument("--asset needs --dataset");
      uint64_t ds = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(txn, a.dataset, &ds));
      ANNODB_RETURN_IF_ERROR(FindAsset(txn, ds, a.asset, &f.asset_id));
    }
    if (!a.author.empty()) ANNODB_RETURN_IF_ERROR(FindMember(txn, a.author, &f.author_member_id));
    if (!a.status.empty()) {
      LabelStatus s;
      if (!ParseLabelStatus(a.status, &s)) return Status::InvalidArgument("--status must be draft, submitted, accepted or rejected");
      f.status = s;
    }
    // One row more than the page tells whether the list goes on.
    std::vector<uint64_t> ids;
    ANNODB_RETURN_IF_ERROR(ListLabels(txn, f, a.page.AfterId(), a.page.Size() + 1, &ids));
    if (ids.size() > a.page.Size()) {
      ids.resize(a.page.Size());
      next = std::to_string(ids.back());
    }
    if (!ctx.json() && ids.empty()) PrintLine("no labels");
    for (uint64_t id : ids) {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(GetLabel(txn, id, kCurrent, &v));
      PrintLabel(txn, v, ctx.json());
    }
    return Status::OK();
  }));
  PrintMore(ctx, a.page, next);
}

void CmdUpdate(Context& ctx, uint64_t id, const std::string& file, const std::string& status) {
  std::vector<AnnotationInput> anns;
  bool new_annotations = !file.empty();
  if (new_annotations) Check(ParseAnnotationsJson(ReadInputFile(file), &anns), InputName(file));
  if (!new_annotations && status.empty()) UsageError("give --annotations FILE and/or --status");
  PutOutcome o = PutOutcome::kUnchanged;
  uint64_t seq = 0;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(GetLabel(txn, id, kCurrent, &v));
    LabelInput l = DecodeLabel(v.As<fb::Label>());
    if (new_annotations) l.annotations = anns;
    if (!status.empty() && !ParseLabelStatus(status, &l.status))
      return Status::InvalidArgument("--status must be draft, submitted, accepted or rejected");
    return UpdateLabel(txn, id, l, &o);
  }, &seq));
  if (ctx.json()) PrintJson({{"id", id}, {"changed", o != PutOutcome::kUnchanged}, {"sequence", seq}});
  else PrintLine(o == PutOutcome::kUnchanged ? "label " + std::to_string(id) + " unchanged"
                                             : "updated label " + std::to_string(id) + " (sequence " + std::to_string(seq) + ")");
}

void CmdDelete(Context& ctx, uint64_t id) {
  uint64_t seq = 0;
  Check(Write(ctx.store(), ctx.actor(), [&](WriteTxn& txn) { return DeleteLabel(txn, id); }, &seq));
  if (ctx.json()) PrintJson({{"id", id}, {"deleted", true}, {"sequence", seq}});
  else PrintLine("deleted label " + std::to_string(id) + " (sequence " + std::to_string(seq) + "; its history stays readable)");
}

void CmdHistory(Context& ctx, uint64_t id) {
  Check(Read(ctx.store(), [&](ReadTxn& txn) {
    std::vector<RecordView> versions;
    ANNODB_RETURN_IF_ERROR(txn.History(RecordKind::Label, id, &versions));
    for (const RecordView& v : versions) {
      ProvenanceInfo p = v.DecodeProvenance();
      if (ctx.json()) {
        std::string text;
        ANNODB_RETURN_IF_ERROR(LabelToJson(txn, v, &text));
        PrintJsonLine(text);
      } else {
        PrintLine("version " + std::to_string(v.version()) + "  sequence " + std::to_string(v.sequence()) + "  " +
                  FormatTime(p.time_us) + "  " + DescribeProvenance(p) + (v.deleted() ? "  (deleted)" : ""));
      }
    }
    return Status::OK();
  }));
}

}  // namespace

void RegisterLabelCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(&app, ctx, "label", "Import, read, list, change and delete labels");
  group->group("Labels");

  struct ImportArgs {
    std::string path;
    size_t batch = 10000;
  };
  auto i = std::make_shared<ImportArgs>();
  CLI::App* imp = AddCommand(group, ctx, "import", "Import labels and predictions from JSON Lines (all or nothing)");
  imp->add_option("FILE", i->path, "JSON Lines file, or - for standard input")->required();
  imp->add_option("--batch", i->batch, "Labels per commit")->capture_default_str()->check(UnsignedArg(1));
  imp->callback([&ctx, i] { ctx.action = [&ctx, i] { CmdImport(ctx, i->path, i->batch); }; });

  struct LsArgs {
    std::string path, same_author = "refuse";
    LsImportOptions o;
  };
  auto ls = std::make_shared<LsArgs>();
  CLI::App* ils = AddCommand(group, ctx, "import-ls", "Import a Label Studio JSON export (tasks, annotations, predictions)");
  ils->add_option("FILE", ls->path, "Label Studio JSON export")->required();
  ils->add_option("--project", ls->o.project, "Project (created with an inferred ontology when missing)")->required();
  ils->add_option("--dataset", ls->o.dataset, "Dataset for the tasks (created when missing)")->required();
  ils->add_option("--data-key", ls->o.data_key,
                  "Task data key holding the asset URI (default: the key the results' to_name points at)");
  ils->add_option("--external-id-key", ls->o.external_id_key, "Task data key holding the external id (default: ls-<task id>)");
  ils->add_option("--default-author", ls->o.default_author,
                  "Member for annotations without completed_by (default: ls-unknown-author)")->type_name("NAME");
  CLI::Option* clamp = ils->add_flag("--clamp-boxes", ls->o.clamp_boxes,
                                     "Clamp boxes at most --clamp-tolerance percent outside the image (counted)");
  ils->add_option("--clamp-tolerance", ls->o.clamp_tolerance_percent,
                  "Percent of the image's width/height a box may overshoot with --clamp-boxes (0..10]")
      ->capture_default_str()->needs(clamp)->type_name("PERCENT")->check(CLI::Range(0.0, 10.0));
  ils->add_option("--same-author", ls->same_author,
                  "Several annotations by one author on a task: refuse, or keep them as versions of one label")
      ->check(CLI::IsMember({"refuse", "versions"}))->capture_default_str();
  ils->callback([&ctx, ls] {
    ls->o.same_author = ls->same_author == "versions" ? LsSameAuthor::kVersions : LsSameAuthor::kRefuse;
    ctx.action = [&ctx, ls] { CmdImportLs(ctx, ls->path, ls->o); };
  });

  struct GetArgs {
    std::string id, as_of;
  };
  auto g = std::make_shared<GetArgs>();
  CLI::App* get = AddCommand(group, ctx, "get", "Show a label");
  get->add_option("ID", g->id, "Label id")->required();
  get->add_option("--as-of", g->as_of, "Read as of a sequence number or snapshot")->type_name("SEQ|SNAPSHOT");
  get->callback([&ctx, g] { ctx.action = [&ctx, g] { CmdGet(ctx, ParseId(g->id, "label id"), g->as_of); }; });

  auto l = std::make_shared<ListArgs>();
  CLI::App* list = AddCommand(group, ctx, "list", "List a project's labels (by asset, author or status)");
  list->add_option("--project", l->project, "Project")->required();
  list->add_option("--dataset", l->dataset, "Dataset of --asset");
  list->add_option("--asset", l->asset, "Asset external id");
  list->add_option("--author", l->author, "Member name");
  list->add_option("--status", l->status, "draft, submitted, accepted or rejected");
  AddPageOptions(list, &l->page, 100, "label id");
  list->callback([&ctx, l] { ctx.action = [&ctx, l] { CmdList(ctx, *l); }; });

  struct UpdateArgs {
    std::string id, file, status;
  };
  auto u = std::make_shared<UpdateArgs>();
  CLI::App* upd = AddCommand(group, ctx, "update", "Write a new version of a label");
  upd->add_option("ID", u->id, "Label id")->required();
  upd->add_option("--annotations", u->file, "JSON file with the new annotations array (- = stdin)")->type_name("FILE");
  upd->add_option("--status", u->status, "draft, submitted, accepted or rejected");
  upd->callback([&ctx, u] { ctx.action = [&ctx, u] { CmdUpdate(ctx, ParseId(u->id, "label id"), u->file, u->status); }; });

  auto d = std::make_shared<std::string>();
  CLI::App* del = AddCommand(group, ctx, "delete", "Delete a label (a tombstone version)");
  del->add_option("ID", *d, "Label id")->required();
  del->callback([&ctx, d] { ctx.action = [&ctx, d] { CmdDelete(ctx, ParseId(*d, "label id")); }; });

  auto h = std::make_shared<std::string>();
  CLI::App* hist = AddCommand(group, ctx, "history", "Every version of a label with its provenance");
  hist->add_option("ID", *h, "Label id")->required();
  hist->callback([&ctx, h] { ctx.action = [&ctx, h] { CmdHistory(ctx, ParseId(*h, "label id")); }; });
}

}  // namespace annodb::cli
