// Consensus views kept current by label writes (consensus.h).
#include <catch2/catch.hpp>
#include <random>

#include "annodb/keys.h"
#include "annodb/verify.h"
#include "fixture.h"

using namespace annodb;
using namespace annodb::test;

namespace {
const char* kOnto = R"({"features": [
  {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]},
  {"name": "cars", "kind": "bbox", "classes": ["car", "truck"]}]})";
}

TEST_CASE("asset and member views follow submit, update and delete", "[consensus][views]") {
  ConsensusFixture f(kOnto, 3, 5);
  uint64_t l0 = f.Put(f.Label(0, f.M(0), {f.Class("weather", "sunny")}));
  // One label: no pair, no score yet.
  AssetConsensus c = f.View(0);
  CHECK(c.label_count == 1);
  CHECK(c.pairs == 0);
  CHECK(!c.score);
  CHECK(c.best_label_id == 0);
  uint64_t l1 = f.Put(f.Label(0, f.M(1), {f.Class("weather", "sunny")}));
  uint64_t l2 = f.Put(f.Label(0, f.M(2), {f.Class("weather", "rain")}));
  // Pairs (0,1) = 1, (0,2) = 0, (1,2) = 0: score 1/3; labels 0 and 1 tie at
  // mean 1/2, the lower id wins.
  c = f.View(0);
  CHECK(c.label_count == 3);
  CHECK(c.pairs == 3);
  REQUIRE(c.score);
  CHECK(*c.score == Approx(1.0 / 3));
  CHECK(c.best_label_id == l0);
  REQUIRE(c.features.size() == 1);
  CHECK(c.features[0].feature == "weather");
  CHECK(c.features[0].pairs == 3);
  CHECK(c.label_ids == std::vector<uint64_t>{l0, l1, l2});
  MemberAgreement m0 = f.Member(f.M(0)), m2 = f.Member(f.M(2));
  CHECK(m0.labels == 1);
  CHECK(m0.pairs == 2);
  CHECK(*m0.agreement == Approx(0.5));
  CHECK(*m2.agreement == 0.0);
  CHECK(f.Check().ok());

  // Update: m2 changes its mind (an upsert through PutLabel).
  f.Put(f.Label(0, f.M(2), {f.Class("weather", "sunny")}));
  c = f.View(0);
  CHECK(*c.score == Approx(1.0));
  CHECK(*f.Member(f.M(2)).agreement == Approx(1.0));
  CHECK(f.Check().ok());

  // Delete m0's label: its pairs and counts go.
  Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) { return DeleteLabel(t, l0); }));
  c = f.View(0);
  CHECK(c.label_count == 2);
  CHECK(c.pairs == 1);
  CHECK(c.best_label_id == l1);
  m0 = f.Member(f.M(0));
  CHECK(m0.labels == 0);
  CHECK(!m0.agreement);
  CHECK(f.Check().ok());

  // Delete everything: the view disappears.
  Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(DeleteLabel(t, l1));
    return DeleteLabel(t, l2);
  }));
  Status s = f.store->Read([&](ReadTxn& t) {
    AssetConsensus x;
    return GetAssetConsensus(t, f.project, f.assets[0], &x);
  });
  CHECK(s.IsNotFound());
  std::vector<MemberAgreement> all;
  Ok(f.store->Read([&](ReadTxn& t) { return ListMemberAgreement(t, f.project, &all); }));
  CHECK(all.empty());
  CHECK(f.Check().ok());
}

