// RestoreNdjson: an NDJSON export back into a store, provenance kept.
#include <fstream>
#include <iostream>

#include "annodb/asset_json.h"
#include "annodb/assets.h"
#include "annodb/comments.h"
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

class Restorer {
 public:
  Restorer(WriteTxn& t, RestoreReport* r) : t_(t), r_(r) {}

  Status Line(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("not a JSON object");
    if (!j.contains("type") || !j["type"].is_string()) return Status::InvalidArgument("\"type\" is missing");
    std::string type = j["type"].get<std::string>();
    try {
      if (type == "header") {
        if (j.value("format", std::string()) != "annodb-ndjson" || j.value("version", 0) != 1)
          return Status::InvalidArgument("not an annodb-ndjson version 1 export");
        seen_header_ = true;
        return Status::OK();
      }
      if (!seen_header_) return Status::InvalidArgument("the export must start with its header line");
      ANNODB_RETURN_IF_ERROR(Provenance(j));
      if (type == "member") return Member(j);
      if (type == "dataset") return Dataset(j);
      if (type == "project") return Project(j);
      if (type == "asset") return Asset(j);
      return Status::InvalidArgument("unknown line type '" + type + "'");
    } catch (const json::exception& e) {
      return Status::InvalidArgument(std::string("malformed field: ") + e.what());
    }
  }

 private:
  Status Provenance(const json& j) {
    if (!j.contains("provenance")) return Status::InvalidArgument("\"provenance\" is missing");
    ANNODB_RETURN_IF_ERROR(ndjson::ParseProvenance(j["provenance"], &prov_));
    t_.set_provenance_override(&prov_);
    return Status::OK();
  }

  Status Member(const json& j) {
    std::string name = j.at("name").get<std::string>();
    Role role;
    if (!ParseRole(j.at("role").get<std::string>(), &role)) return Status::InvalidArgument("unknown role");
    bool active = j.value("active", true);
    uint64_t id = 0;
    Status s = FindMember(t_, name, &id);
    if (s.IsNotFound()) {
      ANNODB_RETURN_IF_ERROR(AddMember(t_, name, role, j.value("display_name", std::string()), &id));
      if (!active) ANNODB_RETURN_IF_ERROR(UpdateMember(t_, id, role, active, nullptr));
    } else {
      ANNODB_RETURN_IF_ERROR(s);
      ANNODB_RETURN_IF_ERROR(UpdateMember(t_, id, role, active, nullptr));
    }
    ++r_->members;
    return Status::OK();
  }

  Status Dataset(const json& j) {
    std::string name = j.at("name").get<std::string>();
    uint64_t id = 0;
    Status s = FindDataset(t_, name, &id);
    if (s.IsNotFound()) ANNODB_RETURN_IF_ERROR(CreateDataset(t_, name, j.value("description", std::string()), &id));
    else ANNODB_RETURN_IF_ERROR(s);
    ++r_->datasets;
    return Status::OK();
  }

  Status Project(const json& j) {
    std::string name = j.at("name").get<std::string>();
    std::vector<uint64_t> ds;
    for (const json& d : j.at("datasets")) {
      uint64_t id = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(t_, d.get<std::string>(), &id));
      ds.push_back(id);
    }
    std::vector<FeatureDef> features;
    ANNODB_RETURN_IF_ERROR(ParseOntologyJson(j.at("ontology").dump(), &features));
    const json& st = j.at("settings");
    ProjectSettings settings;
    settings.overlap = st.value("overlap", 1u);
    settings.lease_ttl_s = st.value("lease_ttl_s", 1800u);
    settings.review_fraction = st.value("review_fraction", 0.0f);
    settings.gold_rate = st.value("gold_rate", 0.0f);
    settings.max_leases = st.value("max_leases", 0u);
    settings.instructions = st.value("instructions", std::string());
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
    std::string dataset = j.at("dataset").get<std::string>();
    uint64_t ds = 0;
    ANNODB_RETURN_IF_ERROR(FindDataset(t_, dataset, &ds));
    AssetInput in;
    ANNODB_RETURN_IF_ERROR(ParseAssetJson(j.at("asset").dump(), &in).WithContext("asset"));
    uint64_t asset_id = 0;
    ANNODB_RETURN_IF_ERROR(PutAsset(t_, ds, in, &asset_id, nullptr));
    ++r_->assets;
    std::vector<uint64_t> label_ids;
    size_t index = 0;
    for (const json& l : j.at("labels")) {
      std::string where = "labels[" + std::to_string(index++) + "]";
      ProvenanceInfo lp;
      ANNODB_RETURN_IF_ERROR(ndjson::ParseProvenance(l.at("provenance"), &lp).WithContext(where));
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
    for (const json& c : j.at("comments")) {
      std::string where = "comments[" + std::to_string(index++) + "]";
      uint64_t root = 0;
      ANNODB_RETURN_IF_ERROR(Comment(c, asset_id, label_ids, 0, &root).WithContext(where));
      if (c.contains("replies"))
        for (const json& r : c["replies"]) ANNODB_RETURN_IF_ERROR(Comment(r, asset_id, label_ids, root, nullptr).WithContext(where));
    }
    t_.set_provenance_override(nullptr);
    return Status::OK();
  }

  Status Comment(const json& c, uint64_t asset_id, const std::vector<uint64_t>& label_ids, uint64_t thread, uint64_t* id) {
    ProvenanceInfo cp;
    ANNODB_RETURN_IF_ERROR(ndjson::ParseProvenance(c.at("provenance"), &cp));
    t_.set_provenance_override(&cp);
    CommentInput in;
    ANNODB_RETURN_IF_ERROR(FindMember(t_, c.at("author").get<std::string>(), &in.author_member_id));
    in.body = c.at("body").get<std::string>();
    in.thread_id = thread;
    std::string issue = c.value("issue", std::string("none"));
    if (!thread) {
      if (c.contains("label")) {
        size_t li = c["label"].get<size_t>();
        if (li >= label_ids.size()) return Status::InvalidArgument("\"label\" " + std::to_string(li) + " is out of range");
        in.label_id = label_ids[li];
      } else {
        in.asset_id = asset_id;
      }
      in.annotation_index = c.value("annotation", -1);
      if (c.contains("region")) {
        const json& r = c["region"];
        if (r.contains("box")) in.region_box = Box{r["box"][0], r["box"][1], r["box"][2], r["box"][3]};
        if (r.contains("point")) in.region_point = Point{r["point"][0], r["point"][1]};
      }
      in.issue = issue != "none";
      if (c.contains("project")) ANNODB_RETURN_IF_ERROR(FindProject(t_, c["project"].get<std::string>(), &in.project_id));
    }
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
    file.open(path);
    if (!file) return Status::IOError("cannot read '" + path + "'");
    in = &file;
  }
  // Standard input cannot be re-read if the transaction is retried after the
  // map grows, so the input is kept in memory for that case only.
  std::string all;
  if (in == &std::cin) all.assign(std::istreambuf_iterator<char>(std::cin), {});
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
      if (!ValidUtf8(line)) return Status::InvalidArgument("line " + std::to_string(lineno) + ": not valid UTF-8");
      ANNODB_RETURN_IF_ERROR(r.Line(line).WithContext("line " + std::to_string(lineno)));
      ++report->lines;
    }
    return Status::OK();
  });
}

}  // namespace annodb
