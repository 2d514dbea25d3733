// Projects and ontologies (see projects.h).
#include "annodb/projects.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "annodb/assets.h"
#include "annodb/json_input.h"
#include "annodb/keys.h"
#include "text_checks.h"

namespace annodb {
namespace {
const char* const kKindNames[] = {"classification", "multi_classification", "bbox", "polygon", "polyline",
                                  "point",          "mask",                 "span", "text"};

std::vector<std::string> Strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v) for (auto* s : *v) out.push_back(s->str());
  return out;
}

bool IsPrefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

Status CheckList(const std::string& where, const std::vector<std::string>& items) {
  std::set<std::string> seen;
  if (items.size() > 10000) return Status::InvalidArgument(where + " has more than 10000 entries");
  for (const std::string& s : items) {
    ANNODB_RETURN_IF_ERROR(CheckRecordName(where + " entry", s));
    if (!seen.insert(s).second) return Status::InvalidArgument(where + " lists '" + s + "' twice");
  }
  return Status::OK();
}

void BuildProject(const std::string& name, const std::vector<uint64_t>& datasets, const std::vector<FeatureDef>& features,
                  const ProjectSettings& st, flatbuffers::FlatBufferBuilder* b) {
  std::vector<flatbuffers::Offset<fb::Feature>> fs;
  for (const FeatureDef& f : features) {
    auto n = b->CreateString(f.name);
    auto opts = b->CreateVectorOfStrings(f.options);
    auto cls = b->CreateVectorOfStrings(f.classes);
    fs.push_back(fb::CreateFeature(*b, n, f.kind, opts, cls, f.required));
  }
  auto onto = fb::CreateOntology(*b, b->CreateVector(fs));
  auto n = b->CreateString(name);
  auto ds = b->CreateVector(datasets);
  auto instr = st.instructions.empty() ? 0 : b->CreateString(st.instructions);
  fb::ProjectBuilder pb(*b);
  pb.add_name(n);
  pb.add_dataset_ids(ds);
  pb.add_ontology(onto);
  pb.add_overlap(st.overlap);
  pb.add_lease_ttl_s(st.lease_ttl_s);
  pb.add_review_fraction(st.review_fraction);
  pb.add_gold_rate(st.gold_rate);
  pb.add_max_leases(st.max_leases);
  if (!instr.IsNull()) pb.add_instructions(instr);
  b->Finish(pb.Finish());
}

Status CheckDatasets(const ReadTxn& txn, const std::vector<uint64_t>& ids) {
  if (ids.empty()) return Status::InvalidArgument("a project needs at least one dataset");
  std::set<uint64_t> seen;
  for (uint64_t id : ids) {
    if (!seen.insert(id).second) return Status::InvalidArgument("dataset " + std::to_string(id) + " is listed twice");
    DatasetInfo d;
    Status s = GetDataset(txn, id, &d);
    if (s.IsNotFound()) return Status::NotFound("dataset " + std::to_string(id) + " does not exist");
    ANNODB_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}
}  // namespace

const char* FeatureKindName(FeatureKind kind) {
  auto i = static_cast<size_t>(kind);
  return i < std::size(kKindNames) ? kKindNames[i] : "unknown";
}

bool ParseFeatureKind(std::string_view name, FeatureKind* out) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (name == kKindNames[i]) {
      *out = static_cast<FeatureKind>(i);
      return true;
    }
  }
  return false;
}

const FeatureDef* ProjectInfo::Feature(std::string_view n) const {
  for (const FeatureDef& f : features)
    if (f.name == n) return &f;
  return nullptr;
}

Status ValidateOntology(const std::vector<FeatureDef>& features) {
  if (features.empty()) return Status::InvalidArgument("the ontology has no features");
  if (features.size() > 1000) return Status::InvalidArgument("the ontology has more than 1000 features");
  std::set<std::string> names;
  for (const FeatureDef& f : features) {
    ANNODB_RETURN_IF_ERROR(CheckRecordName("feature name", f.name));
    std::string where = "feature '" + f.name + "'";
    if (!names.insert(f.name).second) return Status::InvalidArgument(where + " is defined twice");
    if (static_cast<int>(f.kind) > static_cast<int>(FeatureKind::Text))
      return Status::InvalidArgument(where + " has an unknown kind");
    bool choice = f.kind == FeatureKind::Classification || f.kind == FeatureKind::MultiClassification;
    if (choice && f.options.empty()) return Status::InvalidArgument(where + " (" + FeatureKindName(f.kind) + ") needs options");
    if (!choice && !f.options.empty())
      return Status::InvalidArgument(where + " (" + FeatureKindName(f.kind) + ") cannot have options; use classes");
    if (f.kind == FeatureKind::Text && !f.classes.empty())
      return Status::InvalidArgument(where + " (text) cannot have classes");
    if (choice && !f.classes.empty()) return Status::InvalidArgument(where + " cannot have classes");
    ANNODB_RETURN_IF_ERROR(CheckList(where + " options", f.options));
    ANNODB_RETURN_IF_ERROR(CheckList(where + " classes", f.classes));
  }
  return Status::OK();
}

