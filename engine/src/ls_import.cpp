// ImportLabelStudio: a Label Studio JSON export into a project (see ls_import.h).
#include "annodb/ls_import.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "annodb/asset_import.h"
#include "annodb/assets.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "ls_results.h"
#include "text_checks.h"

namespace annodb {
namespace {
using ls::Find;
using ls::Json;
using ls::Show;

constexpr char kPlaceholderAuthor[] = "ls-unknown-author";
constexpr double kMaxLeadTimeSeconds = 1e9;  // about 31 years

Status Bad(const std::string& why) { return Status::InvalidArgument(why); }

// Every result of a task (annotations and predictions), with its place
// ("annotations[0]: result[2]").
template <typename Fn>
void ForEachResult(const Json& task, Fn&& fn) {
  for (const char* group : {"annotations", "predictions"}) {
    const Json* anns = Find(task, group);
    if (!anns || !anns->is_array()) continue;
    for (size_t a = 0; a < anns->size(); ++a) {
      const Json* results = Find((*anns)[a], "result");
      if (!results || !results->is_array()) continue;
      for (size_t i = 0; i < results->size(); ++i)
        fn((*results)[i], std::string(group) + "[" + std::to_string(a) + "]: result[" + std::to_string(i) + "]");
    }
  }
}

// The data key the task's results point at: "source": "$image", else
// "to_name" when it names a data key. Keys holding text come last: a text
// task's URI is only a fallback, and an image task may carry a caption.
Status PointedKey(const Json& data, const Json& task, std::string* key, std::set<std::string>* types) {
  std::vector<std::string> keys;
  std::map<std::string, std::set<std::string>> by_key;
  ForEachResult(task, [&](const Json& r, const std::string&) {
    std::string k, type;
    if (!ls::OptString(r, "source", "", &k).ok() || k.empty() || k[0] != '$') k.clear();
    if (k.empty() && !ls::OptString(r, "to_name", "", &k).ok()) k.clear();
    if (!k.empty() && k[0] == '$') k.erase(0, 1);
    if (k.empty() || !data.contains(k) || !data[k].is_string()) return;
    if (!ls::OptString(r, "type", "", &type).ok()) type.clear();
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    by_key[k].insert(type);
  });
  std::vector<std::string> media;
  for (const std::string& k : keys)
    if (k != "text") media.push_back(k);
  if (media.size() > 1) {
    std::string list;
    for (const std::string& k : media) list += (list.empty() ? "" : ", ") + k;
    return Bad("the results point at several data keys (" + list + "); choose the asset's with --data-key");
  }
  key->clear();
  if (!media.empty()) *key = media[0];
  else if (!keys.empty()) *key = keys[0];
  if (!key->empty()) *types = by_key[*key];
  return Status::OK();
}

// The media type of the asset's URI: from the file extension, when it fits
// what the results annotate (image regions need an image); else none.
std::string MediaTypeOf(const std::string& uri, const std::set<std::string>& result_types) {
  std::string path = uri.substr(0, uri.find_first_of("?#"));
  std::string type = MediaTypeForPath(path);
  if (type == "application/octet-stream") return "";
  bool image = std::any_of(result_types.begin(), result_types.end(), ls::ImageRegion);
  if (image && type.rfind("image/", 0) != 0) return "";
  return type;
}

// Compares a label as it would be stored with a stored version.
bool SameContent(const LabelInput& a, const LabelInput& b) {
  return a.annotations == b.annotations && a.time_spent_ms == b.time_spent_ms && a.status == b.status &&
         a.source == b.source;
}

class LsImporter {
 public:
  LsImporter(WriteTxn& t, const LsImportOptions& o, LsImportReport* r) : t_(t), o_(o), r_(r) {
    if (o.clamp_boxes) convert_.clamp_percent = o.clamp_tolerance_percent;
  }

  Status Run(const Json& tasks) {
    ANNODB_RETURN_IF_ERROR(Scope(tasks));
    for (size_t i = 0; i < tasks.size(); ++i) {
      ANNODB_RETURN_IF_ERROR(Task(tasks[i], i).WithContext(ls::TaskName(tasks[i], i)));
      ++r_->tasks;
    }
    return Status::OK();
  }

