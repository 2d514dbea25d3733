// Label JSON: parsing import lines, rendering versions, JSONL import.
#include "annodb/label_json.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "annodb/asset_json.h"
#include "annodb/json_input.h"
#include "annodb/members.h"
#include "text_checks.h"

namespace annodb {
namespace {
using nlohmann::json;

Status Bad(const std::string& where, const std::string& why) { return Status::InvalidArgument(where + ": " + why); }

Status GetNumber(const json& j, const std::string& where, double* out) {
  if (!j.is_number()) return Bad(where, "expected a number");
  *out = j.get<double>();
  if (!std::isfinite(*out)) return Bad(where, "not a finite number");
  return Status::OK();
}

Status GetPoint(const json& j, const std::string& where, Point* p) {
  if (!j.is_array() || j.size() != 2) return Bad(where, "expected [x, y]");
  ANNODB_RETURN_IF_ERROR(GetNumber(j[0], where + "[0]", &p->x));
  return GetNumber(j[1], where + "[1]", &p->y);
}

Status GetPoints(const json& j, const std::string& where, std::vector<Point>* out) {
  if (!j.is_array()) return Bad(where, "expected an array of [x, y] points");
  for (size_t i = 0; i < j.size(); ++i) {
    Point p;
    ANNODB_RETURN_IF_ERROR(GetPoint(j[i], where + "[" + std::to_string(i) + "]", &p));
    out->push_back(p);
  }
  return Status::OK();
}

Status GetString(const json& j, const std::string& where, std::string* out) {
  if (!j.is_string()) return Bad(where, "expected a string");
  *out = j.get<std::string>();
  return Status::OK();
}

Status GetUint32(const json& j, const std::string& where, uint32_t* out) {
  if (!j.is_number_integer() || j.get<int64_t>() < 0 || j.get<int64_t>() > UINT32_MAX)
    return Bad(where, "expected a non-negative integer below 2^32");
  *out = static_cast<uint32_t>(j.get<int64_t>());
  return Status::OK();
}

// The keys that hold an annotation's data, one per feature kind.
bool DataKey(const std::string& k) {
  return k == "value" || k == "values" || k == "bbox" || k == "polygon" || k == "polyline" || k == "point" ||
         k == "mask" || k == "span" || k == "text";
}

// Parses one annotation object. The kind is implied by which data key is
// present; the ontology check (ValidateLabel) later confirms it matches the
// feature and refuses data of another kind.
Status ParseAnnotation(const json& a, const std::string& where, AnnotationInput* out) {
  if (!a.is_object()) return Bad(where, "expected an object");
  std::string data_key;  // at most one: a second would be dropped by the kind's encoding
  for (auto it = a.begin(); it != a.end(); ++it) {
    const std::string& k = it.key();
    const json& v = *it;
    std::string w = where + "." + k;
    if (DataKey(k)) {
      if (!data_key.empty())
        return Bad(where, "\"" + data_key + "\" and \"" + k + "\" cannot both be given (an annotation holds one kind of data)");
      data_key = k;
    }
    if (k == "feature") {
      ANNODB_RETURN_IF_ERROR(GetString(v, w, &out->feature));
    } else if (k == "value") {
      ANNODB_RETURN_IF_ERROR(GetString(v, w, &out->value));
    } else if (k == "values") {
      if (!v.is_array()) return Bad(w, "expected an array of strings");
      for (const json& s : v) {
        std::string str;
        ANNODB_RETURN_IF_ERROR(GetString(s, w + "[]", &str));
        out->values.push_back(std::move(str));
      }
    } else if (k == "class") {
      ANNODB_RETURN_IF_ERROR(GetString(v, w, &out->class_name));
    } else if (k == "bbox") {
      if (!v.is_array() || v.size() != 4) return Bad(w, "expected [x, y, width, height]");
      ANNODB_RETURN_IF_ERROR(GetNumber(v[0], w + "[0]", &out->x));
      ANNODB_RETURN_IF_ERROR(GetNumber(v[1], w + "[1]", &out->y));
      ANNODB_RETURN_IF_ERROR(GetNumber(v[2], w + "[2]", &out->w));
      ANNODB_RETURN_IF_ERROR(GetNumber(v[3], w + "[3]", &out->h));
    } else if (k == "polygon" || k == "polyline") {
      ANNODB_RETURN_IF_ERROR(GetPoints(v, w, &out->points));
    } else if (k == "point") {
      Point p;
      ANNODB_RETURN_IF_ERROR(GetPoint(v, w, &p));
      out->points.push_back(p);
    } else if (k == "mask") {
      if (!v.is_object() || !v.contains("size") || !v.contains("counts"))
        return Bad(w, "expected {\"size\": [height, width], \"counts\": \"...\"}");
      const json& size = v["size"];
      if (!size.is_array() || size.size() != 2) return Bad(w + ".size", "expected [height, width]");
      ANNODB_RETURN_IF_ERROR(GetUint32(size[0], w + ".size[0]", &out->mask_height));
      ANNODB_RETURN_IF_ERROR(GetUint32(size[1], w + ".size[1]", &out->mask_width));
      const json& counts = v["counts"];
      if (counts.is_string()) {
        out->mask_counts = counts.get<std::string>();
      } else if (counts.is_array()) {  // uncompressed RLE: store compressed
        std::vector<uint32_t> runs;
        for (const json& c : counts) {
          uint32_t r;
          ANNODB_RETURN_IF_ERROR(GetUint32(c, w + ".counts[]", &r));
          runs.push_back(r);
        }
        out->mask_counts = EncodeRle(runs);
      } else {
        return Bad(w + ".counts", "expected a COCO RLE string or an array of run lengths");
      }
    } else if (k == "span") {
      if (!v.is_array() || v.size() != 2) return Bad(w, "expected [start, end]");
      ANNODB_RETURN_IF_ERROR(GetUint32(v[0], w + "[0]", &out->span_start));
      ANNODB_RETURN_IF_ERROR(GetUint32(v[1], w + "[1]", &out->span_end));
    } else if (k == "text") {
      ANNODB_RETURN_IF_ERROR(GetString(v, w, &out->text));
    } else if (k == "score") {
      double s;
      ANNODB_RETURN_IF_ERROR(GetNumber(v, w, &s));
      out->score = static_cast<float>(s);
    } else if (k == "kind") {
      // Accepted for readability of exports; the ontology decides the kind.
      std::string kind;
      ANNODB_RETURN_IF_ERROR(GetString(v, w, &kind));
      if (!ParseFeatureKind(kind, &out->kind)) return Bad(w, "unknown kind '" + kind + "'");
    } else {
      return Bad(where, "unknown key '" + k + "'");
    }
  }
  if (out->feature.empty()) return Bad(where, "\"feature\" is required");
  return Status::OK();
}

Status ParseAnnotationArray(const json& arr, std::vector<AnnotationInput>* out) {
  if (!arr.is_array()) return Status::InvalidArgument("annotations: expected an array");
  for (size_t i = 0; i < arr.size(); ++i) {
    out->emplace_back();
    ANNODB_RETURN_IF_ERROR(ParseAnnotation(arr[i], "annotations[" + std::to_string(i) + "]", &out->back()));
  }
  return Status::OK();
}

json Pts(const std::vector<Point>& pts) {
  json a = json::array();
  for (const Point& p : pts) a.push_back({p.x, p.y});
  return a;
}

}  // namespace

Status ParseAnnotationsJson(std::string_view text, std::vector<AnnotationInput>* out, uint64_t* time_spent_ms) {
  out->clear();
  ANNODB_RETURN_IF_ERROR(CheckJsonInput(text));
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("not valid JSON");
  if (j.is_object() && j.contains("annotations")) {
    if (time_spent_ms && j.contains("time_spent_ms")) {
      if (!j["time_spent_ms"].is_number_unsigned())
        return Status::InvalidArgument("time_spent_ms: expected a non-negative integer");
      *time_spent_ms = j["time_spent_ms"].get<uint64_t>();
    }
    return ParseAnnotationArray(j["annotations"], out);
  }
  return ParseAnnotationArray(j, out);
}

Status ParseLabelJson(const ReadTxn& txn, std::string_view text, LabelInput* out) {
  *out = LabelInput();
  ANNODB_RETURN_IF_ERROR(CheckJsonInput(text));
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("expected a JSON object");
  std::string project, dataset, asset, author;
  bool have_model = false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = *it;
    if (k == "project") ANNODB_RETURN_IF_ERROR(GetString(v, k, &project));
    else if (k == "dataset") ANNODB_RETURN_IF_ERROR(GetString(v, k, &dataset));
    else if (k == "asset") ANNODB_RETURN_IF_ERROR(GetString(v, k, &asset));
    else if (k == "author") ANNODB_RETURN_IF_ERROR(GetString(v, k, &author));
    else if (k == "source") {
      std::string s;
      ANNODB_RETURN_IF_ERROR(GetString(v, k, &s));
      if (!ParseLabelSource(s, &out->source)) return Bad(k, "expected human, model, gold or aggregate");
    } else if (k == "status") {
      std::string s;
      ANNODB_RETURN_IF_ERROR(GetString(v, k, &s));
      if (!ParseLabelStatus(s, &out->status)) return Bad(k, "expected draft, submitted, accepted or rejected");
    } else if (k == "model") {
      if (!v.is_object() || !v.contains("name")) return Bad(k, "expected {\"name\": .., \"version\": ..}");
      ANNODB_RETURN_IF_ERROR(GetString(v["name"], "model.name", &out->model_name));
      if (v.contains("version")) ANNODB_RETURN_IF_ERROR(GetString(v["version"], "model.version", &out->model_version));
      have_model = true;
    } else if (k == "time_spent_ms") {
      if (!v.is_number_unsigned()) return Bad(k, "expected a non-negative integer");
      out->time_spent_ms = v.get<uint64_t>();
    } else if (k == "annotations") {
      ANNODB_RETURN_IF_ERROR(ParseAnnotationArray(v, &out->annotations));
    } else if (k == "id" || k == "project_id" || k == "asset_id" || k == "version" || k == "sequence" ||
               k == "deleted" || k == "provenance" || k == "lease_id") {
      // Output-only fields of an exported label: ignored so exports re-import.
    } else {
      return Bad(k, "unknown key");
    }
  }
  if (project.empty()) return Status::InvalidArgument("\"project\" is required");
  if (dataset.empty()) return Status::InvalidArgument("\"dataset\" is required");
  if (asset.empty()) return Status::InvalidArgument("\"asset\" (the asset's external id) is required");
  if (!j.contains("annotations")) return Status::InvalidArgument("\"annotations\" is required");
  ANNODB_RETURN_IF_ERROR(FindProject(txn, project, &out->project_id));
  uint64_t ds = 0;
  ANNODB_RETURN_IF_ERROR(FindDataset(txn, dataset, &ds));
  ANNODB_RETURN_IF_ERROR(FindAsset(txn, ds, asset, &out->asset_id));
  bool by_model = out->source == LabelSource::Model || out->source == LabelSource::Aggregate;
  if (by_model) {
    if (!have_model) return Status::InvalidArgument("a model label needs \"model\": {\"name\": .., \"version\": ..}");
    if (!author.empty()) return Status::InvalidArgument("a model label has no \"author\"");
  } else {
    if (author.empty()) return Status::InvalidArgument("\"author\" (a member name) is required");
    if (have_model) return Status::InvalidArgument("only model labels carry \"model\"");
    ANNODB_RETURN_IF_ERROR(FindMember(txn, author, &out->author_member_id));
  }
  return Status::OK();
}

