// RestoreNdjson: an NDJSON export back into a store, provenance kept.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/comments.h"
#include "annodb/json_input.h"
#include "annodb/label_json.h"
#include "annodb/members.h"
#include "annodb/ndjson.h"
#include "annodb/projects.h"
#include "indexed_record.h"
#include "ndjson_common.h"
#include "text_checks.h"

namespace annodb {
namespace {
using nlohmann::json;

using ndjson::ReadBool;
using ndjson::ReadContainer;
using ndjson::ReadNumber;
using ndjson::ReadString;
using ndjson::ReadUint;
constexpr json::value_t kObject = json::value_t::object;
constexpr json::value_t kArray = json::value_t::array;

// [x, y, ...]: exactly n numbers.
Status ReadNumbers(const json& j, const char* key, size_t n, std::vector<double>* out) {
  const json* v = nullptr;
  ANNODB_RETURN_IF_ERROR(ReadContainer(j, key, kArray, true, &v));
  if (v->size() != n) return ndjson::TypeError(key, (std::to_string(n) + " numbers").c_str());
  out->clear();
  for (const json& x : *v) {
    if (!x.is_number()) return ndjson::TypeError(key, (std::to_string(n) + " numbers").c_str());
    out->push_back(x.get<double>());
  }
  return Status::OK();
}

class Restorer {
 public:
  Restorer(WriteTxn& t, RestoreReport* r) : t_(t), r_(r) {}

  Status Line(const std::string& text) {
    ANNODB_RETURN_IF_ERROR(CheckJsonInput(text));
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("expected a JSON object");
    std::string type;
    ANNODB_RETURN_IF_ERROR(ReadString(j, "type", true, &type));
    if (type == "header") {
      std::string format;
      uint64_t version = 0;
      ANNODB_RETURN_IF_ERROR(ReadString(j, "format", false, &format));
      if (format == "annodb-ndjson") ANNODB_RETURN_IF_ERROR(ReadUint(j, "version", UINT64_MAX, false, &version));
      if (format != "annodb-ndjson" || version != 1)
        return Status::InvalidArgument("not an annodb-ndjson version 1 export");
      seen_header_ = true;
      return Status::OK();
    }
    if (type != "member" && type != "dataset" && type != "project" && type != "asset")
      return Status::InvalidArgument("unknown record type '" + type.substr(0, 64) +
                                     "' (expected header, member, dataset, project or asset)");
    if (!seen_header_) return Status::InvalidArgument("the export must start with its header line");
    ANNODB_RETURN_IF_ERROR(Provenance(j));
    if (type == "member") return Member(j);
    if (type == "dataset") return Dataset(j);
    if (type == "project") return Project(j);
    return Asset(j);
  }

  bool seen_header() const { return seen_header_; }

 private:
  Status Provenance(const json& j) {
    const json* p = nullptr;
    ANNODB_RETURN_IF_ERROR(ReadContainer(j, "provenance", kObject, true, &p));
    ANNODB_RETURN_IF_ERROR(ndjson::ParseProvenance(*p, &prov_));
    t_.set_provenance_override(&prov_);
    return Status::OK();
  }

  Status Member(const json& j) {
    std::string name, role_name, display;
    bool active = true;
    ANNODB_RETURN_IF_ERROR(ReadString(j, "name", true, &name));
    ANNODB_RETURN_IF_ERROR(ReadString(j, "role", true, &role_name));
    ANNODB_RETURN_IF_ERROR(ReadBool(j, "active", false, &active));
    ANNODB_RETURN_IF_ERROR(ReadString(j, "display_name", false, &display));
    Role role;
    if (!ParseRole(role_name, &role))
      return Status::InvalidArgument("role: unknown role '" + role_name.substr(0, 64) + "'");
    uint64_t id = 0;
    Status s = FindMember(t_, name, &id);
    if (s.IsNotFound()) {
      ANNODB_RETURN_IF_ERROR(AddMember(t_, name, role, display, &id));
      if (!active) ANNODB_RETURN_IF_ERROR(UpdateMember(t_, id, role, active, nullptr));
    } else {
      ANNODB_RETURN_IF_ERROR(s);
      ANNODB_RETURN_IF_ERROR(UpdateMember(t_, id, role, active, nullptr));
    }
    ++r_->members;
    return Status::OK();
  }

