// Projects, ontologies and members.
#include <catch2/catch.hpp>

#include "fixture.h"

using namespace annodb;

TEST_CASE("the issue's ontology example parses, in order, with its options") {
  std::vector<FeatureDef> f;
  REQUIRE(ParseOntologyJson(R"({"features": [{"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]}, {"name": "vehicle", "kind": "bbox", "classes": ["car", "truck"]}, {"name": "road", "kind": "polygon"}, {"name": "caption", "kind": "text"}]})", &f).ok());
  REQUIRE(f.size() == 4);
  CHECK(f[0].options == std::vector<std::string>{"sunny", "rain", "snow"});
  CHECK(f[1].kind == FeatureKind::BBox);
  CHECK(f[1].classes.at(1) == "truck");
  CHECK(f[3].kind == FeatureKind::Text);
}

TEST_CASE("bad ontologies are refused with the feature named") {
  std::vector<FeatureDef> f;
  auto err = [&](const char* j) { return ParseOntologyJson(j, &f).message(); };
  CHECK(err("not json").find("not valid JSON") != std::string::npos);
  CHECK(err(R"({"features": []})").find("no features") != std::string::npos);
  CHECK(err(R"({"features": [{"name": "a", "kind": "cube"}]})").find("kind must be") != std::string::npos);
  CHECK(err(R"({"features": [{"name": "a", "kind": "classification"}]})").find("needs options") != std::string::npos);
  CHECK(err(R"({"features": [{"name": "a", "kind": "text"}, {"name": "a", "kind": "text"}]})").find("twice") != std::string::npos);
  CHECK(err(R"({"features": [{"name": "a", "kind": "classification", "options": ["x", "x"]}]})").find("'x' twice") != std::string::npos);
  CHECK(err(R"({"features": [{"name": "a", "kind": "bbox", "options": ["x"]}]})").find("use classes") != std::string::npos);
  CHECK(err(R"({"features": [{"name": "a", "kind": "text", "colour": 1}]})").find("unknown key 'colour'") != std::string::npos);
  CHECK(err(R"({"features": [{"kind": "text"}]})").find("no name") != std::string::npos);
}

TEST_CASE("an ontology gains features and options in a new project version; removals are refused") {
  test::LabelFixture fx;
  ProjectInfo p;
  REQUIRE(fx.store->Read([&](ReadTxn& t) { return GetProject(t, fx.project, kCurrent, &p); }).ok());
  uint64_t before = fx.Sequence();
  std::vector<FeatureDef> more = p.features;
  more[0].options.push_back("fog");
  more.push_back({"mood", FeatureKind::Classification, {"calm", "busy"}, {}, false});
  REQUIRE(fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
    return UpdateProject(t, fx.project, p.dataset_ids, more, p.settings, nullptr);
  }).ok());
  ProjectInfo p2, old;
  REQUIRE(fx.store->Read([&](ReadTxn& t) {
    ANNODB_RETURN_IF_ERROR(GetProject(t, fx.project, kCurrent, &p2));
    return GetProject(t, fx.project, before, &old);
  }).ok());
  CHECK(p2.version == 2);
  CHECK(p2.features.size() == old.features.size() + 1);
  CHECK(p2.Feature("weather")->options.back() == "fog");
  CHECK(old.Feature("weather")->options.size() == 3);

  std::vector<FeatureDef> fewer = p2.features;
  fewer.pop_back();
  Status s = fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
    return UpdateProject(t, fx.project, p.dataset_ids, fewer, p.settings, nullptr);
  });
  CHECK(s.message().find("'mood' cannot be removed") != std::string::npos);
  std::vector<FeatureDef> reordered = p2.features;
  std::swap(reordered[0].options[0], reordered[0].options[1]);
  s = fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
    return UpdateProject(t, fx.project, p.dataset_ids, reordered, p.settings, nullptr);
  });
  CHECK(s.message().find("only be appended") != std::string::npos);
  std::vector<FeatureDef> rekinded = p2.features;
  rekinded[3].kind = FeatureKind::Polyline;
  CHECK(fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
    return UpdateProject(t, fx.project, p.dataset_ids, rekinded, p.settings, nullptr);
  }).IsInvalidArgument());
}

TEST_CASE("project creation refuses duplicates, unknown datasets and bad settings") {
  test::LabelFixture fx;
  std::vector<FeatureDef> f;
  REQUIRE(ParseOntologyJson(test::kOntology, &f).ok());
  auto create = [&](const std::string& name, std::vector<uint64_t> ds, ProjectSettings st) {
    return fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) { return CreateProject(t, name, ds, f, st, nullptr); });
  };
  CHECK(create("street", {fx.dataset}, {}).IsAlreadyExists());
  CHECK(create("p2", {999}, {}).IsNotFound());
  CHECK(create("p2", {}, {}).IsInvalidArgument());
  ProjectSettings bad;
  bad.overlap = 0;
  CHECK(create("p2", {fx.dataset}, bad).IsInvalidArgument());
  bad = {};
  bad.review_fraction = 1.5f;
  CHECK(create("p2", {fx.dataset}, bad).IsInvalidArgument());
  REQUIRE(create("p2", {fx.dataset}, {}).ok());
  std::vector<ProjectInfo> all;
  REQUIRE(fx.store->Read([&](ReadTxn& t) { return ListProjects(t, &all); }).ok());
  CHECK(all.size() == 2);
}

TEST_CASE("members: unique names, roles, deactivation as a new version") {
  test::LabelFixture fx;
  auto add = [&](const std::string& n) {
    return fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) { return AddMember(t, n, Role::Labeler, "", nullptr); });
  };
  CHECK(add("alice").IsAlreadyExists());
  CHECK(add("has space").IsInvalidArgument());
  CHECK(add("at@sign").IsInvalidArgument());
  CHECK(add("").IsInvalidArgument());
  REQUIRE(fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
    return UpdateMember(t, fx.alice, Role::Labeler, false, nullptr);
  }).ok());
  MemberInfo m;
  std::vector<MemberInfo> all;
  REQUIRE(fx.store->Read([&](ReadTxn& t) {
    ANNODB_RETURN_IF_ERROR(GetMember(t, fx.alice, &m));
    return ListMembers(t, &all);
  }).ok());
  CHECK_FALSE(m.active);
  CHECK(m.version == 2);
  CHECK(all.size() == 2);
  Role r;
  CHECK(ParseRole("reviewer", &r));
  CHECK(r == Role::Reviewer);
  CHECK_FALSE(ParseRole("boss", &r));
}