namespace {

// Text is checked as UTF-8 when a label is written, so invalid bytes here
// mean a damaged or forged stored value. nlohmann's dump() would throw on
// them (type_error 316); this names the label and the field instead.
Status CheckStoredText(uint64_t label_id, const LabelInput& l) {
  std::string bad;
  auto check = [&](std::string_view value, const std::string& field) {
    if (bad.empty() && !ValidUtf8(value)) bad = field;
  };
  check(l.model_name, "model.name");
  check(l.model_version, "model.version");
  for (size_t i = 0; i < l.annotations.size(); ++i) {
    const AnnotationInput& an = l.annotations[i];
    const std::string at = "annotations[" + std::to_string(i) + "].";
    check(an.feature, at + "feature");
    check(an.value, at + "value");
    for (size_t k = 0; k < an.values.size(); ++k) check(an.values[k], at + "values[" + std::to_string(k) + "]");
    check(an.class_name, at + "class");
    check(an.mask_counts, at + "mask.counts");
    check(an.text, at + "text");
  }
  if (bad.empty()) return Status::OK();
  return Status::Corruption("label " + std::to_string(label_id) + ": stored " + bad + " is not valid UTF-8");
}

// The same for a name read from another record that the label refers to.
Status CheckStoredName(std::string_view name, const std::string& what) {
  if (ValidUtf8(name)) return Status::OK();
  return Status::Corruption(what + " is not valid UTF-8");
}

}  // namespace