  Status Dataset(const json& j) {
    std::string name, description;
    ANNODB_RETURN_IF_ERROR(ReadString(j, "name", true, &name));
    ANNODB_RETURN_IF_ERROR(ReadString(j, "description", false, &description));
    uint64_t id = 0;
    Status s = FindDataset(t_, name, &id);
    if (s.IsNotFound()) ANNODB_RETURN_IF_ERROR(CreateDataset(t_, name, description, &id));
    else ANNODB_RETURN_IF_ERROR(s);
    ++r_->datasets;
    return Status::OK();
  }

  static Status ReadSettings(const json& st, ProjectSettings* out) {
    uint64_t overlap = out->overlap, ttl = out->lease_ttl_s, max_leases = out->max_leases;
    double review = out->review_fraction, gold = out->gold_rate;
    ANNODB_RETURN_IF_ERROR(ReadUint(st, "overlap", UINT32_MAX, false, &overlap));
    ANNODB_RETURN_IF_ERROR(ReadUint(st, "lease_ttl_s", UINT32_MAX, false, &ttl));
    ANNODB_RETURN_IF_ERROR(ReadNumber(st, "review_fraction", false, &review));
    ANNODB_RETURN_IF_ERROR(ReadNumber(st, "gold_rate", false, &gold));
    ANNODB_RETURN_IF_ERROR(ReadUint(st, "max_leases", UINT32_MAX, false, &max_leases));
    ANNODB_RETURN_IF_ERROR(ReadString(st, "instructions", false, &out->instructions));
    out->overlap = static_cast<uint32_t>(overlap);
    out->lease_ttl_s = static_cast<uint32_t>(ttl);
    out->max_leases = static_cast<uint32_t>(max_leases);
    // Exported from floats in their shortest form: the conversion is exact.
    out->review_fraction = static_cast<float>(review);
    out->gold_rate = static_cast<float>(gold);
    return Status::OK();
  }

  Status Project(const json& j) {
    std::string name;
    ANNODB_RETURN_IF_ERROR(ReadString(j, "name", true, &name));
    const json *datasets = nullptr, *ontology = nullptr, *st = nullptr;
    ANNODB_RETURN_IF_ERROR(ReadContainer(j, "datasets", kArray, true, &datasets));
    ANNODB_RETURN_IF_ERROR(ReadContainer(j, "ontology", kObject, true, &ontology));
    ANNODB_RETURN_IF_ERROR(ReadContainer(j, "settings", kObject, true, &st));
    std::vector<uint64_t> ds;
    for (const json& d : *datasets) {
      if (!d.is_string()) return Status::InvalidArgument("datasets: expected an array of dataset names");
      uint64_t id = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(t_, d.get<std::string>(), &id));
      ds.push_back(id);
    }
    std::vector<FeatureDef> features;
    ANNODB_RETURN_IF_ERROR(ParseOntologyJson(ontology->dump(), &features));
    ProjectSettings settings;
    ANNODB_RETURN_IF_ERROR(ReadSettings(*st, &settings).WithContext("settings"));
    uint64_t id = 0;
    Status s = FindProject(t_, name, &id);
    if (s.IsNotFound()) ANNODB_RETURN_IF_ERROR(CreateProject(t_, name, ds, features, settings, &id));
    else {
      ANNODB_RETURN_IF_ERROR(s);
      ANNODB_RETURN_IF_ERROR(UpdateProject(t_, id, ds, features, settings, nullptr));
    }
    ++r_->projects;
    return Status::OK();
  }

