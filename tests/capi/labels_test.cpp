// C ABI: projects, ontologies, members, labels, label imports (JSON Lines
// and Label Studio).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

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
  {"name": "caption", "kind": "text"}]})";

// Every image kind on img-0001 (640x480); the mask as uncompressed runs.
const char* kImageLabel =
    R"({"project":"street","dataset":"cams","asset":"img-0001","author":"alice","source":"human",)"
    R"("status":"submitted","time_spent_ms":5300,"annotations":[)"
    R"({"feature":"weather","value":"rain"},{"feature":"tags","values":["wet","night"]},)"
    R"({"feature":"vehicle","class":"car","bbox":[10.5,20,100,50],"score":0.91},)"
    R"({"feature":"road","polygon":[[0,0],[100,0],[100,100]]},{"feature":"lane","polyline":[[0,0],[5,5]]},)"
    R"({"feature":"head","point":[3,4]},{"feature":"sky","mask":{"size":[480,640],"counts":[1000,500,305700]}},)"
    R"({"feature":"caption","text":"a red car"}]})";
const char* kSpanLabel =
    R"({"project":"street","dataset":"cams","asset":"doc-1","author":"bob","source":"gold","status":"accepted",)"
    R"("annotations":[{"feature":"entity","class":"LOC","span":[14,20]}]})";
const char* kPrediction =
    R"({"project":"street","dataset":"cams","asset":"img-0001","source":"model",)"
    R"("model":{"name":"yolo","version":"8.1"},"annotations":[{"feature":"vehicle","class":"truck","bbox":[1,2,3,4],"score":0.5}]})";

