// C ABI: NDJSON export (file and buffer) and restore: restoring an export into
// an empty store and exporting again gives the same bytes; a snapshot exports
// the same bytes twice with writes in between.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "capi_test_util.h"

using namespace capi_test;

namespace {

const char* kOntology = R"({"features": [
  {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]},
  {"name": "tags", "kind": "multi_classification", "options": ["wet", "night", "busy"]},
  {"name": "vehicle", "kind": "bbox", "classes": ["car", "truck"]},
  {"name": "road", "kind": "polygon"},
  {"name": "lane", "kind": "polyline"},
  {"name": "head", "kind": "point"},
  {"name": "sky", "kind": "mask"},
  {"name": "entity", "kind": "span", "classes": ["PER", "LOC"]},
  {"name": "caption", "kind": "text", "required": true}]})";

const char* kLabels[] = {
    R"({"project":"street","dataset":"cams","asset":"img-0001","author":"alice","source":"human","time_spent_ms":700,)"
    R"("annotations":[{"feature":"weather","value":"rain"},{"feature":"tags","values":["wet","night"]},)"
    R"({"feature":"vehicle","class":"car","bbox":[10.5,20,100,50],"score":0.91},)"
    R"({"feature":"road","polygon":[[0,0],[10,0],[10,10]]},{"feature":"lane","polyline":[[0,0],[5,5]]},)"
    R"({"feature":"head","point":[3,4]},{"feature":"sky","mask":{"size":[480,640],"counts":[1000,500,305700]}},)"
    R"({"feature":"caption","text":"a red car"}]})",
    R"({"project":"street","dataset":"cams","asset":"img-0001","source":"model","model":{"name":"yolo","version":"8.1"},)"
    R"("annotations":[{"feature":"vehicle","class":"truck","bbox":[1,2,3,4],"score":0.5}]})",
    R"({"project":"street","dataset":"cams","asset":"doc-1","author":"bob","source":"gold","status":"accepted",)"
    R"("time_spent_ms":1234,"annotations":[{"feature":"entity","class":"PER","span":[0,4]}]})",
};

annodb_actor Person(const char* name) {
  annodb_actor a;
  annodb_actor_init(&a, sizeof a);
  a.kind = ANNODB_ACTOR_PERSON;
  a.name = name;
  return a;
}