  Status Asset(const json& j) {
    std::string dataset;
    ANNODB_RETURN_IF_ERROR(ReadString(j, "dataset", true, &dataset));
    const json *asset = nullptr, *labels = nullptr, *comments = nullptr;
    ANNODB_RETURN_IF_ERROR(ReadContainer(j, "asset", kObject, true, &asset));
    ANNODB_RETURN_IF_ERROR(ReadContainer(j, "labels", kArray, true, &labels));
    ANNODB_RETURN_IF_ERROR(ReadContainer(j, "comments", kArray, true, &comments));
    uint64_t ds = 0;
    ANNODB_RETURN_IF_ERROR(FindDataset(t_, dataset, &ds));
    AssetInput in;
    ANNODB_RETURN_IF_ERROR(ParseAssetJson(asset->dump(), &in).WithContext("asset"));
    uint64_t asset_id = 0;
    ANNODB_RETURN_IF_ERROR(PutAsset(t_, ds, in, &asset_id, nullptr));
    ++r_->assets;
    std::vector<uint64_t> label_ids;
    size_t index = 0;
    for (const json& l : *labels) {
      std::string where = "labels[" + std::to_string(index++) + "]";
      if (!l.is_object()) return Status::InvalidArgument(where + ": expected an object");
      const json* prov = nullptr;
      ANNODB_RETURN_IF_ERROR(ReadContainer(l, "provenance", kObject, true, &prov).WithContext(where));
      ProvenanceInfo lp;
      ANNODB_RETURN_IF_ERROR(ndjson::ParseProvenance(*prov, &lp).WithContext(where));
      json line = l;
      line["dataset"] = dataset;
      line["asset"] = in.external_id;
      LabelInput label;
      ANNODB_RETURN_IF_ERROR(ParseLabelJson(t_, line.dump(), &label).WithContext(where));
      t_.set_provenance_override(&lp);
      uint64_t id = 0;
      ANNODB_RETURN_IF_ERROR(PutLabel(t_, std::move(label), &id, nullptr).WithContext(where));
      label_ids.push_back(id);
      ++r_->labels;
    }
    index = 0;
    for (const json& c : *comments) {
      std::string where = "comments[" + std::to_string(index++) + "]";
      uint64_t root = 0;
      ANNODB_RETURN_IF_ERROR(Comment(c, asset_id, label_ids, 0, &root).WithContext(where));
      const json* replies = nullptr;
      ANNODB_RETURN_IF_ERROR(ReadContainer(c, "replies", kArray, false, &replies).WithContext(where));
      size_t ri = 0;
      if (replies)
        for (const json& r : *replies)
          ANNODB_RETURN_IF_ERROR(Comment(r, asset_id, label_ids, root, nullptr)
                                     .WithContext(where + ".replies[" + std::to_string(ri++) + "]"));
    }
    t_.set_provenance_override(nullptr);
    return Status::OK();
  }

  Status Comment(const json& c, uint64_t asset_id, const std::vector<uint64_t>& label_ids, uint64_t thread, uint64_t* id) {
    if (!c.is_object()) return Status::InvalidArgument("expected an object");
    const json* prov = nullptr;
    ANNODB_RETURN_IF_ERROR(ReadContainer(c, "provenance", kObject, true, &prov));
    ProvenanceInfo cp;
    ANNODB_RETURN_IF_ERROR(ndjson::ParseProvenance(*prov, &cp));
    CommentInput in;
    std::string author, issue = "none";
    ANNODB_RETURN_IF_ERROR(ReadString(c, "author", true, &author));
    ANNODB_RETURN_IF_ERROR(ReadString(c, "body", true, &in.body));
    ANNODB_RETURN_IF_ERROR(ReadString(c, "issue", false, &issue));
    if (issue != "none" && issue != "open" && issue != "resolved" && issue != "reopened")
      return Status::InvalidArgument("issue: expected none, open, resolved or reopened, not '" + issue.substr(0, 64) + "'");
    ANNODB_RETURN_IF_ERROR(FindMember(t_, author, &in.author_member_id));
    in.thread_id = thread;
    if (!thread) {
      uint64_t li = UINT64_MAX, annotation = UINT64_MAX;
      ANNODB_RETURN_IF_ERROR(ReadUint(c, "label", UINT64_MAX, false, &li));
      if (li != UINT64_MAX) {
        if (li >= label_ids.size()) return Status::InvalidArgument("\"label\" " + std::to_string(li) + " is out of range");
        in.label_id = label_ids[li];
      } else {
        in.asset_id = asset_id;
      }
      ANNODB_RETURN_IF_ERROR(ReadUint(c, "annotation", INT32_MAX, false, &annotation));
      if (annotation != UINT64_MAX) in.annotation_index = static_cast<int32_t>(annotation);
      const json* region = nullptr;
      ANNODB_RETURN_IF_ERROR(ReadContainer(c, "region", kObject, false, &region));
      if (region) {
        std::vector<double> v;
        if (region->contains("box")) {
          ANNODB_RETURN_IF_ERROR(ReadNumbers(*region, "box", 4, &v).WithContext("region"));
          in.region_box = Box{v[0], v[1], v[2], v[3]};
        }
        if (region->contains("point")) {
          ANNODB_RETURN_IF_ERROR(ReadNumbers(*region, "point", 2, &v).WithContext("region"));
          in.region_point = Point{v[0], v[1]};
        }
      }
      in.issue = issue != "none";
      std::string project;
      ANNODB_RETURN_IF_ERROR(ReadString(c, "project", false, &project));
      if (!project.empty()) ANNODB_RETURN_IF_ERROR(FindProject(t_, project, &in.project_id));
    }
    t_.set_provenance_override(&cp);
    uint64_t cid = 0;
    ANNODB_RETURN_IF_ERROR(FindSameComment(in, cp, asset_id, &cid));
    if (cid) {
      ++r_->comments_existing;
    } else {
      ANNODB_RETURN_IF_ERROR(AddComment(t_, in, &cid));
      // Replay the issue's state changes with the exported provenance.
      if (issue == "resolved" || issue == "reopened") ANNODB_RETURN_IF_ERROR(ResolveIssue(t_, cid));
      if (issue == "reopened") ANNODB_RETURN_IF_ERROR(ReopenIssue(t_, cid));
      ++r_->comments;
    }
    if (id) *id = cid;
    return Status::OK();
  }

