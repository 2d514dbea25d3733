// ImportLabelStudio: a Label Studio JSON export into a project (see ls_import.h).
#include "annodb/ls_import.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "annodb/assets.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "text_checks.h"

namespace annodb {
namespace {
using nlohmann::json;

Status Bad(const std::string& where, const std::string& why) { return Status::InvalidArgument(where + ": " + why); }

bool Handled(const std::string& type) {
  return type == "choices" || type == "rectanglelabels" || type == "polygonlabels" || type == "keypointlabels" ||
         type == "labels" || type == "textarea" || type == "taxonomy";
}

std::vector<std::string> Strings(const json& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const json& s : v)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

// The leaves of taxonomy paths: [["Animal", "Cat"], ["Plant"]] -> Cat, Plant.
std::vector<std::string> TaxonomyLeaves(const json& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const json& path : v)
      if (path.is_array() && !path.empty() && path.back().is_string()) out.push_back(path.back().get<std::string>());
  return out;
}

void AddUnique(std::vector<std::string>* list, const std::vector<std::string>& items) {
  for (const std::string& s : items)
    if (std::find(list->begin(), list->end(), s) == list->end()) list->push_back(s);
}

// Infers an ontology from every result in the export.
Status InferOntology(const json& tasks, std::vector<FeatureDef>* out) {
  auto feature = [&](const std::string& name, FeatureKind kind) -> FeatureDef* {
    for (FeatureDef& f : *out)
      if (f.name == name) return &f;
    out->push_back({name, kind, {}, {}, false});
    return &out->back();
  };
  for (const json& task : tasks) {
    for (const char* group : {"annotations", "predictions"}) {
      if (!task.contains(group) || !task[group].is_array()) continue;
      for (const json& ann : task[group]) {
        if (!ann.contains("result") || !ann["result"].is_array()) continue;
        for (const json& r : ann["result"]) {
          std::string type = r.value("type", std::string());
          std::string name = r.value("from_name", std::string());
          if (!Handled(type) || name.empty() || !r.contains("value") || !r["value"].is_object()) continue;
          const json& v = r["value"];
          if (type == "choices") {
            std::vector<std::string> c = Strings(v.value("choices", json::array()));
            FeatureDef* f = feature(name, FeatureKind::Classification);
            if (c.size() > 1) f->kind = FeatureKind::MultiClassification;
            AddUnique(&f->options, c);
          } else if (type == "taxonomy") {
            AddUnique(&feature(name, FeatureKind::MultiClassification)->options, TaxonomyLeaves(v.value("taxonomy", json::array())));
          } else if (type == "textarea") {
            feature(name, FeatureKind::Text);
          } else {
            FeatureKind k = type == "rectanglelabels" ? FeatureKind::BBox
                            : type == "polygonlabels" ? FeatureKind::Polygon
                            : type == "keypointlabels" ? FeatureKind::Point
                                                       : FeatureKind::Span;
            AddUnique(&feature(name, k)->classes, Strings(v.value(type, json::array())));
          }
        }
      }
    }
  }
  if (out->empty()) return Status::InvalidArgument("the export holds no results of a supported type to infer an ontology from");
  return ValidateOntology(*out);
}

double Num(const json& v, const char* key, const std::string& where, Status* err) {
  if (!v.contains(key) || !v[key].is_number()) {
    if (err->ok()) *err = Bad(where, std::string("value.") + key + " must be a number");
    return 0;
  }
  return v[key].get<double>();
}

class LsImporter {
 public:
  LsImporter(WriteTxn& t, const LsImportOptions& o, LsImportReport* r) : t_(t), o_(o), r_(r) {}

  Status Run(const json& tasks) {
    ANNODB_RETURN_IF_ERROR(Scope(tasks));
    for (size_t i = 0; i < tasks.size(); ++i) {
      const json& task = tasks[i];
      std::string where = task.contains("id") ? "task " + task["id"].dump() : "tasks[" + std::to_string(i) + "]";
      ANNODB_RETURN_IF_ERROR(Task(task).WithContext(where));
      ++r_->tasks;
    }
    return Status::OK();
  }