TEST_CASE("drafts and rejected labels do not count, gold is a benchmark", "[consensus][views]") {
  ConsensusFixture f(kOnto, 2, 5);
  f.Put(f.Label(0, f.M(0), {f.Class("weather", "sunny")}));
  uint64_t draft = f.Put(f.Label(0, f.M(1), {f.Class("weather", "rain")}, LabelSource::Human, LabelStatus::Draft));
  CHECK(f.View(0).label_count == 1);
  // Submitting the draft makes it count.
  Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) {
    LabelInput l = f.Label(0, f.M(1), {f.Class("weather", "rain")});
    return UpdateLabel(t, draft, l, nullptr);
  }));
  CHECK(f.View(0).label_count == 2);
  CHECK(*f.View(0).score == 0.0);
  // Rejecting it removes it again.
  Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) {
    LabelInput l = f.Label(0, f.M(1), {f.Class("weather", "rain")}, LabelSource::Human, LabelStatus::Rejected);
    return UpdateLabel(t, draft, l, nullptr);
  }));
  CHECK(f.View(0).label_count == 1);
  CHECK(f.Check().ok());

  // Gold by m4 says sunny: m0 agrees (benchmark 1); gold is not in the score.
  f.Put(f.Label(0, f.M(4), {f.Class("weather", "sunny")}, LabelSource::Gold));
  AssetConsensus c = f.View(0);
  CHECK(c.label_count == 1);
  CHECK(c.gold_count == 1);
  CHECK(!c.score);
  MemberAgreement m0 = f.Member(f.M(0));
  CHECK(m0.gold_pairs == 1);
  CHECK(*m0.gold_agreement == 1.0);
  CHECK(!m0.agreement);
  // m3 labels asset 0 rain: agreement 0 with m0 and benchmark 0.
  f.Put(f.Label(0, f.M(3), {f.Class("weather", "rain")}));
  MemberAgreement m3 = f.Member(f.M(3));
  CHECK(*m3.gold_agreement == 0.0);
  CHECK(*m3.agreement == 0.0);
  // The gold author's own human label is not benchmarked against its gold.
  f.Put(f.Label(0, f.M(4), {f.Class("weather", "sunny")}));
  MemberAgreement m4 = f.Member(f.M(4));
  CHECK(m4.gold_pairs == 0);
  CHECK(m4.pairs == 2);
  // Model labels never count.
  LabelInput model = f.Label(0, 0, {f.Class("weather", "snow")}, LabelSource::Model);
  model.model_name = "m";
  f.Put(model);
  CHECK(f.View(0).label_count == 3);
  CHECK(f.Check().ok());
  VerifyReport vr;
  CHECK(VerifyStore(*f.store, &vr).ok());
}

TEST_CASE("boxes: per-feature scores in the asset view", "[consensus][views]") {
  ConsensusFixture f(kOnto, 1, 2);
  f.Put(f.Label(0, f.M(0), {f.Class("weather", "sunny"), f.Box("cars", "car", 0, 0, 20, 20)}));
  f.Put(f.Label(0, f.M(1), {f.Class("weather", "sunny"), f.Box("cars", "car", 10, 10, 20, 20)}));
  AssetConsensus c = f.View(0);
  // Box IoU: 100 / (400 + 400 - 100) = 1/7; label agreement (1 + 1/7) / 2.
  REQUIRE(c.features.size() == 2);
  CHECK(c.features[1].feature == "cars");
  CHECK(c.features[1].score == Approx(1.0 / 7).margin(1e-9));
  CHECK(*c.score == Approx((1 + 1.0 / 7) / 2).margin(1e-9));
}