  // A comment has no name to upsert by, so a comment already in the store
  // counts as this one when it sits in the same place (the asset's threads,
  // or the same thread), on the same label, by the same author, with the
  // same body, and its current version carries the exported provenance
  // (actor and time). Restoring one export twice then finds its comments
  // instead of adding them again; 0 when there is none.
  Status FindSameComment(const CommentInput& in, const ProvenanceInfo& p, uint64_t asset_id, uint64_t* found) {
    *found = 0;
    std::vector<uint64_t> ids;
    if (in.thread_id) ANNODB_RETURN_IF_ERROR(ListThread(t_, in.thread_id, &ids));
    else ANNODB_RETURN_IF_ERROR(ListThreads(t_, {asset_id, 0, 0, false}, &ids));
    for (uint64_t id : ids) {
      if (id == in.thread_id) continue;  // the thread's root, listed with its replies
      RecordView v;
      ANNODB_RETURN_IF_ERROR(GetIndexedRecord(t_, in.thread_id ? Index::kCommentByThread : Index::kCommentByAsset,
                                              RecordKind::Comment, id, &v));
      if (v.deleted()) continue;
      const fb::Comment* c = v.As<fb::Comment>();
      const fb::Provenance* vp = v.provenance();
      // (A reply takes its thread's label, so within a thread the label
      // says nothing more.)
      const bool same_label = in.thread_id || c->label_id() == in.label_id;
      if (c->author_member_id() == in.author_member_id && same_label &&
          FbStr(c->body()) == in.body && vp && vp->time_us() == p.time_us && FbStr(vp->actor_name()) == p.actor_name) {
        *found = id;
        return Status::OK();
      }
    }
    return Status::OK();
  }

  WriteTxn& t_;
  RestoreReport* r_;
  ProvenanceInfo prov_;
  bool seen_header_ = false;
};

}  // namespace

Status RestoreNdjson(Store& store, const std::string& path, RestoreReport* report) {
  if (!report) return Status::InvalidArgument("report is null");
  *report = RestoreReport();
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    std::error_code ec;
    // An ifstream opens a directory and reads nothing from it.
    if (std::filesystem::is_directory(path, ec))
      return Status::InvalidArgument("'" + path + "' is a directory, not an export file");
    file.open(path);
    if (!file) return Status::IOError("cannot read '" + path + "'");
    in = &file;
  }
  // Standard input cannot be re-read if the transaction is retried after the
  // map grows, so the input is kept in memory for that case only.
  std::string all;
  if (in == &std::cin) {
    // read() turns a failing read (standard input redirected from a
    // directory) into badbit; an istreambuf_iterator would throw.
    char buf[65536];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) all.append(buf, static_cast<size_t>(std::cin.gcount()));
    if (std::cin.bad()) return Status::IOError("cannot read standard input");
  }
  Actor restorer;
  restorer.kind = ActorKind::kImportJob;
  restorer.name = "restore";
  // One transaction: a bad line anywhere leaves the store untouched.
  return store.Write(restorer, [&](WriteTxn& t) {
    *report = RestoreReport();
    Restorer r(t, report);
    std::istringstream mem(all);
    std::istream& src = in == &std::cin ? static_cast<std::istream&>(mem) : *in;
    src.clear();
    src.seekg(0);
    std::string line;
    uint64_t lineno = 0;
    while (std::getline(src, line)) {
      ++lineno;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      ANNODB_RETURN_IF_ERROR(r.Line(line).WithContext("line " + std::to_string(lineno)));
      ++report->lines;
    }
    if (src.bad()) return Status::IOError("cannot read " + (path == "-" ? std::string("standard input") : "'" + path + "'"));
    // Every export starts with its header: without one this is not an export
    // (an empty file, or the wrong file).
    if (!r.seen_header())
      return Status::InvalidArgument((path == "-" ? std::string("standard input") : "'" + path + "'") +
                                     " is not an annodb export (no header line)");
    return Status::OK();
  });
}

}  // namespace annodb