Status CheckOntologyExtension(const std::vector<FeatureDef>& prev, const std::vector<FeatureDef>& next) {
  for (const FeatureDef& p : prev) {
    auto it = std::find_if(next.begin(), next.end(), [&](const FeatureDef& n) { return n.name == p.name; });
    if (it == next.end()) return Status::InvalidArgument("feature '" + p.name + "' cannot be removed from the ontology");
    if (it->kind != p.kind) return Status::InvalidArgument("feature '" + p.name + "' cannot change its kind");
    if (!IsPrefix(p.options, it->options))
      return Status::InvalidArgument("feature '" + p.name + "': options can only be appended, never removed or reordered");
    if (!IsPrefix(p.classes, it->classes))
      return Status::InvalidArgument("feature '" + p.name + "': classes can only be appended, never removed or reordered");
  }
  return Status::OK();
}

Status ValidateProjectSettings(const ProjectSettings& s) {
  if (s.overlap < 1 || s.overlap > 100) return Status::InvalidArgument("overlap must be 1..100");
  if (s.lease_ttl_s < 1 || s.lease_ttl_s > 7 * 86400) return Status::InvalidArgument("lease TTL must be 1 second..7 days");
  if (!(s.review_fraction >= 0 && s.review_fraction <= 1)) return Status::InvalidArgument("review fraction must be 0..1");
  if (!(s.gold_rate >= 0 && s.gold_rate <= 1)) return Status::InvalidArgument("gold rate must be 0..1");
  return CheckUtf8Field("instructions", s.instructions, 1 << 20, false);
}

Status ParseOntologyJson(std::string_view text, std::vector<FeatureDef>* out) {
  out->clear();
  ANNODB_RETURN_IF_ERROR(CheckJsonInput(text).WithContext("the ontology"));
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("the ontology is not valid JSON");
  if (!j.is_object() || !j.contains("features") || !j["features"].is_array())
    return Status::InvalidArgument("the ontology must be an object with a \"features\" array");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "features")
      return Status::InvalidArgument("the ontology has an unknown key '" + it.key() + "' (it holds only \"features\")");
  size_t index = 0;
  for (const auto& f : j["features"]) {
    std::string where = "features[" + std::to_string(index++) + "]";
    if (!f.is_object()) return Status::InvalidArgument(where + " is not an object");
    FeatureDef d;
    for (auto it = f.begin(); it != f.end(); ++it) {
      const std::string& key = it.key();
      if (key == "name") {
        if (!it->is_string()) return Status::InvalidArgument(where + ".name must be a string");
        d.name = it->get<std::string>();
      } else if (key == "kind") {
        if (!it->is_string() || !ParseFeatureKind(it->get<std::string>(), &d.kind))
          return Status::InvalidArgument(where + ".kind must be one of classification, multi_classification, bbox, "
                                         "polygon, polyline, point, mask, span, text");
      } else if (key == "options" || key == "classes") {
        if (!it->is_array()) return Status::InvalidArgument(where + "." + key + " must be an array of strings");
        auto& list = key == "options" ? d.options : d.classes;
        for (const auto& o : *it) {
          if (!o.is_string()) return Status::InvalidArgument(where + "." + key + " must hold strings");
          list.push_back(o.get<std::string>());
        }
      } else if (key == "required") {
        if (!it->is_boolean()) return Status::InvalidArgument(where + ".required must be true or false");
        d.required = it->get<bool>();
      } else {
        return Status::InvalidArgument(where + " has an unknown key '" + key + "'");
      }
    }
    if (!f.contains("name")) return Status::InvalidArgument(where + " has no name");
    if (!f.contains("kind")) return Status::InvalidArgument(where + " ('" + d.name + "') has no kind");
    out->push_back(std::move(d));
  }
  return ValidateOntology(*out);
}

