// The C ABI: labels (put, update, delete, get, history, list) and label
// imports (JSON Lines, Label Studio).
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "annodb/assets.h"
#include "annodb/json_input.h"
#include "annodb/label_json.h"
#include "annodb/labels.h"
#include "annodb/ls_import.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "internal.h"

namespace annodb::capi {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr size_t kLabelFilterSizeV1 = sizeof(annodb_label_filter);
constexpr size_t kDefaultLabelBatchRows = 20000;


void GiveOutcome(PutOutcome o, int* outcome) {
  if (outcome) *outcome = static_cast<int>(o);
}

// An input file: NotFound when there is none (standard input, "-", is
// always there), so callers can tell a wrong path from an unreadable file.
Status RequireInputFile(const char* path) {
  ANNODB_RETURN_IF_ERROR(RequireString(path, "path"));
  if (*path == '\0') return Status::InvalidArgument("path is empty");
  if (std::strcmp(path, "-") == 0) return Status::OK();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return Status::NotFound("no file '" + std::string(path) + "'");
  return Status::OK();
}

// Parses a JSON object argument.
Status ParseObject(const char* text, const char* what, json* out) {
  std::string_view sv(text);
  ANNODB_RETURN_IF_ERROR(CheckJsonInput(sv).WithContext(what));
  *out = json::parse(sv.begin(), sv.end(), nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) return Status::InvalidArgument(std::string(what) + " is not valid JSON");
  if (!out->is_object()) return Status::InvalidArgument(std::string(what) + " must be a JSON object");
  return Status::OK();
}

// Applies an update object to the current label `cur` (rendered as
// `cur_json` for the identity checks).
Status ApplyLabelUpdate(const json& upd, const json& cur_json, LabelInput* l) {
  for (auto it = upd.begin(); it != upd.end(); ++it) {
    const std::string& k = it.key();
    const json& v = *it;
    if (k == "annotations") {
      ANNODB_RETURN_IF_ERROR(ParseAnnotationsJson(v.dump(), &l->annotations));
    } else if (k == "status") {
      if (!v.is_string() || !ParseLabelStatus(v.get<std::string>(), &l->status))
        return Status::InvalidArgument("status: expected draft, submitted, accepted or rejected");
    } else if (k == "time_spent_ms") {
      if (!v.is_number_unsigned()) return Status::InvalidArgument("time_spent_ms: expected a non-negative integer");
      l->time_spent_ms = v.get<uint64_t>();
    } else if (k == "project" || k == "dataset" || k == "asset" || k == "author" || k == "source" || k == "model") {
      // Identity: may be repeated, not changed.
      json have = cur_json.contains(k) ? cur_json[k] : json();
      if (v != have)
        return Status::InvalidArgument("\"" + k + "\" cannot change: the label's is " +
                                       (have.is_null() ? std::string("not set") : have.dump()) +
                                       " (put a new label instead)");
    } else if (k == "id" || k == "project_id" || k == "asset_id" || k == "version" || k == "sequence" ||
               k == "deleted" || k == "provenance" || k == "lease_id") {
      // Output-only fields: ignored, so an edited get output can be passed back.
    } else {
      return Status::InvalidArgument(k + ": unknown key (an update takes annotations, status and time_spent_ms)");
    }
  }
  return Status::OK();
}

// Renders the labels `ids` (current versions) as a JSON array.
Status LabelsJson(const ReadTxn& t, const std::vector<uint64_t>& ids, std::string* text) {
  *text = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    RecordView v;
    ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Label, ids[i], &v));
    std::string one;
    ANNODB_RETURN_IF_ERROR(LabelToJson(t, v, &one));
    if (i) *text += ',';
    *text += one;
  }
  *text += ']';
  return Status::OK();
}

struct FilterArgs {
  std::string project;
  uint64_t asset_id = 0;
  std::string dataset, external_id, author, status;
  bool by_name = false, by_author = false, by_status = false;
};