// Datasets, assets with metadata, a project, members (one inactive), labels
// of every kind and a prediction, an issue with a mention, a reply, resolved,
// and an asset issue at a point — all written through the C ABI.
void Populate(TestStore& st) {
  annodb_actor alice = Person("alice"), bob = Person("bob");
  REQUIRE(annodb_dataset_create(st, "cams", "street cameras", &alice, nullptr) == ANNODB_OK);
  REQUIRE(annodb_dataset_create(st, "spare", nullptr, &alice, nullptr) == ANNODB_OK);
  uint64_t img = 0, doc = 0;
  REQUIRE(annodb_asset_put_json(st, "cams",
                                R"({"external_id":"img-0001","uri":"file:///img-0001.jpg","media_type":"image/jpeg",
                                    "width":640,"height":480,"metadata":{"camera":"A","lux":12.25,"n":-3,"night":true,
                                    "taken":{"$time":"2024-05-01T12:00:00.123456Z"}},"embedding":[0.5,-1]})",
                                &alice, &img, nullptr) == ANNODB_OK);
  REQUIRE(annodb_asset_put_json(st, "cams",
                                R"({"external_id":"doc-1","uri":"file:///doc-1.txt","text":"Anna lives in Zürich."})",
                                &alice, &doc, nullptr) == ANNODB_OK);
  REQUIRE(annodb_asset_put_json(st, "spare", R"({"external_id":"s-1","uri":"file:///s-1"})", &alice, nullptr,
                                nullptr) == ANNODB_OK);
  const char* ds[] = {"cams"};
  annodb_project_settings ps;
  REQUIRE(annodb_project_settings_init(&ps, sizeof ps) == ANNODB_OK);
  ps.overlap = 2;
  ps.review_fraction = 0.2;
  ps.instructions = "Label *everything*.";
  REQUIRE(annodb_project_create(st, "street", ds, 1, kOntology, &ps, &alice, nullptr) == ANNODB_OK);
  REQUIRE(annodb_member_add(st, "alice", "labeler", "Alice", nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_member_add(st, "bob", "reviewer", "Bob B.", nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_member_add(st, "carl", "admin", nullptr, nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_member_set_active(st, "carl", 0, nullptr, nullptr) == ANNODB_OK);
  uint64_t first = 0;
  for (const char* line : kLabels) {
    uint64_t id = 0;
    int rc = annodb_label_put_json(st, line, &alice, &id, nullptr);
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    if (!first) first = id;
  }
  annodb_comment_target t;
  REQUIRE(annodb_comment_target_init(&t, sizeof t) == ANNODB_OK);
  t.label_id = first;
  t.has_annotation = 1;
  t.annotation_index = 2;
  t.has_region_box = 1;
  t.box_x = 10;
  t.box_y = 20;
  t.box_w = 30;
  t.box_h = 40;
  t.issue = 1;
  uint64_t root = 0;
  REQUIRE(annodb_comment_add(st, &t, "bob", "Is this a *truck*? @alice", &bob, &root) == ANNODB_OK);
  REQUIRE(annodb_comment_reply(st, root, "alice", "No, a car.", &alice, nullptr) == ANNODB_OK);
  REQUIRE(annodb_comment_resolve(st, root, &bob) == ANNODB_OK);
  annodb_comment_target at;
  REQUIRE(annodb_comment_target_init(&at, sizeof at) == ANNODB_OK);
  at.asset_id = doc;
  at.project = "street";
  at.issue = 1;
  at.has_region_point = 1;
  at.point_x = 1;
  at.point_y = 1;
  REQUIRE(annodb_comment_add(st, &at, "alice", "odd text", &alice, nullptr) == ANNODB_OK);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string ExportBuffer(TestStore& st, const annodb_export_options* o = nullptr) {
  Out out;
  int rc = annodb_export_ndjson_buffer(st, o, out.ptr(), out.len(), nullptr, nullptr);
  INFO(st.error());
  REQUIRE(rc == ANNODB_OK);
  REQUIRE(out.get() != nullptr);
  CHECK(std::strlen(out.get()) == out.size());
  return out.str();
}

size_t CountLines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("export to a file, restore into an empty store, export again: the same bytes") {
  TestStore a("capi-export-a");
  Populate(a);
  TempDir files("capi-export-files");
  std::filesystem::create_directories(files.path());
  std::string path = files.sub("all.ndjson");

  Out report;
  int rc = annodb_export_ndjson(a, path.c_str(), nullptr, report.ptr(), report.len());
  INFO(a.error());
  REQUIRE(rc == ANNODB_OK);
  json r = report.parse();
  std::string first = ReadFile(path);
  CHECK(r["lines"] == CountLines(first));
  CHECK(r["assets"] == 3);
  CHECK(r["labels"] == 3);
  CHECK(r["comments"] == 3);
  CHECK(r["sequence"] == a.Sequence());
  // The file is complete and alone: no temporary files left beside it.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(files.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
  // One line per record kind, in order; the content is all there.
  std::istringstream lines(first);
  std::string line;
  std::vector<json> parsed;
  while (std::getline(lines, line)) parsed.push_back(json::parse(line));
  REQUIRE(parsed.size() == 10);  // header, 3 members, 2 datasets, 1 project, 3 assets
  CHECK(parsed[0]["type"] == "header");
  CHECK(parsed[3]["name"] == "carl");
  CHECK(parsed[3]["active"] == false);
  CHECK(parsed[6]["type"] == "project");
  CHECK(parsed[6]["ontology"]["features"][8]["required"] == true);
  // The buffer form gives the same bytes and the same report.
  Out buf, buf_report;
  REQUIRE(annodb_export_ndjson_buffer(a, nullptr, buf.ptr(), buf.len(), buf_report.ptr(), buf_report.len()) ==
          ANNODB_OK);
  CHECK(buf.str() == first);
  CHECK(buf_report.parse() == r);

  // Restore into a second, empty store; export again; compare bytes.
  TestStore b("capi-export-b");
  REQUIRE(annodb_restore_ndjson(b, path.c_str(), report.ptr(), report.len()) == ANNODB_OK);
  json rr = report.parse();
  CHECK(rr["lines"] == 10);
  CHECK(rr["members"] == 3);
  CHECK(rr["datasets"] == 2);
  CHECK(rr["projects"] == 1);
  CHECK(rr["assets"] == 3);
  CHECK(rr["labels"] == 3);
  CHECK(rr["comments"] == 3);
  std::string second_path = files.sub("again.ndjson");
  REQUIRE(annodb_export_ndjson(b, second_path.c_str(), nullptr, nullptr, nullptr) == ANNODB_OK);
  CHECK(ReadFile(second_path) == first);
  CHECK(ExportBuffer(b) == first);

  // The restored store works through the ABI: the issue, its mention, labels.
  Out out;
  REQUIRE(annodb_comment_threads(b, 0, 0, "street", 1, out.ptr(), out.len()) == ANNODB_OK);
  json open_issues = out.parse();
  REQUIRE(open_issues.size() == 1);
  CHECK(open_issues[0]["body"] == "odd text");
  REQUIRE(annodb_label_list(b, "street", nullptr, 0, 0, out.ptr(), out.len()) == ANNODB_OK);
  CHECK(out.parse()["items"].size() == 3);
  REQUIRE(annodb_verify(b, nullptr, nullptr) == ANNODB_OK);

  // Overwriting an existing file replaces it whole.
  annodb_export_options o;
  REQUIRE(annodb_export_options_init(&o, sizeof o) == ANNODB_OK);
  o.dataset = "spare";
  REQUIRE(annodb_export_ndjson(a, second_path.c_str(), &o, report.ptr(), report.len()) == ANNODB_OK);
  CHECK(report.parse()["assets"] == 1);
  CHECK(ReadFile(second_path) == ExportBuffer(a, &o));
  CHECK(ReadFile(second_path).size() < first.size());
}

TEST_CASE("export scopes and snapshots: the same bytes twice with writes in between") {
  TestStore st("capi-export-snap");
  Populate(st);
  uint64_t snap_seq = 0;
  REQUIRE(annodb_snapshot_create(st, "v1", nullptr, &snap_seq) == ANNODB_OK);
  annodb_export_options o;
  REQUIRE(annodb_export_options_init(&o, sizeof o) == ANNODB_OK);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.project == nullptr);
  CHECK(o.as_of == 0);
  o.snapshot = "v1";
  std::string at_v1 = ExportBuffer(st, &o);
  CHECK(at_v1 == ExportBuffer(st));

  // Writes after the snapshot: labels, comments, members, a new version.
  REQUIRE(annodb_label_put_json(st,
                                R"({"project":"street","dataset":"cams","asset":"img-0001","author":"bob",
                                    "annotations":[{"feature":"weather","value":"snow"}]})",
                                nullptr, nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_member_add(st, "dora", "labeler", nullptr, nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_comment_reply(st, 1, "dora", "late reply", nullptr, nullptr) == ANNODB_OK);
  REQUIRE(annodb_asset_update_metadata(st, 1, R"({"camera":"B"})", nullptr, nullptr) == ANNODB_OK);
  CHECK(ExportBuffer(st, &o) == at_v1);
  CHECK(ExportBuffer(st) != at_v1);
  // The same as of the snapshot's sequence.
  annodb_export_options by_seq;
  REQUIRE(annodb_export_options_init(&by_seq, sizeof by_seq) == ANNODB_OK);
  by_seq.as_of = snap_seq;
  CHECK(ExportBuffer(st, &by_seq) == at_v1);
  by_seq.as_of = ANNODB_CURRENT;  // = now
  CHECK(ExportBuffer(st, &by_seq) == ExportBuffer(st));

  // Scopes: a project's datasets only; a dataset only.
  annodb_export_options scoped;
  REQUIRE(annodb_export_options_init(&scoped, sizeof scoped) == ANNODB_OK);
  scoped.project = "street";
  Out out, report;
  REQUIRE(annodb_export_ndjson_buffer(st, &scoped, out.ptr(), out.len(), report.ptr(), report.len()) == ANNODB_OK);
  CHECK(report.parse()["assets"] == 2);
  CHECK(!Has(out.str(), "\"spare\""));
  scoped.project = nullptr;
  scoped.dataset = "spare";
  REQUIRE(annodb_export_ndjson_buffer(st, &scoped, out.ptr(), out.len(), report.ptr(), report.len()) == ANNODB_OK);
  CHECK(report.parse()["assets"] == 1);
  CHECK(report.parse()["labels"] == 0);
}

TEST_CASE("export and restore: misuse and errors") {
  TestStore st("capi-export-bad");
  Populate(st);
  TempDir files("capi-export-bad-files");
  std::filesystem::create_directories(files.path());
  std::string path = files.sub("x.ndjson");
  Out out, report;
  annodb_export_options o;
  REQUIRE(annodb_export_options_init(&o, sizeof o) == ANNODB_OK);

  auto fails = [&](const annodb_export_options* opts, int code, const std::string& expect) {
    CHECK(annodb_export_ndjson(st, path.c_str(), opts, report.ptr(), report.len()) == code);
    CHECK(Has(st.error(), expect));
    CHECK(report.get() == nullptr);
    CHECK(annodb_export_ndjson_buffer(st, opts, out.ptr(), out.len(), report.ptr(), report.len()) == code);
    CHECK(out.get() == nullptr);
    CHECK(out.size() == 0);
    CHECK(report.get() == nullptr);
  };
  o.project = "nope";
  fails(&o, ANNODB_NOT_FOUND, "nope");
  o.project = "";
  fails(&o, ANNODB_INVALID_ARGUMENT, "opts.project is empty");
  o.project = nullptr;
  o.dataset = "nope";
  fails(&o, ANNODB_NOT_FOUND, "nope");
  o.dataset = nullptr;
  o.snapshot = "v9";
  fails(&o, ANNODB_NOT_FOUND, "v9");
  REQUIRE(annodb_snapshot_create(st, "v1", nullptr, nullptr) == ANNODB_OK);
  o.snapshot = "v1";
  o.as_of = 3;
  fails(&o, ANNODB_INVALID_ARGUMENT, "not both");
  o.snapshot = nullptr;
  o.as_of = st.Sequence() + 100;
  fails(&o, ANNODB_INVALID_ARGUMENT, "future");
  o.as_of = 0;
  o.struct_size = 4;
  fails(&o, ANNODB_INVALID_ARGUMENT, "struct_size");
  struct Bigger {
    annodb_export_options o;
    uint64_t future;
  } big;
  REQUIRE(annodb_export_options_init(&big.o, sizeof big) == ANNODB_OK);
  CHECK(annodb_export_ndjson_buffer(st, &big.o, out.ptr(), out.len(), nullptr, nullptr) == ANNODB_OK);
  big.future = 7;
  fails(&big.o, ANNODB_INVALID_ARGUMENT, "does not know");
  CHECK(annodb_export_options_init(nullptr, sizeof o) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_export_options_init(&o, 2) == ANNODB_INVALID_ARGUMENT);
  // Nothing was left behind by the failed file exports.
  CHECK(std::filesystem::is_empty(files.path()));

  // A failed export leaves an existing file as it was.
  {
    std::ofstream(path) << "precious\n";
  }
  REQUIRE(annodb_export_options_init(&o, sizeof o) == ANNODB_OK);
  o.project = "nope";
  CHECK(annodb_export_ndjson(st, path.c_str(), &o, nullptr, nullptr) == ANNODB_NOT_FOUND);
  CHECK(ReadFile(path) == "precious\n");
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(files.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);

  // Paths and outputs.
  CHECK(annodb_export_ndjson(st, nullptr, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_export_ndjson(st, "", nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_export_ndjson(st, files.sub("no/such/dir/x.ndjson").c_str(), nullptr, nullptr, nullptr) ==
        ANNODB_IO_ERROR);
  CHECK(Has(st.error(), "cannot write"));
  CHECK(annodb_export_ndjson(nullptr, path.c_str(), nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_export_ndjson_buffer(st, nullptr, nullptr, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_export_ndjson_buffer(nullptr, nullptr, out.ptr(), out.len(), nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);

  // Restore: missing file, bad file (nothing written), NULLs.
  TestStore empty("capi-export-bad-empty");
  uint64_t seq = empty.Sequence();
  CHECK(annodb_restore_ndjson(empty, files.sub("none.ndjson").c_str(), report.ptr(), report.len()) ==
        ANNODB_NOT_FOUND);
  CHECK(report.get() == nullptr);
  std::string good = files.sub("good.ndjson");
  REQUIRE(annodb_export_ndjson(st, good.c_str(), nullptr, nullptr, nullptr) == ANNODB_OK);
  std::string bad = files.sub("bad.ndjson");
  {
    std::ofstream f(bad, std::ios::binary);
    f << ReadFile(good) << "{\"type\":\"asset\",\"dataset\":\"nope\"}\n";
  }
  CHECK(annodb_restore_ndjson(empty, bad.c_str(), report.ptr(), report.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(empty.error(), "line 11"));
  CHECK(report.get() == nullptr);
  {
    std::ofstream f(bad, std::ios::binary);
    f << "not json\n";
  }
  CHECK(annodb_restore_ndjson(empty, bad.c_str(), nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(empty.error(), "line 1"));
  CHECK(empty.Sequence() == seq);
  CHECK(annodb_restore_ndjson(empty, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_restore_ndjson(empty, "", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_restore_ndjson(nullptr, good.c_str(), nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(empty.Sequence() == seq);
}
