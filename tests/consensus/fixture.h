// A store with one dataset of images, a project and members, for consensus tests.
#pragma once

#include <map>
#include <stdexcept>

#include "annodb/assets.h"
#include "annodb/consensus.h"
#include "annodb/labels.h"
#include "annodb/members.h"
#include "annodb/projects.h"
#include "test_util.h"

namespace annodb::test {

inline void Ok(const Status& s) {
  if (!s.ok()) throw std::runtime_error(s.ToString());
}

struct ConsensusFixture {
  TempDir dir{"consensus"};
  std::unique_ptr<Store> store = OpenNew(dir.path());
  uint64_t dataset = 0, project = 0;
  std::vector<uint64_t> assets;
  std::map<std::string, uint64_t> members;

  // `ontology` is JSON as ParseOntologyJson takes it; `n` assets of 100x100 pixels
  // with a 64-character text.
  ConsensusFixture(const std::string& ontology, size_t n, size_t num_members) {
    std::vector<FeatureDef> features;
    Ok(ParseOntologyJson(ontology, &features));
    Ok(store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
      ANNODB_RETURN_IF_ERROR(CreateDataset(t, "imgs", "", &dataset));
      for (size_t i = 0; i < n; ++i) {
        AssetInput a;
        a.external_id = "a" + std::to_string(i);
        a.uri = "file:///a" + std::to_string(i) + ".jpg";
        a.width = 100;
        a.height = 100;
        a.text = std::string(64, 'w');  // spans index an asset's text
        uint64_t id = 0;
        ANNODB_RETURN_IF_ERROR(PutAsset(t, dataset, a, &id, nullptr));
        assets.push_back(id);
      }
      ANNODB_RETURN_IF_ERROR(CreateProject(t, "p", {dataset}, features, ProjectSettings{}, &project));
      for (size_t m = 0; m < num_members; ++m) {
        uint64_t id = 0;
        std::string name = "m" + std::to_string(m);
        ANNODB_RETURN_IF_ERROR(AddMember(t, name, Role::Labeler, "", &id));
        members[name] = id;
      }
      return Status::OK();
    }));
  }

  uint64_t M(size_t i) const { return members.at("m" + std::to_string(i)); }

  static AnnotationInput Class(const std::string& feature, const std::string& value) {
    AnnotationInput a;
    a.feature = feature;
    a.value = value;
    return a;
  }
  static AnnotationInput Box(const std::string& feature, const std::string& cls, double x, double y, double w, double h) {
    AnnotationInput a;
    a.feature = feature;
    a.class_name = cls;
    a.x = x, a.y = y, a.w = w, a.h = h;
    return a;
  }
  LabelInput Label(size_t asset, uint64_t member, std::vector<AnnotationInput> anns,
                   LabelSource source = LabelSource::Human, LabelStatus status = LabelStatus::Submitted) const {
    LabelInput l;
    l.project_id = project;
    l.asset_id = assets.at(asset);
    l.author_member_id = member;
    l.source = source;
    l.status = status;
    l.annotations = std::move(anns);
    return l;
  }
  uint64_t Put(const LabelInput& l) {
    uint64_t id = 0;
    Ok(store->Write(Actor::Person("t"), [&](WriteTxn& t) { return PutLabel(t, l, &id, nullptr); }));
    return id;
  }
  Status Check() {
    return store->Read([&](ReadTxn& t) { return CheckConsensusViews(t, project); });
  }
  AssetConsensus View(size_t asset) {
    AssetConsensus c;
    Ok(store->Read([&](ReadTxn& t) { return GetAssetConsensus(t, project, assets.at(asset), &c); }));
    return c;
  }
  MemberAgreement Member(uint64_t m) {
    MemberAgreement r;
    Ok(store->Read([&](ReadTxn& t) { return GetMemberAgreement(t, project, m, &r); }));
    return r;
  }
};

}  // namespace annodb::test