Status LabelToJson(const ReadTxn& txn, const RecordView& v, std::string* out) {
  LabelInput l = DecodeLabel(v.As<fb::Label>());
  ANNODB_RETURN_IF_ERROR(CheckStoredText(v.id(), l));
  json j;
  j["id"] = v.id();
  ProjectInfo p;
  ANNODB_RETURN_IF_ERROR(GetProject(txn, l.project_id, kCurrent, &p));
  ANNODB_RETURN_IF_ERROR(CheckStoredName(p.name, "project " + std::to_string(l.project_id) + ": stored name"));
  j["project"] = p.name;
  RecordView av;
  ANNODB_RETURN_IF_ERROR(txn.GetIncludingDeleted(RecordKind::Asset, l.asset_id, &av));
  const fb::Asset* a = av.As<fb::Asset>();
  DatasetInfo d;
  ANNODB_RETURN_IF_ERROR(GetDataset(txn, a->dataset_id(), &d));
  ANNODB_RETURN_IF_ERROR(CheckStoredName(d.name, "dataset " + std::to_string(a->dataset_id()) + ": stored name"));
  j["dataset"] = d.name;
  j["asset"] = FbStr(a->external_id());
  ANNODB_RETURN_IF_ERROR(
      CheckStoredName(j["asset"].get_ref<const std::string&>(), "asset " + std::to_string(l.asset_id) + ": stored external_id"));
  j["project_id"] = l.project_id;
  j["asset_id"] = l.asset_id;
  if (l.author_member_id) {
    MemberInfo m;
    ANNODB_RETURN_IF_ERROR(GetMember(txn, l.author_member_id, &m));
    ANNODB_RETURN_IF_ERROR(CheckStoredName(m.name, "member " + std::to_string(l.author_member_id) + ": stored name"));
    j["author"] = m.name;
  }
  j["source"] = LabelSourceName(l.source);
  if (!l.model_name.empty()) j["model"] = {{"name", l.model_name}, {"version", l.model_version}};
  j["status"] = LabelStatusName(l.status);
  if (l.time_spent_ms) j["time_spent_ms"] = l.time_spent_ms;
  json anns = json::array();
  for (const AnnotationInput& an : l.annotations) {
    json o;
    o["feature"] = an.feature;
    switch (an.kind) {
      case FeatureKind::Classification: o["value"] = an.value; break;
      case FeatureKind::MultiClassification: o["values"] = an.values; break;
      case FeatureKind::BBox: o["bbox"] = {an.x, an.y, an.w, an.h}; break;
      case FeatureKind::Polygon: o["polygon"] = Pts(an.points); break;
      case FeatureKind::Polyline: o["polyline"] = Pts(an.points); break;
      case FeatureKind::Point:
        if (!an.points.empty()) o["point"] = {an.points[0].x, an.points[0].y};
        break;
      case FeatureKind::Mask: o["mask"] = {{"size", {an.mask_height, an.mask_width}}, {"counts", an.mask_counts}}; break;
      case FeatureKind::Span: o["span"] = {an.span_start, an.span_end}; break;
      case FeatureKind::Text: o["text"] = an.text; break;
    }
    if (!an.class_name.empty()) o["class"] = an.class_name;
    if (an.score) o["score"] = FloatForJson(*an.score);
    anns.push_back(std::move(o));
  }
  j["annotations"] = std::move(anns);
  j["version"] = v.version();
  j["sequence"] = v.sequence();
  j["deleted"] = v.deleted();
  j["provenance"] = json::parse(ProvenanceToJson(v));
  *out = j.dump();
  return Status::OK();
}