Status ToFilterArgs(const char* project, const annodb_label_filter* f, FilterArgs* out) {
  ANNODB_RETURN_IF_ERROR(RequireString(project, "project name"));
  out->project = project;
  if (f == nullptr) return Status::OK();
  ANNODB_RETURN_IF_ERROR(
      CheckStructSize(f, f->struct_size, kLabelFilterSizeV1, sizeof(annodb_label_filter), "annodb_label_filter"));
  out->asset_id = f->asset_id;
  if (f->external_id != nullptr) {
    if (f->dataset == nullptr)
      return Status::InvalidArgument("filter.external_id needs filter.dataset (the asset's dataset)");
    out->by_name = true;
    out->dataset = f->dataset;
    out->external_id = f->external_id;
  } else if (f->dataset != nullptr) {
    return Status::InvalidArgument("filter.dataset needs filter.external_id (labels are listed by asset)");
  }
  if (f->author != nullptr) {
    out->by_author = true;
    out->author = f->author;
  }
  if (f->status != nullptr) {
    out->by_status = true;
    out->status = f->status;
  }
  return Status::OK();
}

Status ResolveFilter(const ReadTxn& t, const FilterArgs& a, LabelFilter* f) {
  ANNODB_RETURN_IF_ERROR(FindProject(t, a.project, &f->project_id));
  f->asset_id = a.asset_id;
  if (a.by_name) {
    uint64_t ds = 0, asset = 0;
    ANNODB_RETURN_IF_ERROR(FindDataset(t, a.dataset, &ds));
    ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, a.external_id, &asset));
    if (f->asset_id && f->asset_id != asset)
      return Status::InvalidArgument("filter.asset_id " + std::to_string(f->asset_id) + " and '" + a.external_id +
                                     "' in '" + a.dataset + "' (asset " + std::to_string(asset) +
                                     ") are different assets");
    f->asset_id = asset;
  }
  if (a.by_author) ANNODB_RETURN_IF_ERROR(FindMember(t, a.author, &f->author_member_id));
  if (a.by_status) {
    LabelStatus st;
    if (!ParseLabelStatus(a.status, &st))
      return Status::InvalidArgument("filter.status '" + a.status +
                                     "' is not one of draft, submitted, accepted, rejected");
    f->status = st;
  }
  return Status::OK();
}

}  // namespace
}  // namespace annodb::capi

using namespace annodb;
using namespace annodb::capi;

namespace {

constexpr size_t kLsImportOptionsSizeV1 = sizeof(annodb_ls_import_options);

// The Label Studio import behind both entry points; `extended` adds the
// report fields of annodb_label_studio_import_opts.
Status RunLsImport(Store& s, const char* path, const LsImportOptions& o, const annodb_actor* actor, bool extended,
                   char** report_json, size_t* report_len) {
  ANNODB_RETURN_IF_ERROR(RequireInputFile(path));
  if (std::strcmp(path, "-") == 0)
    return Status::InvalidArgument("path: a Label Studio export is read from a file, not standard input");
  Actor a;
  ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
  LsImportReport r;
  ANNODB_RETURN_IF_ERROR(ImportLabelStudio(s, path, a, o, &r));
  if (!report_json) return Status::OK();
  ojson skipped = ojson::object();
  for (const auto& [type, n] : r.skipped_types) skipped[type] = n;
  ojson j{{"tasks", r.tasks},
          {"assets_created", r.assets_created},
          {"labels", r.labels},
          {"predictions", r.predictions},
          {"unchanged", r.unchanged},
          {"members_created", r.members_created},
          {"cancelled_skipped", r.cancelled_skipped},
          {"results_skipped", r.results_skipped},
          {"project_created", r.project_created},
          {"skipped_types", std::move(skipped)}};
  if (extended) {
    j["earlier_versions"] = r.earlier_versions;
    j["default_author_used"] = r.default_author_used;
    j["boxes_clamped"] = r.boxes_clamped;
  }
  GiveText(Dump(j), report_json, report_len);
  return Status::OK();
}

}  // namespace