 private:
  Status Scope(const json& tasks) {
    Status s = FindDataset(t_, o_.dataset, &dataset_);
    if (s.IsNotFound()) s = CreateDataset(t_, o_.dataset, "imported from Label Studio", &dataset_);
    ANNODB_RETURN_IF_ERROR(s);
    s = FindProject(t_, o_.project, &project_id_);
    if (s.IsNotFound()) {
      std::vector<FeatureDef> features;
      ANNODB_RETURN_IF_ERROR(InferOntology(tasks, &features));
      ANNODB_RETURN_IF_ERROR(CreateProject(t_, o_.project, {dataset_}, features, ProjectSettings{}, &project_id_));
      r_->project_created = true;
    } else {
      ANNODB_RETURN_IF_ERROR(s);
    }
    return GetProject(t_, project_id_, kCurrent, &project_);
  }

  Status Task(const json& task) {
    if (!task.is_object()) return Status::InvalidArgument("a task must be an object");
    if (!task.contains("data") || !task["data"].is_object()) return Status::InvalidArgument("\"data\" is missing");
    const json& data = task["data"];
    AssetInput asset;
    if (!o_.external_id_key.empty()) {
      if (!data.contains(o_.external_id_key) || !data[o_.external_id_key].is_string())
        return Status::InvalidArgument("data." + o_.external_id_key + " (the external id) is missing");
      asset.external_id = data[o_.external_id_key].get<std::string>();
    } else {
      if (!task.contains("id") || !task["id"].is_number_integer()) return Status::InvalidArgument("\"id\" is missing");
      asset.external_id = "ls-" + std::to_string(task["id"].get<int64_t>());
    }
    if (data.contains("text") && data["text"].is_string()) asset.text = data["text"].get<std::string>();
    if (!o_.data_key.empty()) {
      if (!data.contains(o_.data_key) || !data[o_.data_key].is_string())
        return Status::InvalidArgument("data." + o_.data_key + " is missing or not a string");
      asset.uri = data[o_.data_key].get<std::string>();
    } else {
      for (auto it = data.begin(); it != data.end() && asset.uri.empty(); ++it)
        if (it->is_string() && it.key() != "text") asset.uri = it->get<std::string>();
    }
    if (asset.uri.empty()) asset.uri = "labelstudio:task/" + asset.external_id;
    if (!asset.text.empty()) asset.media_type = "text/plain";
    // The image size comes with the results (original_width/height).
    for (const char* group : {"annotations", "predictions"})
      if (task.contains(group) && task[group].is_array())
        for (const json& ann : task[group])
          if (ann.is_object() && ann.contains("result") && ann["result"].is_array())
            for (const json& r : ann["result"])
              if (r.is_object() && r.contains("original_width") && r["original_width"].is_number_unsigned()) {
                asset.width = r["original_width"].get<uint32_t>();
                asset.height = r.value("original_height", 0u);
              }
    // Keep a known size from an earlier import when the export has none.
    uint64_t asset_id = 0;
    PutOutcome o;
    ANNODB_RETURN_IF_ERROR(PutAsset(t_, dataset_, asset, &asset_id, &o));
    if (o == PutOutcome::kCreated) ++r_->assets_created;
    for (const char* group : {"annotations", "predictions"}) {
      if (!task.contains(group)) continue;
      if (!task[group].is_array()) return Status::InvalidArgument(std::string(group) + " must be an array");
      for (size_t i = 0; i < task[group].size(); ++i) {
        std::string where = std::string(group) + "[" + std::to_string(i) + "]";
        ANNODB_RETURN_IF_ERROR(Annotation(task[group][i], group[0] == 'p', asset_id, asset).WithContext(where));
      }
    }
    return Status::OK();
  }

  Status Member(const json& by, uint64_t* id) {
    std::string name;
    if (by.is_object()) {
      std::string email = by.value("email", std::string());
      if (!email.empty()) name = email.substr(0, email.find('@'));
      else if (by.contains("id")) name = "ls-user-" + by["id"].dump();
    } else if (by.is_number_integer()) {
      name = "ls-user-" + by.dump();
    }
    if (name.empty()) return Status::InvalidArgument("completed_by names no user");
    for (char& c : name)
      if (c == ' ' || c == ',' || c == '\t') c = '_';
    Status s = FindMember(t_, name, id);
    if (s.IsNotFound()) {
      ANNODB_RETURN_IF_ERROR(AddMember(t_, name, Role::Labeler, "", id));
      ++r_->members_created;
      return Status::OK();
    }
    return s;
  }