namespace {
// Reads a JSONL input line by line; standard input is spooled to a temporary
// file on the first pass so the second pass can read it again.
class LineSource {
 public:
  Status Open(const std::string& path) {
    name_ = path == "-" ? std::string("standard input") : "'" + path + "'";
    if (path == "-") {
      spool_ = std::tmpfile();
      if (!spool_) return Status::IOError("cannot create a temporary file for standard input");
      char buf[65536];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0)
        if (std::fwrite(buf, 1, n, spool_) != n) return Status::IOError("cannot spool standard input");
      if (std::ferror(stdin)) return Status::IOError("cannot read standard input");
      // The passes reopen the spool by name: what is still in this FILE's
      // buffer must reach the file first, or they read a truncated input.
      if (std::fflush(spool_) != 0) return Status::IOError("cannot spool standard input");
      path_ = "/proc/self/fd/" + std::to_string(fileno(spool_));
    } else {
      path_ = path;
    }
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::NotFound("no file " + name_);
      return Status::IOError("cannot read " + name_ + ": " + std::strerror(errno));
    }
    // An ifstream "opens" a directory and reads nothing from it.
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(name_ + " is a directory, not a JSON Lines file");
    std::ifstream probe(path_);
    if (!probe) return Status::IOError("cannot read " + name_);
    return Status::OK();
  }
  ~LineSource() {
    if (spool_) std::fclose(spool_);
  }
  const std::string& path() const { return path_; }
  // "standard input" or the quoted file name, for messages.
  const std::string& name() const { return name_; }

 private:
  std::string path_, name_;
  FILE* spool_ = nullptr;
};