TEST_CASE("below lists assets under a score, lowest first", "[consensus][views]") {
  ConsensusFixture f(kOnto, 4, 3);
  auto two = [&](size_t a, const char* x, const char* y) {
    f.Put(f.Label(a, f.M(0), {f.Class("weather", x)}));
    f.Put(f.Label(a, f.M(1), {f.Class("weather", y)}));
  };
  two(0, "sunny", "sunny");  // 1
  two(1, "sunny", "rain");   // 0
  f.Put(f.Label(2, f.M(0), {f.Class("weather", "sunny"), f.Box("cars", "car", 0, 0, 10, 10)}));
  f.Put(f.Label(2, f.M(1), {f.Class("weather", "sunny")}));  // (1 + 0) / 2 = 0.5
  f.Put(f.Label(3, f.M(0), {f.Class("weather", "sunny")}));  // no score
  std::vector<AssetConsensus> below;
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetsBelow(t, f.project, 0.75, 0, &below); }));
  REQUIRE(below.size() == 2);
  CHECK(below[0].asset_id == f.assets[1]);
  CHECK(below[1].asset_id == f.assets[2]);
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetsBelow(t, f.project, 0.5, 0, &below); }));
  CHECK(below.size() == 1);  // strictly below
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetsBelow(t, f.project, 2, 0, &below); }));
  CHECK(below.size() == 3);
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetsBelow(t, f.project, 0, 0, &below); }));
  CHECK(below.empty());
  // The limit keeps the lowest scores, in order.
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetsBelow(t, f.project, 2, 2, &below); }));
  REQUIRE(below.size() == 2);
  CHECK(below[0].asset_id == f.assets[1]);
  CHECK(below[1].asset_id == f.assets[2]);
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetsBelow(t, f.project, 2, 1, &below); }));
  REQUIRE(below.size() == 1);
  CHECK(below[0].asset_id == f.assets[1]);
  std::vector<AssetConsensus> all;
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetConsensus(t, f.project, 0, 2, &all); }));
  REQUIRE(all.size() == 2);
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetConsensus(t, f.project, all[1].asset_id, 0, &all); }));
  CHECK(all.size() == 2);
  // Unhappy paths.
  Status s = f.store->Read([&](ReadTxn& t) { return ListAssetsBelow(t, 999, 0.5, 0, &below); });
  CHECK(s.IsNotFound());
  s = f.store->Read([&](ReadTxn& t) { return ListAssetsBelow(t, f.project, NAN, 0, &below); });
  CHECK(s.IsInvalidArgument());
  MemberAgreement m;
  s = f.store->Read([&](ReadTxn& t) { return GetMemberAgreement(t, f.project, 999, &m); });
  CHECK(s.IsNotFound());
}

TEST_CASE("random submits, updates and deletes keep views equal to a recomputation", "[consensus][views]") {
  ConsensusFixture f(kOnto, 6, 5);
  std::mt19937 rng(7);
  const char* opts[] = {"sunny", "rain", "snow"};
  const char* classes[] = {"car", "truck"};
  std::map<std::pair<size_t, size_t>, uint64_t> live;  // (asset, member) -> label id
  for (int step = 0; step < 250; ++step) {
    size_t a = rng() % 6, m = rng() % 5;
    int op = static_cast<int>(rng() % 10);
    Status s = f.store->Write(Actor::Person("t"), [&](WriteTxn& t) {
      auto it = live.find({a, m});
      if (op < 2 && it != live.end()) return DeleteLabel(t, it->second);
      std::vector<AnnotationInput> anns;
      if (rng() % 4) anns.push_back(f.Class("weather", opts[rng() % 3]));
      for (unsigned b = rng() % 3; b > 0; --b)
        anns.push_back(f.Box("cars", classes[rng() % 2], rng() % 50, rng() % 50, 10 + rng() % 40, 10 + rng() % 40));
      LabelStatus st = rng() % 5 == 0 ? LabelStatus::Draft : (rng() % 6 == 0 ? LabelStatus::Accepted : LabelStatus::Submitted);
      LabelSource src = m == 4 && rng() % 2 ? LabelSource::Gold : LabelSource::Human;
      uint64_t id = 0;
      return PutLabel(t, f.Label(a, f.M(m), anns, src, st), &id, nullptr);
    });
    REQUIRE(s.ok());
    // Track the live labels for deletes.
    live.clear();
    Ok(f.store->Read([&](ReadTxn& t) {
      LabelFilter lf;
      lf.project_id = f.project;
      std::vector<uint64_t> ids;
      ANNODB_RETURN_IF_ERROR(ListLabels(t, lf, 0, 10000, &ids));
      for (uint64_t id : ids) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(t.Get(RecordKind::Label, id, &v));
        const fb::Label* l = v.As<fb::Label>();
        size_t ai = std::find(f.assets.begin(), f.assets.end(), l->asset_id()) - f.assets.begin();
        for (size_t mi = 0; mi < 5; ++mi)
          if (f.M(mi) == l->author_member_id()) live[{ai, mi}] = id;
      }
      return Status::OK();
    }));
    if (step % 10 == 0 || step == 249) {
      Status c = f.Check();
      INFO("step " << step << ": " << c.ToString());
      REQUIRE(c.ok());
    }
  }
  // A rebuild writes the same views.
  Ok(f.store->Write(Actor::System(), [&](WriteTxn& t) { return RebuildConsensusViews(t, f.project); }));
  CHECK(f.Check().ok());
}