  Status Annotation(const json& ann, bool prediction, uint64_t asset_id, const AssetInput& asset) {
    if (!ann.is_object()) return Status::InvalidArgument("expected an object");
    if (ann.value("was_cancelled", false)) {
      ++r_->cancelled_skipped;
      return Status::OK();
    }
    LabelInput l;
    l.project_id = project_id_;
    l.asset_id = asset_id;
    std::optional<float> default_score;
    if (prediction) {
      l.source = LabelSource::Model;
      l.model_name = "label-studio";
      l.model_version = ann.contains("model_version") && ann["model_version"].is_string()
                            ? ann["model_version"].get<std::string>() : "unknown";
      if (ann.contains("score") && ann["score"].is_number()) default_score = ann["score"].get<float>();
    } else {
      l.source = ann.value("ground_truth", false) ? LabelSource::Gold : LabelSource::Human;
      if (!ann.contains("completed_by")) return Status::InvalidArgument("completed_by is missing");
      ANNODB_RETURN_IF_ERROR(Member(ann["completed_by"], &l.author_member_id));
      if (ann.contains("lead_time") && ann["lead_time"].is_number() && ann["lead_time"].get<double>() > 0)
        l.time_spent_ms = static_cast<uint64_t>(std::llround(ann["lead_time"].get<double>() * 1000));
    }
    if (!ann.contains("result") || !ann["result"].is_array()) return Status::InvalidArgument("result must be an array");
    for (size_t i = 0; i < ann["result"].size(); ++i) {
      const json& r = ann["result"][i];
      std::string where = "result[" + std::to_string(i) + "]";
      ANNODB_RETURN_IF_ERROR(Result(r, asset, default_score, &l).WithContext(where));
    }
    PutOutcome o;
    ANNODB_RETURN_IF_ERROR(PutLabel(t_, std::move(l), nullptr, &o));
    if (o == PutOutcome::kUnchanged) ++r_->unchanged;
    else if (prediction) ++r_->predictions;
    else ++r_->labels;
    return Status::OK();
  }

