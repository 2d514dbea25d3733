// A store with a dataset, a project over it and two members, for label tests.
#pragma once

#include "annodb/assets.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "test_util.h"

namespace annodb::test {

inline const char* kOntology = R"({"features": [
  {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]},
  {"name": "tags", "kind": "multi_classification", "options": ["wet", "night", "busy"]},
  {"name": "vehicle", "kind": "bbox", "classes": ["car", "truck"]},
  {"name": "road", "kind": "polygon"},
  {"name": "lane", "kind": "polyline"},
  {"name": "head", "kind": "point"},
  {"name": "sky", "kind": "mask"},
  {"name": "entity", "kind": "span", "classes": ["PER", "LOC"]},
  {"name": "caption", "kind": "text"}]})";

struct LabelFixture {
  TempDir dir{"labels"};
  std::unique_ptr<Store> store = OpenNew(dir.path());
  uint64_t dataset = 0, project = 0, alice = 0, bob = 0, img = 0, doc = 0;

  LabelFixture() {
    std::vector<FeatureDef> features;
    Status s = ParseOntologyJson(kOntology, &features);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    s = store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
      ANNODB_RETURN_IF_ERROR(CreateDataset(t, "cams", "", &dataset));
      AssetInput a;
      a.external_id = "img-0001";
      a.uri = "file:///img-0001.jpg";
      a.width = 640;
      a.height = 480;
      ANNODB_RETURN_IF_ERROR(PutAsset(t, dataset, a, &img, nullptr));
      AssetInput d;
      d.external_id = "doc-1";
      d.uri = "file:///doc-1.txt";
      d.text = "Anna lives in Zürich.";
      ANNODB_RETURN_IF_ERROR(PutAsset(t, dataset, d, &doc, nullptr));
      ANNODB_RETURN_IF_ERROR(CreateProject(t, "street", {dataset}, features, ProjectSettings{}, &project));
      ANNODB_RETURN_IF_ERROR(AddMember(t, "alice", Role::Labeler, "Alice", &alice));
      return AddMember(t, "bob", Role::Reviewer, "", &bob);
    });
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }

  LabelInput Label(uint64_t asset, uint64_t member) const {
    LabelInput l;
    l.project_id = project;
    l.asset_id = asset;
    l.author_member_id = member;
    return l;
  }

  uint64_t Sequence() const {
    uint64_t s = 0;
    store->Sequence(&s);
    return s;
  }
};

}  // namespace annodb::test