Status ReadLine(std::istream& in, std::string* line, uint64_t lineno, bool* eof) {
  *eof = !std::getline(in, *line);
  if (!*eof && line->size() > (size_t{16} << 20))
    return Status::InvalidArgument("line " + std::to_string(lineno) + ": longer than 16 MiB");
  if (!*eof && !line->empty() && line->back() == '\r') line->pop_back();
  return Status::OK();
}
}  // namespace

Status ImportLabelsJsonl(Store& store, const std::string& path, const Actor& actor, size_t batch_rows,
                         LabelImportReport* report) {
  *report = LabelImportReport();
  if (batch_rows == 0) batch_rows = 1;
  LineSource src;
  ANNODB_RETURN_IF_ERROR(src.Open(path));
  // Pass 1: parse, resolve and validate every line, writing nothing.
  {
    std::ifstream in(src.path());
    ANNODB_RETURN_IF_ERROR(store.Read([&](ReadTxn& t) {
      std::string line;
      uint64_t lineno = 0;
      LabelInput l;
      bool eof = false;
      while (true) {
        ++lineno;
        ANNODB_RETURN_IF_ERROR(ReadLine(in, &line, lineno, &eof));
        if (eof) break;
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        std::string where = "line " + std::to_string(lineno);
        ANNODB_RETURN_IF_ERROR(ParseLabelJson(t, line, &l).WithContext(where));
        ProjectInfo p;
        ANNODB_RETURN_IF_ERROR(GetProject(t, l.project_id, kCurrent, &p).WithContext(where));
        RecordView av;
        ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Asset, l.asset_id, &av).WithContext(where));
        AssetInput asset;
        asset.width = av.As<fb::Asset>()->width();
        asset.height = av.As<fb::Asset>()->height();
        asset.text = FbStr(av.As<fb::Asset>()->text());
        ANNODB_RETURN_IF_ERROR(ValidateLabel(p, asset, &l).WithContext(where));
        ++report->lines;
      }
      return Status::OK();
    }));
  }
  if (report->lines == 0) return Status::InvalidArgument(src.name() + " holds no labels; nothing was written");
  // Pass 2: write in batches.
  std::ifstream in(src.path());
  uint64_t lineno = 0;
  bool eof = false;
  Actor job_actor = actor;
  if (job_actor.kind == ActorKind::kSystem) job_actor.kind = ActorKind::kImportJob;
  while (!eof) {
    std::streampos start = in.tellg();
    uint64_t start_line = lineno;
    LabelImportReport batch;
    uint64_t job_id = 0;
    bool nothing_changed = false;
    Status s = store.Write(job_actor, [&](WriteTxn& t) {
      // A retried batch (map growth) re-reads its lines from the start.
      in.clear();
      in.seekg(start);
      lineno = start_line;
      batch = LabelImportReport();
      nothing_changed = false;
      // The job id is allocated by the first batch that writes; a batch that
      // changes nothing is rolled back, and its allocation with it.
      job_id = report->job_id;
      if (job_id == 0) ANNODB_RETURN_IF_ERROR(t.AllocateCounter("job", &job_id));
      Actor a = job_actor;
      a.job_id = job_id;
      t.set_actor(a);
      std::string line;
      LabelInput l;
      size_t rows = 0;
      while (rows < batch_rows) {
        ++lineno;
        ANNODB_RETURN_IF_ERROR(ReadLine(in, &line, lineno, &eof));
        if (eof) break;
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        std::string where = "line " + std::to_string(lineno);
        ANNODB_RETURN_IF_ERROR(ParseLabelJson(t, line, &l).WithContext(where));
        PutOutcome o;
        ANNODB_RETURN_IF_ERROR(PutLabel(t, std::move(l), nullptr, &o).WithContext(where));
        (o == PutOutcome::kCreated ? batch.created : o == PutOutcome::kUpdated ? batch.updated : batch.unchanged)++;
        ++rows;
      }
      if (t.pending_sequence() == 0) {
        nothing_changed = true;
        return Status::Aborted("nothing changed");  // roll back: no commit, no job id
      }
      return Status::OK();
    });
    if (!s.ok() && !(nothing_changed && s.code() == Code::kAborted)) return s;
    if (!nothing_changed) report->job_id = job_id;
    report->created += batch.created;
    report->updated += batch.updated;
    report->unchanged += batch.unchanged;
    ++report->batches;
  }
  return Status::OK();
}

}  // namespace annodb