  Status Result(const json& r, const AssetInput& asset, std::optional<float> default_score, LabelInput* l) {
    if (!r.is_object()) return Status::InvalidArgument("expected an object");
    std::string type = r.value("type", std::string());
    if (!Handled(type)) {
      ++r_->results_skipped;
      ++r_->skipped_types[type.empty() ? "(none)" : type];
      return Status::OK();
    }
    std::string name = r.value("from_name", std::string());
    if (name.empty()) return Status::InvalidArgument("from_name is missing");
    if (!r.contains("value") || !r["value"].is_object()) return Status::InvalidArgument("value is missing");
    const json& v = r["value"];
    const FeatureDef* f = project_.Feature(name);
    if (!f) return Status::InvalidArgument("project '" + project_.name + "' has no feature '" + name + "'");
    AnnotationInput a;
    a.feature = name;
    a.score = default_score;
    if (r.contains("score") && r["score"].is_number()) a.score = r["score"].get<float>();
    Status err;
    double w = r.value("original_width", 0.0), h = r.value("original_height", 0.0);
    if (w <= 0 && asset.width) w = asset.width;
    if (h <= 0 && asset.height) h = asset.height;
    auto need_size = [&]() -> Status {
      if (w <= 0 || h <= 0) return Status::InvalidArgument("original_width/original_height are needed to convert percentages");
      return Status::OK();
    };
    auto first_class = [&](const char* key) {
      std::vector<std::string> c = Strings(v.value(key, json::array()));
      if (!c.empty()) a.class_name = c[0];
    };
    if (type == "choices" || type == "taxonomy") {
      std::vector<std::string> chosen = type == "choices" ? Strings(v.value("choices", json::array()))
                                                          : TaxonomyLeaves(v.value("taxonomy", json::array()));
      if (f->kind == FeatureKind::Classification) {
        if (chosen.size() != 1)
          return Status::InvalidArgument("feature '" + name + "' takes one choice, the result has " + std::to_string(chosen.size()));
        a.value = chosen[0];
      } else {
        a.values = chosen;
      }
      l->annotations.push_back(std::move(a));
      return Status::OK();
    }
    if (type == "textarea") {
      std::vector<std::string> lines = Strings(v.value("text", json::array()));
      for (size_t i = 0; i < lines.size(); ++i) a.text += (i ? "\n" : "") + lines[i];
      l->annotations.push_back(std::move(a));
      return Status::OK();
    }
    if (type == "rectanglelabels") {
      ANNODB_RETURN_IF_ERROR(need_size());
      if (v.contains("rotation") && v["rotation"].is_number() && std::fabs(v["rotation"].get<double>()) > 1e-9)
        return Status::InvalidArgument("rotated boxes are not supported (rotation " + v["rotation"].dump() + ")");
      a.x = Num(v, "x", "value", &err) * w / 100;
      a.y = Num(v, "y", "value", &err) * h / 100;
      a.w = Num(v, "width", "value", &err) * w / 100;
      a.h = Num(v, "height", "value", &err) * h / 100;
      first_class("rectanglelabels");
    } else if (type == "polygonlabels") {
      ANNODB_RETURN_IF_ERROR(need_size());
      if (!v.contains("points") || !v["points"].is_array()) return Status::InvalidArgument("value.points must be an array");
      for (const json& p : v["points"]) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
          return Status::InvalidArgument("value.points must hold [x, y] percentages");
        a.points.push_back({p[0].get<double>() * w / 100, p[1].get<double>() * h / 100});
      }
      first_class("polygonlabels");
    } else if (type == "keypointlabels") {
      ANNODB_RETURN_IF_ERROR(need_size());
      a.points.push_back({Num(v, "x", "value", &err) * w / 100, Num(v, "y", "value", &err) * h / 100});
      first_class("keypointlabels");
    } else if (type == "labels") {
      double start = Num(v, "start", "value", &err), end = Num(v, "end", "value", &err);
      if (err.ok() && (start < 0 || end < 0 || start > UINT32_MAX || end > UINT32_MAX))
        return Status::InvalidArgument("value.start/end must be character offsets");
      a.span_start = static_cast<uint32_t>(start);
      a.span_end = static_cast<uint32_t>(end);
      first_class("labels");
    }
    ANNODB_RETURN_IF_ERROR(err);
    l->annotations.push_back(std::move(a));
    return Status::OK();
  }

  WriteTxn& t_;
  const LsImportOptions& o_;
  LsImportReport* r_;
  uint64_t dataset_ = 0, project_id_ = 0;
  ProjectInfo project_;
};

}  // namespace

Status ImportLabelStudio(Store& store, const std::string& path, const Actor& actor, const LsImportOptions& options,
                         LsImportReport* report) {
  if (!report) return Status::InvalidArgument("report is null");
  *report = LsImportReport();
  if (options.project.empty() || options.dataset.empty())
    return Status::InvalidArgument("a Label Studio import needs a project and a dataset");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!ValidUtf8(text)) return Status::InvalidArgument("'" + path + "' is not valid UTF-8");
  json tasks = json::parse(text, nullptr, false);
  text.clear();
  if (tasks.is_discarded()) return Status::InvalidArgument("'" + path + "' is not valid JSON");
  if (!tasks.is_array()) return Status::InvalidArgument("a Label Studio JSON export is an array of tasks");
  Actor a = actor;
  if (a.kind == ActorKind::kSystem) a.kind = ActorKind::kImportJob;
  return store.Write(a, [&](WriteTxn& t) {
    *report = LsImportReport();
    uint64_t job = 0;
    ANNODB_RETURN_IF_ERROR(t.AllocateCounter("job", &job));
    Actor with_job = a;
    with_job.job_id = job;
    t.set_actor(with_job);
    return LsImporter(t, options, report).Run(tasks);
  });
}

}  // namespace annodb