extern "C" {

ANNODB_EXPORT int annodb_label_put_json(annodb_store* store, const char* json_text, const annodb_actor* actor,
                                        uint64_t* id, int* outcome) {
  if (id) *id = 0;
  if (outcome) *outcome = 0;
  return Run(store, "annodb_label_put_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(json_text, "json"));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    std::string_view text(json_text);
    uint64_t label_id = 0;
    PutOutcome o = PutOutcome::kUnchanged;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
      LabelInput l;
      ANNODB_RETURN_IF_ERROR(ParseLabelJson(t, text, &l));
      return PutLabel(t, std::move(l), &label_id, &o);
    }));
    if (id) *id = label_id;
    GiveOutcome(o, outcome);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_label_update_json(annodb_store* store, uint64_t id, const char* json_text,
                                           const annodb_actor* actor, int* outcome) {
  if (outcome) *outcome = 0;
  return Run(store, "annodb_label_update_json", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(json_text, "json"));
    json upd;
    ANNODB_RETURN_IF_ERROR(ParseObject(json_text, "the label update", &upd));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    PutOutcome o = PutOutcome::kUnchanged;
    ANNODB_RETURN_IF_ERROR(s.Write(a, [&](WriteTxn& t) -> Status {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Label, id, &v));
      std::string cur_text;
      ANNODB_RETURN_IF_ERROR(LabelToJson(t, v, &cur_text));
      LabelInput l = DecodeLabel(v.As<fb::Label>());
      ANNODB_RETURN_IF_ERROR(ApplyLabelUpdate(upd, json::parse(cur_text), &l));
      return UpdateLabel(t, id, std::move(l), &o);
    }));
    GiveOutcome(o, outcome);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_label_delete(annodb_store* store, uint64_t id, const annodb_actor* actor) {
  return Run(store, "annodb_label_delete", [&](Store& s) -> Status {
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    return s.Write(a, [&](WriteTxn& t) { return DeleteLabel(t, id); });
  });
}