 private:
  Status Scope(const Json& tasks) {
    Status s = FindDataset(t_, o_.dataset, &dataset_);
    if (s.IsNotFound()) s = CreateDataset(t_, o_.dataset, "imported from Label Studio", &dataset_);
    ANNODB_RETURN_IF_ERROR(s);
    s = FindProject(t_, o_.project, &project_id_);
    if (s.IsNotFound()) {
      std::vector<FeatureDef> features;
      ANNODB_RETURN_IF_ERROR(ls::InferOntology(tasks, &features));
      ANNODB_RETURN_IF_ERROR(CreateProject(t_, o_.project, {dataset_}, features, ProjectSettings{}, &project_id_));
      r_->project_created = true;
    } else {
      ANNODB_RETURN_IF_ERROR(s);
    }
    return GetProject(t_, project_id_, kCurrent, &project_);
  }

  Status ExternalId(const Json& task, const Json& data, size_t index, std::string* out) {
    if (!o_.external_id_key.empty()) {
      const Json* v = Find(data, o_.external_id_key.c_str());
      if (!v || !(v->is_string() || v->is_number_integer()))
        return Bad("data." + o_.external_id_key + " (the external id) is " + (v ? Show(*v) : "missing") +
                   ", not a string or an integer");
      *out = v->is_string() ? v->get<std::string>() : v->dump();
    } else if (const Json* id = Find(task, "id")) {
      if (!id->is_number_integer()) return Bad("id is " + Show(*id) + ", not an integer task id");
      *out = "ls-" + id->dump();
    } else {
      *out = "ls-index-" + std::to_string(index);  // the task's position: stable for the same file
    }
    auto [it, fresh] = seen_ids_.emplace(*out, index);
    if (!fresh)
      return Bad("external id '" + *out + "' was already given to tasks[" + std::to_string(it->second) +
                 "]; each task must be one asset");
    return Status::OK();
  }

  // The size the task's results give (every result must agree).
  Status TaskSize(const Json& task, uint32_t* w, uint32_t* h) {
    Status err;
    *w = *h = 0;
    std::string first;
    ForEachResult(task, [&](const Json& r, const std::string& where) {
      uint32_t rw = 0, rh = 0;
      Status s = ls::ResultSize(r, &rw, &rh).WithContext(where);
      if (!s.ok() && err.ok()) err = s;
      if (!err.ok() || !rw || !rh) return;
      if (*w && (rw != *w || rh != *h))
        err = Bad(where + ": original_width/original_height " + std::to_string(rw) + "x" + std::to_string(rh) +
                  " differ from " + first + "'s " + std::to_string(*w) + "x" + std::to_string(*h));
      if (!*w) first = where;
      *w = rw, *h = rh;
    });
    return err;
  }

  // The task's asset: a stored one keeps its fields (URI, metadata, ...) and
  // gains only a missing size or text; a new one is built from the task.
  Status Asset(const Json& task, size_t index, AssetInput* asset, uint64_t* asset_id) {
    const Json* data = Find(task, "data");
    if (!data || !data->is_object()) return Bad("data is " + (data ? Show(*data) : "missing") + ", not an object");
    AssetInput in;
    ANNODB_RETURN_IF_ERROR(ExternalId(task, *data, index, &in.external_id));
    std::string key;
    std::set<std::string> types;
    if (!o_.data_key.empty()) {
      key = o_.data_key;
      const Json* v = Find(*data, key.c_str());
      if (!v || !v->is_string()) return Bad("data." + key + " is " + (v ? Show(*v) : "missing") + ", not a string");
      ForEachResult(task, [&](const Json& r, const std::string&) {
        std::string type;
        if (ls::OptString(r, "type", "", &type).ok()) types.insert(type);
      });
    } else {
      ANNODB_RETURN_IF_ERROR(PointedKey(*data, task, &key, &types));
      for (auto it = data->begin(); it != data->end() && key.empty(); ++it)
        if (it->is_string() && it.key() != "text") key = it.key();
    }
    if (const Json* text = Find(*data, "text"); text && text->is_string()) in.text = text->get<std::string>();
    if (!key.empty() && key != "text") {
      in.uri = (*data)[key].get<std::string>();
      in.media_type = MediaTypeOf(in.uri, types);
    } else {
      in.uri = "labelstudio:task/" + in.external_id;
      if (!in.text.empty()) in.media_type = "text/plain";
    }
    ANNODB_RETURN_IF_ERROR(TaskSize(task, &in.width, &in.height));
    Status s = FindAsset(t_, dataset_, in.external_id, asset_id);
    RecordView cur;
    if (s.ok()) s = t_.Get(RecordKind::Asset, *asset_id, &cur);
    if (s.ok()) {
      AssetInput stored = DecodeAsset(cur.As<fb::Asset>());
      std::string size = std::to_string(in.width) + "x" + std::to_string(in.height);
      if (in.width && stored.width && (in.width != stored.width || in.height != stored.height))
        return Bad("the results' image size " + size + " differs from the stored asset '" + in.external_id + "' (" +
                   std::to_string(stored.width) + "x" + std::to_string(stored.height) + ")");
      if (!in.text.empty() && !stored.text.empty() && in.text != stored.text)
        return Bad("data.text differs from the text of the stored asset '" + in.external_id + "'");
      if (!stored.width && in.width) stored.width = in.width, stored.height = in.height;
      if (stored.text.empty()) stored.text = in.text;
      in = std::move(stored);
    } else if (!s.IsNotFound()) {
      return s;
    }
    PutOutcome o;
    ANNODB_RETURN_IF_ERROR(PutAsset(t_, dataset_, in, asset_id, &o));
    if (o == PutOutcome::kCreated) ++r_->assets_created;
    *asset = std::move(in);
    return Status::OK();
  }