// A store with dataset "cams" (an image and a text), project "street" over
// it and members alice (labeler) and bob (reviewer).
struct World {
  TestStore st;
  uint64_t img = 0, doc = 0, project = 0;
  explicit World(const std::string& tag) : st(tag) {
    st.Dataset("cams");
    img = st.Put(R"({"external_id":"img-0001","uri":"file:///img-0001.jpg","width":640,"height":480})", "cams");
    doc = st.Put(R"({"external_id":"doc-1","uri":"file:///doc-1.txt","text":"Anna lives in Zürich."})", "cams");
    const char* ds[] = {"cams"};
    int rc = annodb_project_create(st, "street", ds, 1, kOntology, nullptr, nullptr, &project);
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    REQUIRE(annodb_member_add(st, "alice", "labeler", "Alice", nullptr, nullptr) == ANNODB_OK);
    REQUIRE(annodb_member_add(st, "bob", "reviewer", nullptr, nullptr, nullptr) == ANNODB_OK);
  }
  uint64_t PutLabel(const char* line, int* outcome = nullptr) {
    uint64_t id = 0;
    int rc = annodb_label_put_json(st, line, nullptr, &id, outcome);
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    return id;
  }
  json Label(uint64_t id, uint64_t as_of = ANNODB_CURRENT) {
    Out out;
    int rc = annodb_label_get(st, id, as_of, out.ptr(), out.len());
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
  json Project(const char* name = "street", uint64_t as_of = ANNODB_CURRENT) {
    Out out;
    int rc = annodb_project_get(st, name, as_of, out.ptr(), out.len());
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
  // The page object: {"items": [...], "next": id or null}.
  json ListPage(const annodb_label_filter* f, uint64_t after, size_t limit) {
    Out out;
    int rc = annodb_label_list(st, "street", f, after, limit, out.ptr(), out.len());
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    return out.parse();
  }
  json List(const annodb_label_filter* f, uint64_t after = 0, size_t limit = 0) {
    Out out;
    int rc = annodb_label_list(st, "street", f, after, limit, out.ptr(), out.len());
    INFO(st.error());
    REQUIRE(rc == ANNODB_OK);
    json page = out.parse();
    REQUIRE(page.contains("next"));
    return page["items"];
  }
};

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary);
  f << content;
}

}  // namespace

TEST_CASE("projects: create, get, list, settings, ontology extension, datasets") {
  World w("capi-projects");
  annodb_project_settings ps;
  REQUIRE(annodb_project_settings_init(&ps, sizeof ps) == ANNODB_OK);
  CHECK(ps.struct_size == sizeof ps);
  CHECK(ps.overlap == 1);
  CHECK(ps.lease_ttl_s == 1800);
  CHECK(ps.review_fraction == 0);
  CHECK(ps.gold_rate == 0);
  CHECK(ps.max_leases == 0);
  CHECK(ps.instructions == nullptr);

  json p = w.Project();
  CHECK(p["id"] == w.project);
  CHECK(p["name"] == "street");
  CHECK(p["datasets"] == json::array({"cams"}));
  CHECK(p["version"] == 1);
  REQUIRE(p["ontology"]["features"].size() == 9);
  CHECK(p["ontology"]["features"][0] ==
        json::parse(R"({"name":"weather","kind":"classification","options":["sunny","rain","snow"]})"));
  CHECK(p["ontology"]["features"][2]["classes"] == json::array({"car", "truck"}));
  CHECK(p["ontology"]["features"][6]["kind"] == "mask");
  CHECK(p["settings"]["overlap"] == 1);
  CHECK(p["provenance"]["actor"] == "annodb");
  uint64_t v1_seq = p["sequence"];

  uint64_t found = 0;
  REQUIRE(annodb_project_find(w.st, "street", &found) == ANNODB_OK);
  CHECK(found == w.project);

  // Settings: a new version; the same again writes nothing.
  ps.overlap = 3;
  ps.review_fraction = 0.1;
  ps.gold_rate = 0.25;
  ps.max_leases = 5;
  ps.instructions = "Box **every** vehicle.";
  annodb_actor admin;
  REQUIRE(annodb_actor_init(&admin, sizeof admin) == ANNODB_OK);
  admin.kind = ANNODB_ACTOR_PERSON;
  admin.name = "admin";
  int outcome = -1;
  REQUIRE(annodb_project_set_settings(w.st, "street", &ps, &admin, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  REQUIRE(annodb_project_set_settings(w.st, "street", &ps, &admin, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UNCHANGED);
  p = w.Project();
  CHECK(p["version"] == 2);
  CHECK(p["settings"] == json::parse(R"({"overlap":3,"lease_ttl_s":1800,"review_fraction":0.1,"gold_rate":0.25,
                                         "max_leases":5,"instructions":"Box **every** vehicle."})"));
  CHECK(p["provenance"]["actor"] == "admin");

  // The ontology gains an option and a feature; the old version stays readable.
  json onto = p["ontology"];
  onto["features"][0]["options"].push_back("fog");
  onto["features"].push_back({{"name", "mood"}, {"kind", "text"}});
  REQUIRE(annodb_project_extend_ontology(w.st, "street", onto.dump().c_str(), &admin, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  REQUIRE(annodb_project_extend_ontology(w.st, "street", onto.dump().c_str(), &admin, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UNCHANGED);
  p = w.Project();
  CHECK(p["version"] == 3);
  CHECK(p["ontology"]["features"][0]["options"].back() == "fog");
  CHECK(p["ontology"]["features"].size() == 10);
  json old = w.Project("street", v1_seq);
  CHECK(old["version"] == 1);
  CHECK(old["ontology"]["features"].size() == 9);
  CHECK(old["settings"]["overlap"] == 1);
  // A label may use the new option.
  w.PutLabel(R"({"project":"street","dataset":"cams","asset":"img-0001","author":"alice",
                 "annotations":[{"feature":"weather","value":"fog"}]})");

  // Removing, reordering or re-kinding is refused, naming the feature.
  json removed = onto;
  removed["features"].erase(3);
  uint64_t seq = w.st.Sequence();
  CHECK(annodb_project_extend_ontology(w.st, "street", removed.dump().c_str(), nullptr, &outcome) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "road"));
  CHECK(outcome == 0);
  json rekinded = onto;
  rekinded["features"][3]["kind"] = "polyline";
  CHECK(annodb_project_extend_ontology(w.st, "street", rekinded.dump().c_str(), nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "cannot change its kind"));
  json reordered = onto;
  reordered["features"][0]["options"] = {"rain", "sunny", "snow", "fog"};
  CHECK(annodb_project_extend_ontology(w.st, "street", reordered.dump().c_str(), nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "weather"));
  CHECK(w.st.Sequence() == seq);

  // Datasets can be added, once.
  w.st.Dataset("more");
  REQUIRE(annodb_project_add_dataset(w.st, "street", "more", nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  REQUIRE(annodb_project_add_dataset(w.st, "street", "more", nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UNCHANGED);
  CHECK(w.Project()["datasets"] == json::array({"cams", "more"}));
  CHECK(annodb_project_add_dataset(w.st, "street", "nope", nullptr, &outcome) == ANNODB_NOT_FOUND);

  // A second project over both datasets; the list has both in id order.
  const char* both[] = {"cams", "more"};
  uint64_t second = 0;
  REQUIRE(annodb_project_create(w.st, "second", both, 2, R"({"features":[{"name":"c","kind":"text"}]})", &ps,
                                nullptr, &second) == ANNODB_OK);
  CHECK(second > w.project);
  Out list;
  REQUIRE(annodb_project_list(w.st, list.ptr(), list.len()) == ANNODB_OK);
  json arr = list.parse();
  REQUIRE(arr.size() == 2);
  CHECK(arr[0]["name"] == "street");
  CHECK(arr[1]["name"] == "second");
  CHECK(arr[1]["settings"]["overlap"] == 3);
  CHECK(arr[1]["datasets"] == json::array({"cams", "more"}));
}

TEST_CASE("projects: misuse and errors") {
  World w("capi-projects-bad");
  const char* ds[] = {"cams"};
  const char* onto = R"({"features":[{"name":"c","kind":"text"}]})";
  uint64_t id = 77;
  uint64_t seq = w.st.Sequence();

  CHECK(annodb_project_create(nullptr, "p", ds, 1, onto, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(id == 0);
  CHECK(Has(annodb_last_error(nullptr), "NULL"));
  CHECK(annodb_project_create(w.st, nullptr, ds, 1, onto, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_create(w.st, "p", nullptr, 1, onto, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "datasets is NULL"));
  CHECK(annodb_project_create(w.st, "p", ds, 0, onto, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "at least one dataset"));
  const char* with_null[] = {"cams", nullptr};
  CHECK(annodb_project_create(w.st, "p", with_null, 2, onto, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "datasets[1] is NULL"));
  const char* twice[] = {"cams", "cams"};
  CHECK(annodb_project_create(w.st, "p", twice, 2, onto, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_create(w.st, "p", ds, 1, nullptr, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_create(w.st, "p", ds, 1, "{\"features\":[", nullptr, nullptr, &id) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "not valid JSON"));
  CHECK(annodb_project_create(w.st, "p", ds, 1, "{\"features\":[{\"name\":\"x\",\"kind\":\"\xff\"}]}", nullptr,
                              nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "UTF-8"));
  CHECK(annodb_project_create(w.st, "p", ds, 1, R"({"features":[{"name":"w","kind":"classification"}]})", nullptr,
                              nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "needs options"));
  CHECK(annodb_project_create(w.st, "p", ds, 1, R"({"features":[{"name":"w","kind":"cube"}]})", nullptr, nullptr,
                              &id) == ANNODB_INVALID_ARGUMENT);
  const char* unknown[] = {"nope"};
  CHECK(annodb_project_create(w.st, "p", unknown, 1, onto, nullptr, nullptr, &id) == ANNODB_NOT_FOUND);
  CHECK(Has(w.st.error(), "nope"));
  CHECK(annodb_project_create(w.st, "street", ds, 1, onto, nullptr, nullptr, &id) == ANNODB_ALREADY_EXISTS);
  CHECK(annodb_project_create(w.st, "", ds, 1, onto, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);

  // Settings: size, ranges.
  annodb_project_settings ps;
  CHECK(annodb_project_settings_init(nullptr, sizeof ps) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_settings_init(&ps, 3) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_settings_init(&ps, 1 << 20) == ANNODB_INVALID_ARGUMENT);
  REQUIRE(annodb_project_settings_init(&ps, sizeof ps) == ANNODB_OK);
  ps.struct_size = 8;
  CHECK(annodb_project_create(w.st, "p", ds, 1, onto, &ps, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "struct_size"));
  REQUIRE(annodb_project_settings_init(&ps, sizeof ps) == ANNODB_OK);
  ps.overlap = 0;
  CHECK(annodb_project_create(w.st, "p", ds, 1, onto, &ps, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "overlap"));
  REQUIRE(annodb_project_settings_init(&ps, sizeof ps) == ANNODB_OK);
  ps.review_fraction = 2;
  CHECK(annodb_project_set_settings(w.st, "street", &ps, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "review fraction"));
  ps.review_fraction = std::numeric_limits<double>::quiet_NaN();
  CHECK(annodb_project_set_settings(w.st, "street", &ps, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  ps.review_fraction = 0;
  ps.gold_rate = 1e300;
  CHECK(annodb_project_set_settings(w.st, "street", &ps, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  ps.gold_rate = 0;
  ps.instructions = "bad \xc3";
  CHECK(annodb_project_set_settings(w.st, "street", &ps, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  ps.instructions = nullptr;
  CHECK(annodb_project_set_settings(w.st, "street", nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_set_settings(w.st, "nope", &ps, nullptr, nullptr) == ANNODB_NOT_FOUND);
  // A newer caller's struct with unknown non-zero trailing bytes is refused.
  struct Bigger {
    annodb_project_settings s;
    uint64_t future;
  } big;
  REQUIRE(annodb_project_settings_init(&big.s, sizeof big) == ANNODB_OK);
  CHECK(big.future == 0);
  CHECK(annodb_project_set_settings(w.st, "street", &big.s, nullptr, nullptr) == ANNODB_OK);
  big.future = 1;
  CHECK(annodb_project_set_settings(w.st, "street", &big.s, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "does not know"));
  seq = w.st.Sequence();

  // Reads.
  Out out;
  CHECK(annodb_project_get(w.st, "nope", ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(out.get() == nullptr);
  CHECK(out.size() == 0);
  CHECK(annodb_project_get(w.st, "street", 1, out.ptr(), out.len()) == ANNODB_NOT_FOUND);  // before it existed
  CHECK(annodb_project_get(w.st, nullptr, ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_get(w.st, "street", ANNODB_CURRENT, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_list(w.st, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_list(nullptr, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_find(w.st, "street", nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_find(w.st, "nope", &id) == ANNODB_NOT_FOUND);
  CHECK(annodb_project_extend_ontology(w.st, "street", nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_extend_ontology(w.st, nullptr, onto, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_project_extend_ontology(w.st, "nope", onto, nullptr, nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_project_add_dataset(w.st, "street", nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  annodb_actor bad_actor;
  REQUIRE(annodb_actor_init(&bad_actor, sizeof bad_actor) == ANNODB_OK);
  bad_actor.kind = 99;
  CHECK(annodb_project_add_dataset(w.st, "street", "cams", &bad_actor, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(w.st.Sequence() == seq);
}

TEST_CASE("members: add, get, list, deactivate, change role") {
  World w("capi-members");
  Out out;
  REQUIRE(annodb_member_get(w.st, "alice", out.ptr(), out.len()) == ANNODB_OK);
  json alice = out.parse();
  CHECK(alice["name"] == "alice");
  CHECK(alice["display_name"] == "Alice");
  CHECK(alice["role"] == "labeler");
  CHECK(alice["active"] == true);
  CHECK(alice["version"] == 1);
  uint64_t carol = 0;
  REQUIRE(annodb_member_add(w.st, "carol", "admin", "Carol Ö", nullptr, &carol) == ANNODB_OK);
  CHECK(carol > alice["id"].get<uint64_t>());

  int outcome = -1;
  REQUIRE(annodb_member_set_active(w.st, "alice", 0, nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  REQUIRE(annodb_member_set_active(w.st, "alice", 0, nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UNCHANGED);
  REQUIRE(annodb_member_set_role(w.st, "alice", "reviewer", nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  REQUIRE(annodb_member_get(w.st, "alice", out.ptr(), out.len()) == ANNODB_OK);
  alice = out.parse();
  CHECK(alice["active"] == false);
  CHECK(alice["role"] == "reviewer");
  CHECK(alice["version"] == 3);
  REQUIRE(annodb_member_set_active(w.st, "alice", 1, nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);

  REQUIRE(annodb_member_list(w.st, out.ptr(), out.len()) == ANNODB_OK);
  json list = out.parse();
  REQUIRE(list.size() == 3);
  CHECK(list[0]["name"] == "alice");
  CHECK(list[1]["name"] == "bob");
  CHECK(list[1]["display_name"] == "");
  CHECK(list[2]["name"] == "carol");
  CHECK(list[2]["display_name"] == "Carol Ö");
  CHECK(list[2]["role"] == "admin");

  // Misuse.
  uint64_t seq = w.st.Sequence();
  uint64_t id = 5;
  CHECK(annodb_member_add(w.st, "dave", "boss", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "labeler, reviewer, admin"));
  CHECK(id == 0);
  CHECK(annodb_member_add(w.st, "dave", nullptr, nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_add(w.st, nullptr, "admin", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_add(w.st, "dave smith", "admin", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_add(w.st, "@dave", "admin", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_add(w.st, "", "admin", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_add(w.st, "dave", "admin", "\xff", nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_add(w.st, "alice", "admin", nullptr, nullptr, &id) == ANNODB_ALREADY_EXISTS);
  CHECK(annodb_member_add(nullptr, "dave", "admin", nullptr, nullptr, &id) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_get(w.st, "nobody", out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(Has(w.st.error(), "nobody"));
  CHECK(out.get() == nullptr);
  CHECK(annodb_member_get(w.st, "alice", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_get(w.st, nullptr, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_list(w.st, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_set_active(w.st, "nobody", 0, nullptr, &outcome) == ANNODB_NOT_FOUND);
  CHECK(outcome == 0);
  CHECK(annodb_member_set_active(w.st, nullptr, 0, nullptr, &outcome) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_set_role(w.st, "alice", "chief", nullptr, &outcome) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_set_role(w.st, "alice", nullptr, nullptr, &outcome) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_member_set_role(w.st, "nobody", "admin", nullptr, &outcome) == ANNODB_NOT_FOUND);
  CHECK(w.st.Sequence() == seq);
}

TEST_CASE("labels of every annotation kind round-trip through the C ABI") {
  World w("capi-labels");
  int outcome = -1;
  annodb_actor alice;
  REQUIRE(annodb_actor_init(&alice, sizeof alice) == ANNODB_OK);
  alice.kind = ANNODB_ACTOR_PERSON;
  alice.name = "alice";
  uint64_t id = 0;
  REQUIRE(annodb_label_put_json(w.st, kImageLabel, &alice, &id, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_CREATED);
  CHECK(id != 0);
  uint64_t span = w.PutLabel(kSpanLabel);
  uint64_t pred = w.PutLabel(kPrediction);

  json in = json::parse(kImageLabel);
  json got = w.Label(id);
  CHECK(got["id"] == id);
  CHECK(got["project"] == "street");
  CHECK(got["project_id"] == w.project);
  CHECK(got["dataset"] == "cams");
  CHECK(got["asset"] == "img-0001");
  CHECK(got["asset_id"] == w.img);
  CHECK(got["author"] == "alice");
  CHECK(got["source"] == "human");
  CHECK(got["status"] == "submitted");
  CHECK(got["time_spent_ms"] == 5300);
  CHECK(got["version"] == 1);
  CHECK(got["deleted"] == false);
  CHECK(got["provenance"]["actor"] == "alice");
  REQUIRE(got["annotations"].size() == 8);
  for (size_t i = 0; i < 8; ++i) {
    INFO(i);
    json a = got["annotations"][i];
    json e = in["annotations"][i];
    CHECK(a["feature"] == e["feature"]);
    if (e.contains("mask")) {
      // Uncompressed runs are stored as a COCO compressed RLE string.
      CHECK(a["mask"]["size"] == e["mask"]["size"]);
      CHECK(a["mask"]["counts"].is_string());
      continue;
    }
    if (e.contains("score")) {
      CHECK(std::fabs(a["score"].get<double>() - e["score"].get<double>()) < 1e-6);
      a.erase("score");
      e.erase("score");
    }
    CHECK(a == e);
  }
  json s = w.Label(span);
  CHECK(s["source"] == "gold");
  CHECK(s["status"] == "accepted");
  CHECK(s["annotations"][0] == json::parse(R"({"feature":"entity","class":"LOC","span":[14,20]})"));
  json p = w.Label(pred);
  CHECK(p["source"] == "model");
  CHECK(p["model"] == json::parse(R"({"name":"yolo","version":"8.1"})"));
  CHECK_FALSE(p.contains("author"));

  // Outputs are inputs: putting each back changes nothing.
  uint64_t seq = w.st.Sequence();
  for (uint64_t l : {id, span, pred}) {
    std::string text = w.Label(l).dump();
    uint64_t again = 0;
    REQUIRE(annodb_label_put_json(w.st, text.c_str(), nullptr, &again, &outcome) == ANNODB_OK);
    CHECK(again == l);
    CHECK(outcome == ANNODB_PUT_UNCHANGED);
  }
  CHECK(w.st.Sequence() == seq);
}

TEST_CASE("invalid labels are refused naming the annotation, and nothing is written") {
  World w("capi-labels-bad");
  uint64_t seq = w.st.Sequence();
  auto refuse = [&](const std::string& anns, const std::string& expect, int code = ANNODB_INVALID_ARGUMENT,
                    const std::string& asset = "img-0001") {
    std::string line = R"({"project":"street","dataset":"cams","asset":")" + asset +
                       R"(","author":"alice","annotations":[{"feature":"caption","text":"ok"},)" + anns + "]}";
    uint64_t id = 9;
    int outcome = 9;
    int rc = annodb_label_put_json(w.st, line.c_str(), nullptr, &id, &outcome);
    INFO(line);
    INFO(w.st.error());
    CHECK(rc == code);
    CHECK(Has(w.st.error(), expect));
    CHECK(id == 0);
    CHECK(outcome == 0);
  };
  refuse(R"({"feature":"colour","value":"red"})", "annotations[1] (colour): project 'street' has no feature 'colour'");
  refuse(R"({"feature":"weather","value":"hail"})", "annotations[1] (weather): value 'hail' is not one of");
  refuse(R"({"feature":"tags","values":["wet","cold"]})", "value 'cold' is not one of");
  refuse(R"({"feature":"vehicle","class":"car","bbox":[10,10,-5,10]})",
         "annotations[1] (vehicle): box width and height must be positive");
  refuse(R"({"feature":"vehicle","class":"car","bbox":[10,10,700,10]})", "outside the asset (640x480)");
  refuse(R"({"feature":"vehicle","class":"bus","bbox":[10,10,5,10]})", "class 'bus' is not one of car, truck");
  refuse(R"({"feature":"road","polygon":[[0,0],[10,0]]})", "annotations[1] (road)");
  refuse(R"({"feature":"road","polygon":[[0,0],[10,10],[10,0],[0,10]]})", "intersects itself");
  refuse(R"({"feature":"lane","polyline":[[1,1]]})", "at least 2 points");
  refuse(R"({"feature":"sky","mask":{"size":[480,640],"counts":"not rle!"}})", "malformed RLE");
  refuse(R"({"feature":"sky","mask":{"size":[10,640],"counts":[6400]}})", "differs from the asset");
  refuse(R"({"feature":"entity","class":"PER","span":[5,50]})", "outside the asset's text of 21 characters",
         ANNODB_INVALID_ARGUMENT, "doc-1");
  refuse(R"({"feature":"weather","bbox":[1,2,3,4]})", "annotations[1] (weather)");
  refuse(R"({"feature":"head","point":[1]})", "annotations[1].point");
  refuse(R"({"value":"rain"})", "annotations[1]");
  refuse(R"({"feature":"head","point":[1,1],"colour":1})", "unknown key 'colour'");

  auto refuse_line = [&](const char* line, int code, const std::string& expect) {
    int rc = annodb_label_put_json(w.st, line, nullptr, nullptr, nullptr);
    INFO(line);
    INFO(w.st.error());
    CHECK(rc == code);
    CHECK(Has(w.st.error(), expect));
  };
  refuse_line("{", ANNODB_INVALID_ARGUMENT, "not valid JSON");
  refuse_line("[1]", ANNODB_INVALID_ARGUMENT, "expected a JSON object");
  refuse_line("{\"project\":\"street\xff\"}", ANNODB_INVALID_ARGUMENT, "UTF-8");
  refuse_line(R"({"dataset":"cams","asset":"img-0001","author":"alice","annotations":[]})", ANNODB_INVALID_ARGUMENT,
              "\"project\" is required");
  refuse_line(R"({"project":"nope","dataset":"cams","asset":"img-0001","author":"alice","annotations":[]})",
              ANNODB_NOT_FOUND, "nope");
  refuse_line(R"({"project":"street","dataset":"cams","asset":"img-9","author":"alice","annotations":[]})",
              ANNODB_NOT_FOUND, "img-9");
  refuse_line(R"({"project":"street","dataset":"cams","asset":"img-0001","author":"zed","annotations":[]})",
              ANNODB_NOT_FOUND, "zed");
  refuse_line(R"({"project":"street","dataset":"cams","asset":"img-0001","source":"model","annotations":[]})",
              ANNODB_INVALID_ARGUMENT, "model");
  refuse_line(R"({"project":"street","dataset":"cams","asset":"img-0001","author":"alice","source":"robot",
                  "annotations":[]})",
              ANNODB_INVALID_ARGUMENT, "source");
  CHECK(annodb_label_put_json(w.st, nullptr, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_put_json(nullptr, kImageLabel, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  annodb_actor bad;
  std::memset(&bad, 0, sizeof bad);
  bad.struct_size = 1;
  CHECK(annodb_label_put_json(w.st, kImageLabel, &bad, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(w.st.Sequence() == seq);
}

TEST_CASE("labels: update, history, delete and listing with filters") {
  World w("capi-labels-life");
  uint64_t a = w.PutLabel(kImageLabel);
  uint64_t pred = w.PutLabel(kPrediction);
  uint64_t g = w.PutLabel(kSpanLabel);
  uint64_t b = w.PutLabel(R"({"project":"street","dataset":"cams","asset":"img-0001","author":"bob","status":"draft",
                              "annotations":[{"feature":"weather","value":"snow"}]})");
  uint64_t v1_seq = w.st.Sequence();

  // A status-only update keeps the annotations.
  int outcome = -1;
  annodb_actor bob;
  REQUIRE(annodb_actor_init(&bob, sizeof bob) == ANNODB_OK);
  bob.kind = ANNODB_ACTOR_PERSON;
  bob.name = "bob";
  REQUIRE(annodb_label_update_json(w.st, a, R"({"status":"accepted"})", &bob, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  json cur = w.Label(a);
  CHECK(cur["status"] == "accepted");
  CHECK(cur["version"] == 2);
  CHECK(cur["annotations"].size() == 8);
  CHECK(cur["provenance"]["actor"] == "bob");
  REQUIRE(annodb_label_update_json(w.st, a, R"({"status":"accepted"})", &bob, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UNCHANGED);
  // An edited get output passes back.
  cur["annotations"] = json::parse(R"([{"feature":"weather","value":"sunny"}])");
  cur["time_spent_ms"] = 9000;
  REQUIRE(annodb_label_update_json(w.st, a, cur.dump().c_str(), nullptr, &outcome) == ANNODB_OK);
  CHECK(outcome == ANNODB_PUT_UPDATED);
  cur = w.Label(a);
  CHECK(cur["annotations"] == json::parse(R"([{"feature":"weather","value":"sunny"}])"));
  CHECK(cur["time_spent_ms"] == 9000);
  CHECK(cur["version"] == 3);
  CHECK(w.Label(a, v1_seq)["annotations"].size() == 8);

  uint64_t seq = w.st.Sequence();
  CHECK(annodb_label_update_json(w.st, a, R"({"author":"bob"})", nullptr, &outcome) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "\"author\" cannot change"));
  CHECK(outcome == 0);
  CHECK(annodb_label_update_json(w.st, a, R"({"asset":"doc-1"})", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_update_json(w.st, pred, R"({"model":{"name":"yolo","version":"9"}})", nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_update_json(w.st, a, R"({"colour":1})", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "colour"));
  CHECK(annodb_label_update_json(w.st, a, R"({"status":"done"})", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_update_json(w.st, a, R"({"time_spent_ms":-1})", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_update_json(w.st, a, R"({"annotations":[{"feature":"weather","value":"sunny"},
        {"feature":"vehicle","class":"car","bbox":[0,0,0,0]}]})",
                                 nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "annotations[1] (vehicle)"));
  CHECK(annodb_label_update_json(w.st, a, "[]", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_update_json(w.st, a, "{", nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_update_json(w.st, a, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_update_json(w.st, 999, "{}", nullptr, nullptr) == ANNODB_NOT_FOUND);
  CHECK(w.st.Sequence() == seq);

  // Listing.
  auto ids = [](const json& arr) {
    std::vector<uint64_t> v;
    for (const json& l : arr) v.push_back(l["id"]);
    return v;
  };
  CHECK(ids(w.List(nullptr)) == std::vector<uint64_t>{a, pred, b, g});  // by asset, then id
  annodb_label_filter f;
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  CHECK(ids(w.List(&f)).size() == 4);
  f.author = "bob";
  CHECK(ids(w.List(&f)) == std::vector<uint64_t>{g, b});
  f.status = "draft";
  CHECK(ids(w.List(&f)) == std::vector<uint64_t>{b});
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  f.status = "accepted";
  CHECK(ids(w.List(&f)) == std::vector<uint64_t>{a, g});
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  f.asset_id = w.doc;
  CHECK(ids(w.List(&f)) == std::vector<uint64_t>{g});
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  f.dataset = "cams";
  f.external_id = "img-0001";
  json page = w.List(&f, 0, 2);
  CHECK(ids(page) == std::vector<uint64_t>{a, pred});
  CHECK(page[1]["model"]["name"] == "yolo");
  CHECK(ids(w.List(&f, pred, 2)) == std::vector<uint64_t>{b});
  CHECK(ids(w.List(&f, b, 2)).empty());
  // A cut page names the next cursor; the page that holds the rest, and an
  // exactly full one, say null.
  CHECK(w.ListPage(&f, 0, 2)["next"] == pred);
  CHECK(w.ListPage(&f, pred, 2)["next"].is_null());
  CHECK(w.ListPage(&f, 0, 3)["next"].is_null());
  CHECK(w.ListPage(&f, 0, 1)["next"] == a);
  f.asset_id = w.img;  // the same asset both ways: fine
  CHECK(ids(w.List(&f)).size() == 3);
  f.asset_id = w.doc;
  Out out;
  CHECK(annodb_label_list(w.st, "street", &f, 0, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "different assets"));
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  f.external_id = "img-0001";
  CHECK(annodb_label_list(w.st, "street", &f, 0, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "needs filter.dataset"));
  f.dataset = "cams";
  f.external_id = "img-404";
  CHECK(annodb_label_list(w.st, "street", &f, 0, 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  f.status = "finished";
  CHECK(annodb_label_list(w.st, "street", &f, 0, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "finished"));
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  f.author = "zed";
  CHECK(annodb_label_list(w.st, "street", &f, 0, 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  REQUIRE(annodb_label_filter_init(&f, sizeof f) == ANNODB_OK);
  f.struct_size = 4;
  CHECK(annodb_label_list(w.st, "street", &f, 0, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_filter_init(nullptr, sizeof f) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_filter_init(&f, 2) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_list(w.st, "nope", nullptr, 0, 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_label_list(w.st, nullptr, nullptr, 0, 0, out.ptr(), out.len()) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_list(w.st, "street", nullptr, 0, 0, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_list(w.st, "street", nullptr, 12345, 0, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(out.get() == nullptr);

  // Delete: a tombstone; history keeps every version; the author may label again.
  annodb_actor admin;
  REQUIRE(annodb_actor_init(&admin, sizeof admin) == ANNODB_OK);
  admin.kind = ANNODB_ACTOR_PERSON;
  admin.name = "admin";
  uint64_t before_delete = w.st.Sequence();
  REQUIRE(annodb_label_delete(w.st, a, &admin) == ANNODB_OK);
  CHECK(annodb_label_get(w.st, a, ANNODB_CURRENT, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(w.Label(a, before_delete)["version"] == 3);
  CHECK(annodb_label_delete(w.st, a, &admin) == ANNODB_NOT_FOUND);
  CHECK(annodb_label_delete(w.st, 999, nullptr) == ANNODB_NOT_FOUND);
  CHECK(annodb_label_delete(nullptr, a, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(ids(w.List(nullptr)) == std::vector<uint64_t>{pred, b, g});
  REQUIRE(annodb_label_history(w.st, a, out.ptr(), out.len()) == ANNODB_OK);
  json hist = out.parse();
  REQUIRE(hist.size() == 4);
  CHECK(hist[0]["status"] == "submitted");
  CHECK(hist[1]["status"] == "accepted");
  CHECK(hist[2]["time_spent_ms"] == 9000);
  CHECK(hist[3]["deleted"] == true);
  CHECK(hist[3]["provenance"]["actor"] == "admin");
  CHECK(annodb_label_history(w.st, 999, out.ptr(), out.len()) == ANNODB_NOT_FOUND);
  CHECK(annodb_label_history(w.st, a, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_get(w.st, a, ANNODB_CURRENT, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  int created = -1;
  uint64_t again = w.PutLabel(kImageLabel, &created);
  CHECK(again != a);
  CHECK(created == ANNODB_PUT_CREATED);
}

TEST_CASE("label imports: JSON Lines and Label Studio through the C ABI") {
  World w("capi-label-import");
  TempDir files("capi-label-import-files");
  std::string path = files.sub("labels.jsonl");
  WriteFile(path, std::string(kImageLabel) + "\n\n" + kPrediction + "\n" + kSpanLabel + "\n");

  Out report;
  REQUIRE(annodb_label_import_jsonl(w.st, path.c_str(), 0, nullptr, report.ptr(), report.len()) == ANNODB_OK);
  json r = report.parse();
  CHECK(r["lines"] == 3);
  CHECK(r["created"] == 3);
  CHECK(r["unchanged"] == 0);
  CHECK(r["job_id"].get<uint64_t>() != 0);
  CHECK(r["batches"] == 1);
  CHECK(w.List(nullptr).size() == 3);
  CHECK(w.List(nullptr)[0]["provenance"]["actor_kind"] == "import_job");
  uint64_t seq = w.st.Sequence();
  REQUIRE(annodb_label_import_jsonl(w.st, path.c_str(), 1, nullptr, report.ptr(), report.len()) == ANNODB_OK);
  r = report.parse();
  CHECK(r["unchanged"] == 3);
  CHECK(r["created"] == 0);
  CHECK(w.st.Sequence() == seq);

  // A bad line refuses the whole file.
  std::string bad = files.sub("bad.jsonl");
  WriteFile(bad, std::string(kPrediction) + "\n" +
                     R"({"project":"street","dataset":"cams","asset":"img-0001","author":"bob",)"
                     R"("annotations":[{"feature":"weather","value":"hail"}]})" +
                     "\n");
  CHECK(annodb_label_import_jsonl(w.st, bad.c_str(), 0, nullptr, report.ptr(), report.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "line 2"));
  CHECK(Has(w.st.error(), "annotations[0] (weather)"));
  CHECK(report.get() == nullptr);
  CHECK(annodb_label_import_jsonl(w.st, files.sub("none.jsonl").c_str(), 0, nullptr, report.ptr(), report.len()) ==
        ANNODB_NOT_FOUND);
  CHECK(annodb_label_import_jsonl(w.st, nullptr, 0, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_import_jsonl(w.st, "", 0, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_import_jsonl(nullptr, path.c_str(), 0, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  CHECK(w.st.Sequence() == seq);

  // Label Studio: a new project and dataset, members, labels, predictions.
  std::string ls = std::string(ANNODB_SOURCE_DIR) + "/tests/labels/fixtures/label_studio_export.json";
  annodb_actor mover;
  REQUIRE(annodb_actor_init(&mover, sizeof mover) == ANNODB_OK);
  mover.kind = ANNODB_ACTOR_PERSON;
  mover.name = "mover";
  REQUIRE(annodb_label_studio_import(w.st, ls.c_str(), "ls-street", "ls-cams", nullptr, nullptr, &mover, report.ptr(),
                                     report.len()) == ANNODB_OK);
  r = report.parse();
  CHECK(r["tasks"] == 2);
  CHECK(r["assets_created"] == 2);
  CHECK(r["labels"] == 2);
  CHECK(r["predictions"] == 1);
  CHECK(r["cancelled_skipped"] == 1);
  CHECK(r["results_skipped"] == 1);
  CHECK(r["skipped_types"]["relation"] == 1);
  CHECK(r["members_created"] == 2);
  CHECK(r["project_created"] == true);
  json p = w.Project("ls-street");
  CHECK(p["datasets"] == json::array({"ls-cams"}));
  Out labels;
  REQUIRE(annodb_label_list(w.st, "ls-street", nullptr, 0, 0, labels.ptr(), labels.len()) == ANNODB_OK);
  CHECK(labels.parse()["items"].size() == 3);
  seq = w.st.Sequence();
  REQUIRE(annodb_label_studio_import(w.st, ls.c_str(), "ls-street", "ls-cams", "", "", nullptr, report.ptr(),
                                     report.len()) == ANNODB_OK);
  r = report.parse();
  CHECK(r["project_created"] == false);
  CHECK(r["assets_created"] == 0);
  CHECK(w.st.Sequence() == seq);

  // Misuse.
  CHECK(annodb_label_studio_import(w.st, files.sub("none.json").c_str(), "p", "d", nullptr, nullptr, nullptr,
                                   report.ptr(), report.len()) == ANNODB_NOT_FOUND);
  CHECK(report.get() == nullptr);
  CHECK(annodb_label_studio_import(w.st, ls.c_str(), nullptr, "d", nullptr, nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_studio_import(w.st, ls.c_str(), "p", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_studio_import(w.st, nullptr, "p", "d", nullptr, nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_studio_import(w.st, "-", "p", "d", nullptr, nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  std::string not_ls = files.sub("not-ls.json");
  WriteFile(not_ls, "{\"tasks\": 1}");
  CHECK(annodb_label_studio_import(w.st, not_ls.c_str(), "p", "d", nullptr, nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "array of tasks"));
  CHECK(w.st.Sequence() == seq);
}

TEST_CASE("Label Studio import with options through the C ABI: clamping, default author, same-author versions") {
  World w("capi-ls-opts");
  std::string real = std::string(ANNODB_SOURCE_DIR) + "/tests/labels/fixtures/ls_converter_csv_test.json";
  annodb_ls_import_options o;
  REQUIRE(annodb_ls_import_options_init(&o, sizeof o) == ANNODB_OK);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.clamp_boxes == 0);
  CHECK(o.same_author_versions == 0);
  o.project = "p";
  o.dataset = "d";
  Out report;
  uint64_t seq = w.st.Sequence();
  CHECK(annodb_label_studio_import_opts(w.st, real.c_str(), &o, nullptr, report.ptr(), report.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "task 2: annotations[0]: result[0] (label, rectanglelabels): box x 92.93"));
  CHECK(w.st.Sequence() == seq);
  o.clamp_boxes = 1;  // clamp_tolerance_percent 0 = the default, 2 %
  REQUIRE(annodb_label_studio_import_opts(w.st, real.c_str(), &o, nullptr, report.ptr(), report.len()) == ANNODB_OK);
  json r = report.parse();
  CHECK(r["boxes_clamped"] == 2);
  CHECK(r["labels"] == 2);
  CHECK(r["earlier_versions"] == 0);
  o.clamp_tolerance_percent = 1;
  CHECK(annodb_label_studio_import_opts(w.st, real.c_str(), &o, nullptr, report.ptr(), report.len()) ==
        ANNODB_INVALID_ARGUMENT);
  o.clamp_tolerance_percent = 11;
  CHECK(annodb_label_studio_import_opts(w.st, real.c_str(), &o, nullptr, report.ptr(), report.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "at most 10 percent"));

  // Two annotations by one author, without completed_by: the default author, as versions.
  TempDir files("capi-ls-opts-files");
  std::string two = files.sub("two.json");
  WriteFile(two, R"({"id": 3, "data": {"text": "a b"}, "annotations": [
      {"result": [{"type": "choices", "from_name": "s", "value": {"choices": ["x"]}}]},
      {"result": [{"type": "choices", "from_name": "s", "value": {"choices": ["y"]}}]}]})");
  annodb_ls_import_options v;
  REQUIRE(annodb_ls_import_options_init(&v, sizeof v) == ANNODB_OK);
  v.project = "q";
  v.dataset = "d";
  v.default_author = "curator";
  CHECK(annodb_label_studio_import_opts(w.st, two.c_str(), &v, nullptr, report.ptr(), report.len()) ==
        ANNODB_INVALID_ARGUMENT);
  CHECK(Has(w.st.error(), "task 3: annotations[0], annotations[1] are all by member 'curator'"));
  v.same_author_versions = 1;
  REQUIRE(annodb_label_studio_import_opts(w.st, two.c_str(), &v, nullptr, report.ptr(), report.len()) == ANNODB_OK);
  r = report.parse();
  CHECK(r["labels"] == 1);
  CHECK(r["earlier_versions"] == 1);
  CHECK(r["default_author_used"] == 2);

  // Misuse.
  CHECK(annodb_ls_import_options_init(nullptr, sizeof o) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_ls_import_options_init(&o, 3) == ANNODB_INVALID_ARGUMENT);
  CHECK(annodb_label_studio_import_opts(w.st, real.c_str(), nullptr, nullptr, nullptr, nullptr) ==
        ANNODB_INVALID_ARGUMENT);
  v.project = nullptr;
  CHECK(annodb_label_studio_import_opts(w.st, two.c_str(), &v, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
  v.project = "q";
  v.struct_size = 2;
  CHECK(annodb_label_studio_import_opts(w.st, two.c_str(), &v, nullptr, nullptr, nullptr) == ANNODB_INVALID_ARGUMENT);
}