ANNODB_EXPORT int annodb_label_get(annodb_store* store, uint64_t id, uint64_t as_of, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_label_get", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      RecordView v;
      ANNODB_RETURN_IF_ERROR(GetLabel(t, id, as_of, &v));
      return LabelToJson(t, v, &text);
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_label_history(annodb_store* store, uint64_t id, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_label_history", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      std::vector<RecordView> versions;
      ANNODB_RETURN_IF_ERROR(t.History(RecordKind::Label, id, &versions));
      if (versions.empty()) return Status::NotFound("label " + std::to_string(id) + " does not exist");
      text = "[";
      for (size_t i = 0; i < versions.size(); ++i) {
        std::string one;
        ANNODB_RETURN_IF_ERROR(LabelToJson(t, versions[i], &one));
        if (i) text += ',';
        text += one;
      }
      text += ']';
      return Status::OK();
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_label_filter_init(annodb_label_filter* filter, size_t struct_size) {
  try {
    if (filter == nullptr) return SetThreadError(ANNODB_INVALID_ARGUMENT, "annodb_label_filter_init: filter is NULL");
    if (struct_size < kLabelFilterSizeV1 || struct_size > kMaxStructSize)
      return SetThreadError(ANNODB_INVALID_ARGUMENT,
                            "annodb_label_filter_init: struct_size " + std::to_string(struct_size) +
                                " is not a size of annodb_label_filter (pass sizeof(annodb_label_filter))");
    std::memset(filter, 0, struct_size);
    filter->struct_size = struct_size;
    return ANNODB_OK;
  } catch (...) {
    return InternalError(nullptr, "annodb_label_filter_init", "unknown exception");
  }
}

ANNODB_EXPORT int annodb_label_list(annodb_store* store, const char* project, const annodb_label_filter* filter,
                                    uint64_t after, size_t limit, char** out, size_t* out_len) {
  ResetOut(out, out_len);
  return Run(store, "annodb_label_list", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireOut(out));
    FilterArgs args;
    ANNODB_RETURN_IF_ERROR(ToFilterArgs(project, filter, &args));
    std::string text;
    ANNODB_RETURN_IF_ERROR(s.Read([&](ReadTxn& t) -> Status {
      LabelFilter f;
      ANNODB_RETURN_IF_ERROR(ResolveFilter(t, args, &f));
      // One label more than the page tells whether the list goes on.
      const size_t page = limit ? limit : 1000;
      std::vector<uint64_t> ids;
      Status ls = ListLabels(t, f, after, page + 1, &ids);
      if (ls.IsNotFound() && after)
        return Status::NotFound("after: label " + std::to_string(after) + " does not exist");
      ANNODB_RETURN_IF_ERROR(ls);
      std::string next = "null";
      if (ids.size() > page) {
        ids.resize(page);
        next = std::to_string(ids.back());
      }
      std::string items;
      ANNODB_RETURN_IF_ERROR(LabelsJson(t, ids, &items));
      text = "{\"items\":" + items + ",\"next\":" + next + "}";
      return Status::OK();
    }));
    GiveText(text, out, out_len);
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_label_import_jsonl(annodb_store* store, const char* path, size_t batch_rows,
                                            const annodb_actor* actor, char** report_json, size_t* report_len) {
  ResetOut(report_json, report_len);
  return Run(store, "annodb_label_import_jsonl", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireInputFile(path));
    Actor a;
    ANNODB_RETURN_IF_ERROR(ToActor(actor, Actor::System(), &a));
    LabelImportReport r;
    ANNODB_RETURN_IF_ERROR(ImportLabelsJsonl(s, path, a, batch_rows ? batch_rows : kDefaultLabelBatchRows, &r));
    if (report_json) {
      ojson j{{"lines", r.lines},         {"created", r.created}, {"updated", r.updated},
              {"unchanged", r.unchanged}, {"job_id", r.job_id},   {"batches", r.batches}};
      GiveText(Dump(j), report_json, report_len);
    }
    return Status::OK();
  });
}

ANNODB_EXPORT int annodb_label_studio_import(annodb_store* store, const char* path, const char* project,
                                             const char* dataset, const char* data_key, const char* external_id_key,
                                             const annodb_actor* actor, char** report_json, size_t* report_len) {
  ResetOut(report_json, report_len);
  return Run(store, "annodb_label_studio_import", [&](Store& s) -> Status {
    ANNODB_RETURN_IF_ERROR(RequireString(project, "project name"));
    ANNODB_RETURN_IF_ERROR(RequireString(dataset, "dataset name"));
    LsImportOptions o;
    o.project = project;
    o.dataset = dataset;
    if (data_key) o.data_key = data_key;
    if (external_id_key) o.external_id_key = external_id_key;
    return RunLsImport(s, path, o, actor, false, report_json, report_len);
  });
}

ANNODB_EXPORT int annodb_ls_import_options_init(annodb_ls_import_options* opts, size_t struct_size) {
  return InitOptions(opts, struct_size, kLsImportOptionsSizeV1, "annodb_ls_import_options_init",
                     "annodb_ls_import_options");
}

ANNODB_EXPORT int annodb_label_studio_import_opts(annodb_store* store, const char* path,
                                                  const annodb_ls_import_options* opts, const annodb_actor* actor,
                                                  char** report_json, size_t* report_len) {
  ResetOut(report_json, report_len);
  return Run(store, "annodb_label_studio_import_opts", [&](Store& s) -> Status {
    if (!opts) return Status::InvalidArgument("opts is NULL");
    ANNODB_RETURN_IF_ERROR(CheckStructSize(opts, opts->struct_size, kLsImportOptionsSizeV1,
                                           sizeof(annodb_ls_import_options), "annodb_ls_import_options"));
    ANNODB_RETURN_IF_ERROR(RequireString(opts->project, "project name"));
    ANNODB_RETURN_IF_ERROR(RequireString(opts->dataset, "dataset name"));
    LsImportOptions o;
    o.project = opts->project;
    o.dataset = opts->dataset;
    for (auto [from, to] : {std::pair{opts->data_key, &o.data_key}, std::pair{opts->external_id_key, &o.external_id_key},
                            std::pair{opts->default_author, &o.default_author}})
      if (from) *to = from;
    o.clamp_boxes = opts->clamp_boxes != 0;
    if (opts->clamp_tolerance_percent != 0) o.clamp_tolerance_percent = opts->clamp_tolerance_percent;
    o.same_author = opts->same_author_versions ? LsSameAuthor::kVersions : LsSameAuthor::kRefuse;
    return RunLsImport(s, path, o, actor, true, report_json, report_len);
  });
}

}  // extern "C"