  // The member for completed_by: named after the e-mail's local part, else
  // "ls-user-<id>"; missing -> the default author. Two Label Studio users
  // that would share a member are refused.
  Status Member(const Json& ann, uint64_t* id, std::string* name) {
    const Json* by = Find(ann, "completed_by");
    std::string who;  // the Label Studio identity, to catch two users sharing a name
    if (!by) {
      *name = o_.default_author.empty() ? kPlaceholderAuthor : o_.default_author;
      who = "(no completed_by)";
      ++r_->default_author_used;
    } else {
      std::string email;
      if (by->is_object()) ANNODB_RETURN_IF_ERROR(ls::OptString(*by, "email", "", &email).WithContext("completed_by"));
      else if (by->is_string()) email = by->get<std::string>();
      const Json* uid = by->is_object() ? Find(*by, "id") : by;
      if (!email.empty()) *name = email.substr(0, email.find('@')), who = email;
      else if (uid && uid->is_number_integer()) *name = "ls-user-" + uid->dump(), who = *name;
      else return Bad("completed_by is " + Show(*by) + ", which names no user (an id or an e-mail)");
      for (char& c : *name)
        if (c == ' ' || c == ',' || c == '\t') c = '_';
    }
    auto [it, fresh] = member_of_.emplace(*name, who);
    if (!fresh && it->second != who)
      return Bad("completed_by " + who + " and " + it->second + " would both be member '" + *name + "'");
    Status s = FindMember(t_, *name, id);
    if (s.IsNotFound()) {
      ANNODB_RETURN_IF_ERROR(AddMember(t_, *name, Role::Labeler, "", id).WithContext("completed_by"));
      ++r_->members_created;
      return Status::OK();
    }
    return s;
  }

  struct Pending {
    std::string where, author;
    LabelInput label;
  };

  Status Task(const Json& task, size_t index) {
    if (!task.is_object()) return Bad("a task must be an object, not " + Show(task));
    for (const char* group : {"annotations", "predictions"})
      if (const Json* g = Find(task, group); g && !g->is_array())
        return Bad(std::string(group) + " is " + Show(*g) + ", not an array");
    AssetInput asset;
    uint64_t asset_id = 0;
    ANNODB_RETURN_IF_ERROR(Asset(task, index, &asset, &asset_id));
    // Annotations grouped by the label they become, in file order.
    std::vector<std::pair<std::string, std::vector<Pending>>> groups;
    for (const char* group : {"annotations", "predictions"}) {
      const Json* anns = Find(task, group);
      for (size_t i = 0; anns && i < anns->size(); ++i) {
        Pending p;
        p.where = std::string(group) + "[" + std::to_string(i) + "]";
        bool skip = false;
        ANNODB_RETURN_IF_ERROR(Annotation((*anns)[i], group[0] == 'p', asset_id, asset, &p, &skip).WithContext(p.where));
        if (skip) continue;
        std::string key = std::to_string(static_cast<int>(p.label.source)) + "/" + p.author;
        auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& e) { return e.first == key; });
        if (g == groups.end()) g = groups.insert(groups.end(), {key, {}});
        g->second.push_back(std::move(p));
      }
    }
    for (auto& [key, pending] : groups) {
      if (pending.size() > 1 && o_.same_author == LsSameAuthor::kRefuse) {
        std::string list;
        for (const Pending& p : pending) list += (list.empty() ? "" : ", ") + p.where;
        return Bad(list + " are all by " + pending[0].author + " (" + LabelSourceName(pending[0].label.source) +
                   "); the store keeps one label per author and asset: keep them as versions of one label with "
                   "--same-author versions, or remove the extra ones");
      }
      ANNODB_RETURN_IF_ERROR(PutGroup(&pending));
    }
    return Status::OK();
  }