Status CreateProject(WriteTxn& txn, const std::string& name, const std::vector<uint64_t>& dataset_ids,
                     const std::vector<FeatureDef>& features, const ProjectSettings& settings, uint64_t* id) {
  ANNODB_RETURN_IF_ERROR(CheckRecordName("project name", name));
  ANNODB_RETURN_IF_ERROR(ValidateOntology(features));
  ANNODB_RETURN_IF_ERROR(ValidateProjectSettings(settings));
  ANNODB_RETURN_IF_ERROR(CheckDatasets(txn, dataset_ids));
  std::string_view existing;
  if (txn.IndexGet(Index::kProjectByName, name, &existing).ok())
    return Status::AlreadyExists("project '" + name + "' already exists");
  uint64_t new_id = 0;
  ANNODB_RETURN_IF_ERROR(txn.AllocateId(RecordKind::Project, &new_id));
  flatbuffers::FlatBufferBuilder b(1024);
  BuildProject(name, dataset_ids, features, settings, &b);
  ANNODB_RETURN_IF_ERROR(txn.Put(RecordKind::Project, new_id, b.GetBufferPointer(), b.GetSize(), nullptr));
  ANNODB_RETURN_IF_ERROR(txn.IndexPut(Index::kProjectByName, name, EncodeU64(new_id)));
  if (id) *id = new_id;
  return Status::OK();
}

Status FindProject(const ReadTxn& txn, const std::string& name, uint64_t* id) {
  if (name.empty() || name.size() > 200) return Status::InvalidArgument("project name must be 1..200 bytes");
  std::string_view v;
  Status s = txn.IndexGet(Index::kProjectByName, name, &v);
  if (s.IsNotFound()) return Status::NotFound("no project named '" + name + "'");
  ANNODB_RETURN_IF_ERROR(s);
  if (v.size() != 8) return Status::Corruption("project index entry is malformed");
  *id = DecodeU64(v.data());
  return Status::OK();
}

static void DecodeProject(const RecordView& v, ProjectInfo* out) {
  const fb::Project* p = v.As<fb::Project>();
  *out = ProjectInfo();
  out->id = v.id();
  out->name = FbStr(p->name());
  if (p->dataset_ids()) out->dataset_ids.assign(p->dataset_ids()->begin(), p->dataset_ids()->end());
  if (p->ontology() && p->ontology()->features()) {
    for (const fb::Feature* f : *p->ontology()->features()) {
      FeatureDef d;
      d.name = FbStr(f->name());
      d.kind = f->kind();
      d.options = Strings(f->options());
      d.classes = Strings(f->classes());
      d.required = f->required();
      out->features.push_back(std::move(d));
    }
  }
  out->settings.overlap = p->overlap();
  out->settings.lease_ttl_s = p->lease_ttl_s();
  out->settings.review_fraction = p->review_fraction();
  out->settings.gold_rate = p->gold_rate();
  out->settings.max_leases = p->max_leases();
  out->settings.instructions = FbStr(p->instructions());
  out->version = v.version();
  out->sequence = v.sequence();
}

Status GetProject(const ReadTxn& txn, uint64_t id, uint64_t as_of, ProjectInfo* out) {
  RecordView v;
  ANNODB_RETURN_IF_ERROR(as_of == kCurrent ? txn.Get(RecordKind::Project, id, &v)
                                           : txn.GetAsOf(RecordKind::Project, id, as_of, &v));
  DecodeProject(v, out);
  return Status::OK();
}

Status ListProjects(const ReadTxn& txn, std::vector<ProjectInfo>* out) {
  out->clear();
  return txn.Scan(RecordKind::Project, 1, [&](const RecordView& v) {
    out->emplace_back();
    DecodeProject(v, &out->back());
    return true;
  });
}

Status UpdateProject(WriteTxn& txn, uint64_t id, const std::vector<uint64_t>& dataset_ids,
                     const std::vector<FeatureDef>& features, const ProjectSettings& settings, PutOutcome* outcome) {
  ProjectInfo cur;
  ANNODB_RETURN_IF_ERROR(GetProject(txn, id, kCurrent, &cur));
  ANNODB_RETURN_IF_ERROR(ValidateOntology(features));
  ANNODB_RETURN_IF_ERROR(CheckOntologyExtension(cur.features, features));
  ANNODB_RETURN_IF_ERROR(ValidateProjectSettings(settings));
  ANNODB_RETURN_IF_ERROR(CheckDatasets(txn, dataset_ids));
  for (uint64_t d : cur.dataset_ids)
    if (std::find(dataset_ids.begin(), dataset_ids.end(), d) == dataset_ids.end())
      return Status::InvalidArgument("dataset " + std::to_string(d) + " cannot be removed from project '" + cur.name + "'");
  flatbuffers::FlatBufferBuilder b(1024);
  BuildProject(cur.name, dataset_ids, features, settings, &b);
  return txn.Put(RecordKind::Project, id, b.GetBufferPointer(), b.GetSize(), outcome);
}

}  // namespace annodb