TEST_CASE("verify notices a damaged view and a rebuild repairs it", "[consensus][views]") {
  ConsensusFixture f(kOnto, 1, 3);
  f.Put(f.Label(0, f.M(0), {f.Class("weather", "sunny")}));
  f.Put(f.Label(0, f.M(1), {f.Class("weather", "rain")}));
  Ok(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    return t.IndexDelete(Index::kConsensusMember, KeyBuilder().U64(f.project).U64(f.M(0)).str());
  }));
  Status s = f.Check();
  CHECK(s.IsCorruption());
  VerifyReport vr;
  Status vs = VerifyStore(*f.store, &vr);
  CHECK((!vs.ok() || !vr.ok()));
  Ok(f.store->Write(Actor::System(), [&](WriteTxn& t) { return RebuildConsensusViews(t, f.project); }));
  CHECK(f.Check().ok());
}

namespace {
// Removes every view entry of the project, as in a store written before the
// views existed (the labels stay).
void WipeViews(ConsensusFixture& f) {
  Ok(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    std::string prefix = KeyBuilder().U64(f.project).str();
    for (Index index : {Index::kConsensusAsset, Index::kConsensusByScore, Index::kConsensusMember, Index::kConsensusValues}) {
      std::vector<std::string> keys;
      ANNODB_RETURN_IF_ERROR(t.IndexScan(index, prefix, prefix, [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return true;
      }));
      for (const std::string& k : keys) ANNODB_RETURN_IF_ERROR(t.IndexDelete(index, k));
    }
    return Status::OK();
  }));
  std::vector<AssetConsensus> views;
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetConsensus(t, f.project, 0, 0, &views); }));
  REQUIRE(views.empty());
  REQUIRE(f.Check().IsCorruption());  // the labels are there, the views are not
}
}  // namespace

TEST_CASE("stores without views: the first label change rebuilds the project's views", "[consensus][views]") {
  ConsensusFixture f(kOnto, 3, 3);
  uint64_t l0 = f.Put(f.Label(0, f.M(0), {f.Class("weather", "sunny")}));
  uint64_t l1 = f.Put(f.Label(0, f.M(1), {f.Class("weather", "rain")}));
  f.Put(f.Label(1, f.M(0), {f.Class("weather", "snow")}));
  f.Put(f.Label(1, f.M(1), {f.Class("weather", "snow")}));
  WipeViews(f);

  SECTION("updating an old counted label") {
    LabelInput l = f.Label(0, f.M(1), {f.Class("weather", "sunny")});
    Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) { return UpdateLabel(t, l1, l, nullptr); }));
    CHECK(*f.View(0).score == Approx(1.0));
    CHECK(*f.View(1).score == Approx(1.0));  // an asset the change did not touch has its view too
  }
  SECTION("deleting an old counted label") {
    Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) { return DeleteLabel(t, l0); }));
    CHECK(f.View(0).label_count == 1);
    CHECK(f.View(1).label_count == 2);
  }
  SECTION("a status change out of counting (rejected)") {
    LabelInput l = f.Label(0, f.M(0), {f.Class("weather", "sunny")}, LabelSource::Human, LabelStatus::Rejected);
    Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) { return UpdateLabel(t, l0, l, nullptr); }));
    CHECK(f.View(0).label_count == 1);
  }
  SECTION("a new label on an asset that has old labels") {
    f.Put(f.Label(0, f.M(2), {f.Class("weather", "rain")}));
    AssetConsensus c = f.View(0);
    CHECK(c.label_count == 3);
    CHECK(c.pairs == 3);
    CHECK(*c.score == Approx(1.0 / 3).margin(1e-9));
  }
  SECTION("a new label on a new asset of a project without views") {
    f.Put(f.Label(2, f.M(2), {f.Class("weather", "rain")}));
    CHECK(f.View(0).label_count == 2);
    CHECK(f.View(2).label_count == 1);
  }
  SECTION("several changes in one transaction") {
    LabelInput l = f.Label(0, f.M(1), {f.Class("weather", "snow")});
    Ok(f.store->Write(Actor::Person("t"), [&](WriteTxn& t) {
      ANNODB_RETURN_IF_ERROR(UpdateLabel(t, l1, l, nullptr));
      ANNODB_RETURN_IF_ERROR(DeleteLabel(t, l0));
      LabelInput n = f.Label(2, f.M(0), {f.Class("weather", "rain")});
      return PutLabel(t, n, nullptr, nullptr);
    }));
    CHECK(f.View(0).label_count == 1);
    CHECK(f.View(2).label_count == 1);
  }
  INFO(f.Check().ToString());
  CHECK(f.Check().ok());
  MemberAgreement m = f.Member(f.M(0));
  CHECK(m.labels >= 1);
  VerifyReport vr;
  Ok(VerifyStore(*f.store, &vr));
  CHECK(vr.ok());
}