  Status Annotation(const Json& ann, bool prediction, uint64_t asset_id, const AssetInput& asset, Pending* p,
                    bool* skip) {
    if (!ann.is_object()) return Bad("expected an object, not " + Show(ann));
    bool cancelled = false;
    ANNODB_RETURN_IF_ERROR(ls::OptBool(ann, "was_cancelled", &cancelled));
    if (cancelled) {
      ++r_->cancelled_skipped;
      *skip = true;
      return Status::OK();
    }
    LabelInput& l = p->label;
    l.project_id = project_id_;
    l.asset_id = asset_id;
    std::optional<float> default_score;
    if (prediction) {
      l.source = LabelSource::Model;
      l.model_name = "label-studio";
      ANNODB_RETURN_IF_ERROR(ls::OptString(ann, "model_version", "unknown", &l.model_version));
      ANNODB_RETURN_IF_ERROR(ls::OptScore(ann, &default_score));
      p->author = "model version '" + l.model_version + "'";
    } else {
      bool gold = false;
      ANNODB_RETURN_IF_ERROR(ls::OptBool(ann, "ground_truth", &gold));
      l.source = gold ? LabelSource::Gold : LabelSource::Human;
      std::string name;
      ANNODB_RETURN_IF_ERROR(Member(ann, &l.author_member_id, &name));
      p->author = "member '" + name + "'";
      if (const Json* lt = Find(ann, "lead_time")) {
        double s = lt->is_number() ? lt->get<double>() : -1;
        if (!(s >= 0 && s <= kMaxLeadTimeSeconds))
          return Bad("lead_time is " + Show(*lt) + ", not a number of seconds 0..1e9");
        l.time_spent_ms = static_cast<uint64_t>(std::llround(s * 1000));
      }
    }
    const Json* results = Find(ann, "result");
    if (!results || !results->is_array())
      return Bad("result is " + (results ? Show(*results) : std::string("missing")) + ", not an array");
    std::map<std::string, size_t> single;  // features with one annotation per label -> result index
    for (size_t i = 0; i < results->size(); ++i)
      ANNODB_RETURN_IF_ERROR(Result((*results)[i], i, asset, default_score, &single, &l));
    return Status::OK();
  }

  Status Result(const Json& r, size_t index, const AssetInput& asset, std::optional<float> default_score,
                std::map<std::string, size_t>* single, LabelInput* l) {
    std::string where = "result[" + std::to_string(index) + "]";
    if (!r.is_object()) return Bad(where + ": expected an object, not " + Show(r));
    std::string type, name;
    ANNODB_RETURN_IF_ERROR(ls::OptString(r, "type", "", &type).WithContext(where));
    if (!ls::Handled(type)) {
      ++r_->results_skipped;
      ++r_->skipped_types[type.empty() ? "(none)" : type];
      return Status::OK();
    }
    ANNODB_RETURN_IF_ERROR(ls::OptString(r, "from_name", "", &name).WithContext(where));
    if (name.empty()) return Bad(where + ": from_name is missing");
    where += " (" + name + ", " + type + ")";
    const FeatureDef* f = project_.Feature(name);
    if (!f) return Bad(where + ": project '" + project_.name + "' has no feature " + Show(name));
    uint32_t w = 0, h = 0;
    ANNODB_RETURN_IF_ERROR(ls::ResultSize(r, &w, &h).WithContext(where));
    if (!w || !h) w = asset.width, h = asset.height;
    bool one_per_label = f->kind == FeatureKind::Classification || f->kind == FeatureKind::MultiClassification ||
                         f->kind == FeatureKind::Text;
    if (one_per_label) {
      auto [it, fresh] = single->emplace(name, index);
      if (!fresh)
        return Bad(where + ": result[" + std::to_string(it->second) + "] already holds feature '" + name +
                   "', and a label holds one " + FeatureKindName(f->kind) + " annotation of a feature");
    }
    AnnotationInput a;
    bool clamped = false;
    ANNODB_RETURN_IF_ERROR(ls::ConvertResult(r, type, *f, project_.name, asset, w, h, convert_, default_score, &a, &clamped)
                               .WithContext(where));
    r_->boxes_clamped += clamped;
    l->annotations.push_back(std::move(a));
    return Status::OK();
  }

