// The C ABI's functions that take JSON text or a buffer (bindings/c,
// annodb/annodb.h), through the shared library as a host program calls
// them. The first input byte picks the function, the rest is its text
// (NUL-terminated; annodb_import_jsonl_buffer gets the bytes as they are).
// Every call must return a code; a failure must leave a message in
// annodb_last_error that names the problem without internal text. An
// exception escaping the ABI would abort the run (std::terminate).
//
// The store (a dataset, a project with the label tests' ontology, a member,
// an asset queued and leased) lives for the run; accepted calls commit, and
// it is made afresh every few thousand accepted calls.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "annodb/annodb.h"
#include "fuzz_util.h"
#include "labels/fixture.h"  // kOntology
#include "test_util.h"

using namespace annodb;

namespace {

void Must(int rc, annodb_store* s, const char* what) {
  if (rc != ANNODB_OK) fuzz::Fail(std::string("setup: ") + what + ": " + annodb_last_error(s));
}

struct World {
  test::TempDir dir{"fuzz-capi"};
  annodb_store* store = nullptr;
  annodb_actor actor;
  uint64_t asset = 0, label = 0, lease = 0, token = 0;
  int accepted = 0;

  World() { Reset(); }
  ~World() { annodb_close(store); }

  void Reset() {
    annodb_close(store);
    std::filesystem::remove_all(dir.sub("store"));
    annodb_options o;
    annodb_options_init(&o, sizeof o);
    o.create_if_missing = 1;
    o.durability = ANNODB_DURABILITY_PROCESS_CRASH_SAFE;
    char* err = nullptr;
    if (annodb_open(dir.sub("store").c_str(), &o, &store, &err) != ANNODB_OK) fuzz::Fail("annodb_open failed");
    annodb_actor_init(&actor, sizeof actor);
    actor.kind = ANNODB_ACTOR_PERSON;
    actor.name = "alice";
    Must(annodb_dataset_create(store, "cams", nullptr, &actor, nullptr), store, "dataset");
    Must(annodb_asset_put_json(store, "cams",
                               R"({"external_id":"img-0001","uri":"file:///img-0001.jpg","width":640,"height":480,)"
                               R"("text":"Anna lives in Zürich."})",
                               &actor, &asset, nullptr),
         store, "asset");
    const char* datasets[] = {"cams"};
    Must(annodb_project_create(store, "street", datasets, 1, test::kOntology, nullptr, &actor, nullptr), store,
         "project");
    Must(annodb_member_add(store, "alice", "labeler", "Alice", &actor, nullptr), store, "member");
    Must(annodb_label_put_json(store,
                               R"({"project":"street","dataset":"cams","asset":"img-0001","author":"alice",)"
                               R"("annotations":[{"feature":"weather","value":"rain"}]})",
                               &actor, &label, nullptr),
         store, "label");
    Must(annodb_queue_add(store, "street", "cams", 1.0, nullptr, &actor, nullptr, nullptr), store, "queue");
    Lease();
    accepted = 0;
  }

  // Takes a lease for the submit calls (none when the queue has no work).
  void Lease() {
    lease = token = 0;
    char* out = nullptr;
    size_t len = 0;
    Must(annodb_lease(store, "street", "alice", 1, ANNODB_LANE_LABEL, &out, &len), store, "lease");
    nlohmann::json leases = nlohmann::json::parse(std::string(out, len));
    annodb_free(out);
    if (!leases.empty()) {
      lease = leases[0]["lease"].get<uint64_t>();
      token = leases[0]["token"].get<uint64_t>();
    }
  }
};

World& GetWorld() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  World& w = GetWorld();
  const char* raw = reinterpret_cast<const char*>(data + 1);
  const size_t n = size - 1;
  std::string text(raw, n);  // NUL-terminated; stops at the first NUL as C does
  const char* t = text.c_str();
  annodb_store* s = w.store;
  int rc = ANNODB_OK;
  char* out = nullptr;
  size_t out_len = 0;
  switch (data[0] % 9) {
    case 0: rc = annodb_asset_put_json(s, "cams", t, &w.actor, nullptr, nullptr); break;
    case 1: rc = annodb_asset_update_metadata(s, w.asset, t, &w.actor, nullptr); break;
    case 2: {
      annodb_import_options o;
      annodb_import_options_init(&o, sizeof o);
      o.hash_local_files = 0;  // a file:// URI must not make the run read the machine's files
      rc = annodb_import_jsonl_buffer(s, "cams", raw, n, &o, &w.actor, nullptr, &out, &out_len);
      break;
    }
    case 3: rc = annodb_project_extend_ontology(s, "street", t, &w.actor, nullptr); break;
    case 4: rc = annodb_label_put_json(s, t, &w.actor, nullptr, nullptr); break;
    case 5: rc = annodb_label_update_json(s, w.label, t, &w.actor, nullptr); break;
    case 6: rc = annodb_queue_add(s, "street", "cams", 1.0, t, &w.actor, &out, &out_len); break;
    case 7:
      rc = annodb_lease_submit(s, w.lease, w.token, t, 0, nullptr);
      if (rc == ANNODB_OK) w.Lease();
      break;
    case 8: {
      annodb_comment_target target;
      annodb_comment_target_init(&target, sizeof target);
      target.label_id = w.label;
      rc = annodb_comment_add(s, &target, "alice", t, &w.actor, nullptr);
      break;
    }
  }
  annodb_free(out);
  if (rc != ANNODB_OK) {
    fuzz::CheckMessageText(annodb_last_error(s), fuzz::AsText(data, size));
  } else if (++w.accepted >= 4096) {
    w.Reset();
  }
  return 0;
}