TEST_CASE("stores without views: labels that do not count change nothing", "[consensus][views]") {
  ConsensusFixture f(kOnto, 2, 2);
  f.Put(f.Label(0, f.M(0), {f.Class("weather", "sunny")}));
  f.Put(f.Label(0, f.M(1), {f.Class("weather", "rain")}));
  WipeViews(f);
  // A draft does not count: no view is touched (and none rebuilt).
  f.Put(f.Label(1, f.M(0), {f.Class("weather", "sunny")}, LabelSource::Human, LabelStatus::Draft));
  std::vector<AssetConsensus> views;
  Ok(f.store->Read([&](ReadTxn& t) { return ListAssetConsensus(t, f.project, 0, 0, &views); }));
  CHECK(views.empty());
  // A fresh project's first label builds its first view without a rebuild.
  ConsensusFixture g(kOnto, 1, 1);
  g.Put(g.Label(0, g.M(0), {g.Class("weather", "sunny")}));
  CHECK(g.View(0).label_count == 1);
  CHECK(g.Check().ok());
}

TEST_CASE("random labels of every kind keep views equal to a recomputation", "[consensus][views]") {
  // The views read an asset's other labels for the agreement into one reused
  // object; labels of different kinds and sizes one after another must leave
  // nothing of the previous label behind.
  const char* onto = R"({"features": [
    {"name": "weather", "kind": "classification", "options": ["sunny", "rain"]},
    {"name": "tags", "kind": "multi_classification", "options": ["a", "b", "c"]},
    {"name": "caption", "kind": "text"},
    {"name": "cars", "kind": "bbox", "classes": ["car", "truck"]},
    {"name": "areas", "kind": "polygon", "classes": ["road"]},
    {"name": "eyes", "kind": "point", "classes": ["left", "right"]},
    {"name": "lanes", "kind": "polyline"},
    {"name": "words", "kind": "span", "classes": ["name"]}]})";
  ConsensusFixture f(onto, 4, 4);
  std::mt19937 rng(13);
  const char* tags[] = {"a", "b", "c"};
  const char* captions[] = {"a red car", "A red  car", "a blue truck", "the truck"};
  for (int step = 0; step < 200; ++step) {
    size_t a = rng() % 4, m = rng() % 4;
    std::vector<AnnotationInput> anns;
    if (rng() % 2) anns.push_back(f.Class("weather", rng() % 2 ? "sunny" : "rain"));
    if (rng() % 2) {
      AnnotationInput t;
      t.feature = "tags";
      for (const char* v : tags)
        if (rng() % 2) t.values.push_back(v);
      anns.push_back(t);
    }
    if (rng() % 2) {
      AnnotationInput t;
      t.feature = "caption";
      t.text = captions[rng() % 4];
      anns.push_back(t);
    }
    for (unsigned n = rng() % 3; n > 0; --n) {
      AnnotationInput b = f.Box("cars", rng() % 2 ? "car" : "truck", rng() % 50, rng() % 50, 5 + rng() % 40, 5 + rng() % 40);
      if (rng() % 3 == 0) b.score = 0.5f;
      anns.push_back(b);
    }
    for (unsigned n = rng() % 2; n > 0; --n) {
      AnnotationInput p;
      p.feature = "areas";
      p.class_name = "road";
      double x = rng() % 50, y = rng() % 50, w = 5 + rng() % 40, h = 5 + rng() % 40;
      p.points = {{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}};
      anns.push_back(p);
    }
    for (unsigned n = rng() % 3; n > 0; --n) {
      AnnotationInput p;
      p.feature = "eyes";
      p.class_name = rng() % 2 ? "left" : "right";
      p.points = {{static_cast<double>(rng() % 100), static_cast<double>(rng() % 100)}};
      anns.push_back(p);
    }
    if (rng() % 3 == 0) {
      AnnotationInput p;
      p.feature = "lanes";
      for (unsigned n = 2 + rng() % 4; n > 0; --n)
        p.points.push_back({static_cast<double>(rng() % 100), static_cast<double>(rng() % 100)});
      anns.push_back(p);
    }
    if (rng() % 3 == 0) {
      AnnotationInput s;
      s.feature = "words";
      s.class_name = "name";
      s.span_start = rng() % 20;
      s.span_end = s.span_start + 1 + rng() % 10;
      anns.push_back(s);
    }
    LabelStatus st = rng() % 6 == 0 ? LabelStatus::Draft : LabelStatus::Submitted;
    LabelSource src = m == 3 && rng() % 2 ? LabelSource::Gold : LabelSource::Human;
    Status s = f.store->Write(Actor::Person("t"), [&](WriteTxn& t) {
      uint64_t id = 0;
      return PutLabel(t, f.Label(a, f.M(m), anns, src, st), &id, nullptr);
    });
    INFO("step " << step << ": " << s.ToString());
    REQUIRE(s.ok());
    if (step % 10 == 0 || step == 199) {
      Status c = f.Check();
      INFO("step " << step << ": " << c.ToString());
      REQUIRE(c.ok());
    }
  }
}