  // The stored label with the same key as `l` (0 when none).
  Status FindLabel(const LabelInput& l, uint64_t* id) {
    *id = 0;
    LabelFilter f{project_id_, l.asset_id, 0, {}};  // the asset's labels: a few
    for (uint64_t after = 0;;) {
      std::vector<uint64_t> ids;
      ANNODB_RETURN_IF_ERROR(ListLabels(t_, f, after, 1000, &ids));
      for (uint64_t cand : ids) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(GetLabel(t_, cand, kCurrent, &v));
        const fb::Label* s = v.As<fb::Label>();
        if (s->asset_id() == l.asset_id && s->source() == l.source && s->author_member_id() == l.author_member_id &&
            FbStr(s->model_name()) == l.model_name && FbStr(s->model_version()) == l.model_version)
          return (*id = cand), Status::OK();
      }
      if (ids.size() < 1000) return Status::OK();
      after = ids.back();
    }
  }

  // Writes one label per group: several annotations become its versions in
  // file order, unless the stored history already ends with them all.
  Status PutGroup(std::vector<Pending>* pending) {
    if (pending->size() > 1) {
      uint64_t id = 0;
      ANNODB_RETURN_IF_ERROR(FindLabel(pending->front().label, &id));
      std::vector<RecordView> versions;
      if (id) ANNODB_RETURN_IF_ERROR(t_.History(RecordKind::Label, id, &versions));
      bool stored = versions.size() >= pending->size();
      for (size_t i = 0; stored && i < pending->size(); ++i) {
        const RecordView& v = versions[versions.size() - pending->size() + i];
        stored = !v.deleted() && SameContent((*pending)[i].label, DecodeLabel(v.As<fb::Label>()));
      }
      if (stored) {
        r_->unchanged += pending->size();
        return Status::OK();
      }
    }
    for (size_t i = 0; i < pending->size(); ++i) {
      Pending& p = (*pending)[i];
      PutOutcome o;
      bool prediction = p.label.source == LabelSource::Model;
      ANNODB_RETURN_IF_ERROR(PutLabel(t_, std::move(p.label), nullptr, &o).WithContext(p.where));
      if (o == PutOutcome::kUnchanged) ++r_->unchanged;  // equal to the version before it: nothing written
      else if (i + 1 < pending->size()) ++r_->earlier_versions;
      else if (prediction) ++r_->predictions;
      else ++r_->labels;
    }
    return Status::OK();
  }

  WriteTxn& t_;
  const LsImportOptions& o_;
  LsImportReport* r_;
  ls::ConvertOptions convert_;
  uint64_t dataset_ = 0, project_id_ = 0;
  ProjectInfo project_;
  std::map<std::string, size_t> seen_ids_;        // external id -> task index
  std::map<std::string, std::string> member_of_;  // member name -> Label Studio identity
};

}  // namespace

Status ImportLabelStudio(Store& store, const std::string& path, const Actor& actor, const LsImportOptions& options,
                         LsImportReport* report) {
  if (!report) return Status::InvalidArgument("report is null");
  *report = LsImportReport();
  if (options.project.empty() || options.dataset.empty())
    return Status::InvalidArgument("a Label Studio import needs a project and a dataset");
  if (options.clamp_boxes && !(options.clamp_tolerance_percent > 0 && options.clamp_tolerance_percent <= 10))
    return Status::InvalidArgument("the clamp tolerance must be more than 0 and at most 10 percent");
  if (options.same_author != LsSameAuthor::kRefuse && options.same_author != LsSameAuthor::kVersions)
    return Status::InvalidArgument("unknown same-author rule");
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return Status::InvalidArgument("'" + path + "' is a directory, not a Label Studio file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read '" + path + "'");
  std::string text;
  try {  // libstdc++ reports a failing read(2) by throwing, whatever the stream's exception mask
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {
    return Status::IOError("cannot read '" + path + "'");
  }
  if (in.bad()) return Status::IOError("cannot read '" + path + "'");
  if (text.empty()) return Status::InvalidArgument("'" + path + "' is empty; a Label Studio file is an array of tasks");
  if (!ValidUtf8(text)) return Status::InvalidArgument("'" + path + "' is not valid UTF-8");
  Json tasks = Json::parse(text, nullptr, false);
  text.clear();
  if (tasks.is_discarded()) return Status::InvalidArgument("'" + path + "' is not valid JSON");
  // Label Studio also takes a file holding one task object.
  if (tasks.is_object() && tasks.contains("data")) tasks = Json::array({std::move(tasks)});
  if (!tasks.is_array())
    return Status::InvalidArgument("a Label Studio file is an array of tasks, or one task object with \"data\"");
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