TEST_CASE("no by-score index is written; an earlier build's entries fail verify until a rebuild", "[consensus][views]") {
  ConsensusFixture f(kOnto, 2, 2);
  f.Put(f.Label(0, f.M(0), {f.Class("weather", "sunny")}));
  f.Put(f.Label(0, f.M(1), {f.Class("weather", "rain")}));
  std::string prefix = KeyBuilder().U64(f.project).str();
  auto score_entries = [&] {
    size_t n = 0;
    Ok(f.store->Read([&](ReadTxn& t) {
      return t.IndexScan(Index::kConsensusByScore, prefix, prefix, [&](std::string_view, std::string_view) {
        ++n;
        return true;
      });
    }));
    return n;
  };
  CHECK(score_entries() == 0);
  CHECK(f.Check().ok());
  // What an earlier build wrote for asset 0 (score 0).
  Ok(f.store->Write(Actor::System(), [&](WriteTxn& t) {
    return t.IndexPut(Index::kConsensusByScore, KeyBuilder().U64(f.project).U64(0).U64(f.assets[0]).str(), "");
  }));
  CHECK(f.Check().IsCorruption());
  Ok(f.store->Write(Actor::System(), [&](WriteTxn& t) { return RebuildConsensusViews(t, f.project); }));
  CHECK(score_entries() == 0);
  CHECK(f.Check().ok());
}
