// Pairwise label agreement (label_agreement.h) and the assignment solver.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <random>

#include "annodb/assignment.h"
#include "annodb/label_agreement.h"

using namespace annodb;


namespace {

double AssignmentValue(const std::vector<std::vector<double>>& m, const std::vector<int>& a) {
  double s = 0;
  std::vector<int> used;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] >= 0) {
      s += m[i][static_cast<size_t>(a[i])];
      used.push_back(a[i]);
    }
  std::sort(used.begin(), used.end());
  REQUIRE(std::adjacent_find(used.begin(), used.end()) == used.end());  // one-to-one
  return s;
}

// Best total by trying every injection of the smaller side into the larger.
double BruteForce(const std::vector<std::vector<double>>& m) {
  size_t r = m.size(), c = r ? m[0].size() : 0;
  size_t n = std::max(r, c);
  std::vector<size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  double best = 0;
  do {
    double s = 0;
    for (size_t i = 0; i < r; ++i)
      if (perm[i] < c) s += m[i][perm[i]];
    best = std::max(best, s);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

AnnotationInput Box(std::string cls, double x, double y, double w, double h) {
  AnnotationInput a;
  a.feature = "objects";
  a.kind = FeatureKind::BBox;
  a.class_name = std::move(cls);
  a.x = x, a.y = y, a.w = w, a.h = h;
  return a;
}

}  // namespace

TEST_CASE("assignment equals brute force on random matrices", "[consensus][assignment]") {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 400; ++trial) {
    size_t r = 1 + rng() % 6, c = 1 + rng() % 6;
    std::vector<std::vector<double>> m(r, std::vector<double>(c));
    for (auto& row : m)
      for (double& v : row) v = (rng() % 4 == 0) ? 0.0 : (trial % 3 == 0 ? std::floor(u(rng) * 4) / 4 : u(rng));
    std::vector<int> a = stats::MaxWeightAssignment(m);
    REQUIRE(a.size() == r);
    REQUIRE(AssignmentValue(m, a) == Approx(BruteForce(m)).margin(1e-12));
    for (size_t i = 0; i < r; ++i)
      if (a[i] >= 0) REQUIRE(m[i][static_cast<size_t>(a[i])] > 0);  // zero-weight pairs are unmatched
  }
}

TEST_CASE("assignment edge cases", "[consensus][assignment]") {
  CHECK(stats::MaxWeightAssignment({}).empty());
  CHECK(stats::MaxWeightAssignment({{}, {}}) == std::vector<int>{-1, -1});
  CHECK(stats::MaxWeightAssignment({{0, 0}, {0, 0}}) == std::vector<int>{-1, -1});
  // Greedy would take 0.9 and leave 0.1; the optimum is 0.8 + 0.8.
  CHECK(stats::MaxWeightAssignment({{0.9, 0.8}, {0.8, 0.1}}) == std::vector<int>{1, 0});
  // Negative and non-finite weights count as 0.
  CHECK(stats::MaxWeightAssignment({{-1, NAN}, {INFINITY, 0.5}}) == std::vector<int>{-1, 1});
}

TEST_CASE("box IoU by hand", "[consensus][agreement]") {
  // Two 2x2 squares offset by (1, 1): intersection 1, union 4 + 4 - 1 = 7.
  CHECK(BoxIou(Box("a", 0, 0, 2, 2), Box("a", 1, 1, 2, 2)) == Approx(1.0 / 7));
  CHECK(BoxIou(Box("a", 0, 0, 2, 2), Box("a", 0, 0, 2, 2)) == Approx(1.0));
  CHECK(BoxIou(Box("a", 0, 0, 2, 2), Box("a", 2, 0, 2, 2)) == 0.0);  // touching only
  // Nested: 1x1 inside 2x2 -> 1/4.
  CHECK(BoxIou(Box("a", 0, 0, 2, 2), Box("a", 0.5, 0.5, 1, 1)) == Approx(0.25));
}

TEST_CASE("polygon IoU by hand", "[consensus][agreement]") {
  std::vector<Point> sq1{{0, 0}, {2, 0}, {2, 2}, {0, 2}}, sq2{{1, 1}, {3, 1}, {3, 3}, {1, 3}};
  CHECK(PolygonIou(sq1, sq2) == Approx(1.0 / 7));
  // Orientation does not matter.
  std::vector<Point> sq2cw{{1, 1}, {1, 3}, {3, 3}, {3, 1}};
  CHECK(PolygonIou(sq1, sq2cw) == Approx(1.0 / 7));
  // Triangle (0,0),(2,0),(0,2) (area 2) inside the square (area 4): IoU 2/4.
  CHECK(PolygonIou(sq1, {{0, 0}, {2, 0}, {0, 2}}) == Approx(0.5));
  CHECK(PolygonIou(sq1, {{5, 5}, {6, 5}, {6, 6}}) == 0.0);
  CHECK(PolygonIou(sq1, {{0, 0}, {1, 1}}) == 0.0);  // degenerate
}

TEST_CASE("mask IoU of RLE masks", "[consensus][agreement]") {
  // 2x3 masks, column-major runs starting with zeros.
  // a: pixels 1..3 set (runs 1,3,2); b: pixels 2..5 set (runs 2,4).
  // Intersection {2,3} = 2, union {1..5} = 5.
  CHECK(MaskIou({1, 3, 2}, 2, 3, {2, 4}, 2, 3) == Approx(0.4));
  CHECK(MaskIou({6}, 2, 3, {6}, 2, 3) == 1.0);  // both empty
  CHECK(MaskIou({6}, 2, 3, {0, 6}, 2, 3) == 0.0);
  CHECK(MaskIou({1, 3, 2}, 2, 3, {1, 3, 2}, 3, 2) == 0.0);  // different sizes
  // Round trip through the COCO string form.
  std::string counts = EncodeRle({1, 3, 2});
  std::vector<uint32_t> runs;
  REQUIRE(DecodeRle(counts, 2, 3, &runs).ok());
  CHECK(MaskIou(runs, 2, 3, {2, 4}, 2, 3) == Approx(0.4));
}

TEST_CASE("span, Jaccard and distance similarity", "[consensus][agreement]") {
  CHECK(SpanIou(0, 10, 5, 15) == Approx(5.0 / 15));
  CHECK(SpanIou(0, 10, 10, 20) == 0.0);
  CHECK(SpanIou(3, 3, 3, 4) == 0.0);
  CHECK(JaccardAgreement({"a", "b", "c"}, {"b", "c", "d"}) == Approx(0.5));
  CHECK(JaccardAgreement({}, {}) == 1.0);
  CHECK(JaccardAgreement({"a"}, {}) == 0.0);
  // Asset 300x400: diagonal 500, sigma 0.02 * 500 = 10 px; at d = 10 the
  // similarity is exp(-1/2).
  CHECK(DistanceSimilarity(0, {300, 400}) == 1.0);
  CHECK(DistanceSimilarity(10, {300, 400}) == Approx(std::exp(-0.5)));
  // Unknown size: diagonal 1000 px, sigma 20 px.
  CHECK(DistanceSimilarity(20, {0, 0}) == Approx(std::exp(-0.5)));
  // Polylines: parallel horizontal lines 3 px apart.
  CHECK(PolylineDistance({{0, 0}, {10, 0}}, {{0, 3}, {10, 3}}) == Approx(3.0));
  // B = (0,0)-(5,4)-(10,0): B's vertex (5,4) is 4 from A, A's two vertices
  // lie on B; the means are (0+0)/2 and (0+4+0)/3.
  CHECK(PolylineDistance({{0, 0}, {10, 0}}, {{0, 0}, {5, 4}, {10, 0}}) == Approx((0.0 + 4.0 / 3) / 2));
}

TEST_CASE("text normalisation and similarity", "[consensus][agreement]") {
  CHECK(NormalizeText("  Hello \t  World\n") == "hello world");
  CHECK(TextSimilarity("Hello  world", "hello world ") == 1.0);
  // Wikipedia "Levenshtein distance": kitten -> sitting is 3 edits.
  CHECK(Levenshtein("kitten", "sitting") == 3);
  CHECK(TextSimilarity("kitten", "sitting") == Approx(1.0 - 3.0 / 7));
  // Code points, not bytes: one substitution in a 4-character word.
  CHECK(Levenshtein("café", "cafe") == 1);
  CHECK(TextSimilarity("café", "cafe") == Approx(0.75));
  CHECK(TextSimilarity("", "abc") == 0.0);
  CHECK(TextSimilarity("", " ") == 1.0);
  // Common prefix and suffix are stripped before the distance; same result.
  CHECK(TextSimilarity("the quick brown fox", "the quack brown fox") == Approx(1.0 - 1.0 / 19));
}

TEST_CASE("label agreement over an ontology", "[consensus][agreement]") {
  std::vector<FeatureDef> onto(5);
  onto[0] = {"weather", FeatureKind::Classification, {"sun", "rain"}, {}, false};
  onto[1] = {"objects", FeatureKind::BBox, {}, {"car", "truck"}, false};
  onto[2] = {"tags", FeatureKind::MultiClassification, {"a", "b", "c"}, {}, false};
  onto[3] = {"caption", FeatureKind::Text, {}, {}, false};
  onto[4] = {"unused", FeatureKind::Point, {}, {}, false};
  auto cls = [](std::string v) {
    AnnotationInput a;
    a.feature = "weather";
    a.kind = FeatureKind::Classification;
    a.value = std::move(v);
    return a;
  };
  LabelInput a, b;
  a.annotations = {cls("sun"), Box("car", 0, 0, 2, 2), Box("car", 10, 10, 2, 2), Box("truck", 0, 0, 2, 2)};
  b.annotations = {cls("rain"), Box("car", 1, 1, 2, 2), Box("car", 10, 10, 2, 2)};
  LabelAgreementResult r;
  REQUIRE(LabelAgreement(onto, {100, 100}, a, b, &r).ok());
  REQUIRE(r.features.size() == 2);
  CHECK(r.features[0].feature == 0);
  CHECK(r.features[0].score == 0.0);
  // Cars: matched pairs 1/7 and 1; the truck has no partner (class differs
  // from b's boxes): (1/7 + 1) / (3 + 2 - 2).
  CHECK(r.features[1].feature == 1);
  CHECK(r.features[1].score == Approx((1.0 / 7 + 1.0) / 3));
  CHECK(r.score == Approx((0 + (1.0 / 7 + 1.0) / 3) / 2));

  // Symmetric.
  LabelAgreementResult r2;
  REQUIRE(LabelAgreement(onto, {100, 100}, b, a, &r2).ok());
  CHECK(r2.score == Approx(r.score));

  // A feature present in only one label scores 0; two empty labels agree.
  LabelInput empty1, empty2;
  REQUIRE(LabelAgreement(onto, {}, empty1, empty2, &r).ok());
  CHECK(r.score == 1.0);
  CHECK(r.features.empty());
  REQUIRE(LabelAgreement(onto, {}, a, empty2, &r).ok());
  CHECK(r.score == 0.0);
  CHECK(r.features.size() == 2);
}

TEST_CASE("label agreement refuses unknown features and wrong kinds", "[consensus][agreement]") {
  std::vector<FeatureDef> onto(1);
  onto[0] = {"objects", FeatureKind::BBox, {}, {}, false};
  LabelInput a, b;
  AnnotationInput x = Box("", 0, 0, 1, 1);
  x.feature = "nope";
  a.annotations = {x};
  LabelAgreementResult r;
  r.score = 42;
  Status s = LabelAgreement(onto, {}, a, b, &r);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("nope") != std::string::npos);
  CHECK(r.score == 42);  // untouched
  x.feature = "objects";
  x.kind = FeatureKind::Point;
  a.annotations = {x};
  CHECK(LabelAgreement(onto, {}, a, b, &r).IsInvalidArgument());
  // Malformed mask.
  onto[0].kind = FeatureKind::Mask;
  x.kind = FeatureKind::Mask;
  x.mask_height = 2;
  x.mask_width = 2;
  x.mask_counts = "\x01";
  a.annotations = {x};
  b.annotations = {x};
  CHECK(LabelAgreement(onto, {}, a, b, &r).IsInvalidArgument());
}

namespace {

// LabelAgreement as it was written before the label-write fast paths (a map
// of features, per-feature annotation lists, a map of classes, an assignment
// for every class): the reference the faster form must reproduce bit for bit,
// because stored views hold its scores and verify compares them exactly.
Status ReferenceAgreement(const std::vector<FeatureDef>& ontology, AssetSize size, const LabelInput& a,
                          const LabelInput& b, LabelAgreementResult* out) {
  std::map<std::string_view, size_t> index;
  for (size_t i = 0; i < ontology.size(); ++i) index.emplace(ontology[i].name, i);
  std::vector<std::vector<const AnnotationInput*>> fa(ontology.size()), fb(ontology.size());
  for (auto [label, per] : {std::pair{&a, &fa}, std::pair{&b, &fb}})
    for (const AnnotationInput& x : label->annotations) {
      auto it = index.find(x.feature);
      if (it == index.end() || ontology[it->second].kind != x.kind) return Status::InvalidArgument("bad annotation");
      (*per)[it->second].push_back(&x);
    }
  LabelAgreementResult r;
  double sum = 0;
  for (size_t f = 0; f < ontology.size(); ++f) {
    const auto& xa = fa[f];
    const auto& xb = fb[f];
    if (xa.empty() && xb.empty()) continue;
    double score = 0;
    FeatureKind kind = ontology[f].kind;
    if (kind == FeatureKind::Classification) {
      score = (!xa.empty() && !xb.empty() && xa[0]->value == xb[0]->value) ? 1.0 : 0.0;
    } else {
      std::map<std::string_view, std::pair<std::vector<size_t>, std::vector<size_t>>> by_class;
      for (size_t i = 0; i < xa.size(); ++i) by_class[xa[i]->class_name].first.push_back(i);
      for (size_t j = 0; j < xb.size(); ++j) by_class[xb[j]->class_name].second.push_back(j);
      double matched_sum = 0;
      size_t matched = 0;
      for (const auto& [cls, idx] : by_class) {
        const auto& [ra, rb] = idx;
        if (ra.empty() || rb.empty()) continue;
        std::vector<std::vector<double>> m(ra.size(), std::vector<double>(rb.size()));
        for (size_t i = 0; i < ra.size(); ++i)
          for (size_t j = 0; j < rb.size(); ++j)
            m[i][j] = kind == FeatureKind::BBox ? BoxIou(*xa[ra[i]], *xb[rb[j]])
                                                : DistanceSimilarity(std::hypot(xa[ra[i]]->points[0].x - xb[rb[j]]->points[0].x,
                                                                                xa[ra[i]]->points[0].y - xb[rb[j]]->points[0].y),
                                                                     size);
        std::vector<int> assign = stats::MaxWeightAssignment(m);
        for (size_t i = 0; i < assign.size(); ++i)
          if (assign[i] >= 0) {
            matched_sum += m[i][static_cast<size_t>(assign[i])];
            ++matched;
          }
      }
      size_t denom = xa.size() + xb.size() - matched;
      score = denom ? matched_sum / static_cast<double>(denom) : 1.0;
    }
    r.features.push_back({f, score});
    sum += score;
  }
  r.score = r.features.empty() ? 1.0 : sum / static_cast<double>(r.features.size());
  *out = std::move(r);
  return Status::OK();
}

}  // namespace

TEST_CASE("label agreement equals the reference method bit for bit", "[consensus][agreement]") {
  std::vector<FeatureDef> onto(4);
  onto[0].name = "cars";
  onto[0].kind = FeatureKind::BBox;
  onto[1].name = "weather";
  onto[1].kind = FeatureKind::Classification;
  onto[1].options = {"sunny", "rain"};
  onto[2].name = "keypoints";
  onto[2].kind = FeatureKind::Point;
  onto[3].name = "people";
  onto[3].kind = FeatureKind::BBox;
  const char* classes[] = {"", "car", "truck", "bus"};
  std::mt19937 rng(11);
  auto random_label = [&] {
    LabelInput l;
    // Features in random order and several annotations per class, so that
    // grouping, class order and the assignment all matter.
    for (unsigned n = rng() % 7; n > 0; --n) {
      AnnotationInput a;
      switch (rng() % 4) {
        case 0:
          a.feature = "weather";
          a.kind = FeatureKind::Classification;
          a.value = rng() % 2 ? "sunny" : "rain";
          break;
        case 1:
        case 3:
          a.feature = rng() % 2 ? "cars" : "people";
          a.kind = FeatureKind::BBox;
          a.class_name = classes[rng() % 4];
          a.x = rng() % 60;
          a.y = rng() % 60;
          a.w = 1 + rng() % 40;
          a.h = 1 + rng() % 40;
          break;
        default:
          a.feature = "keypoints";
          a.kind = FeatureKind::Point;
          a.class_name = classes[rng() % 2];
          a.points = {{static_cast<double>(rng() % 100), static_cast<double>(rng() % 100)}};
          break;
      }
      l.annotations.push_back(a);
    }
    return l;
  };
  // A large ontology takes the map lookup instead of the linear search.
  std::vector<FeatureDef> large = onto;
  for (int i = 0; i < 17; ++i) {
    FeatureDef extra;
    extra.name = "extra" + std::to_string(i);
    extra.kind = FeatureKind::Classification;
    large.insert(large.begin() + (i % 3), extra);
  }
  for (int round = 0; round < 2000; ++round) {
    const std::vector<FeatureDef>& o = round % 2 ? large : onto;
    LabelInput a = random_label(), b = random_label();
    LabelAgreementResult got, want;
    REQUIRE(LabelAgreement(o, {100, 80}, a, b, &got).ok());
    REQUIRE(ReferenceAgreement(o, {100, 80}, a, b, &want).ok());
    REQUIRE(got.features.size() == want.features.size());
    CHECK(std::memcmp(&got.score, &want.score, sizeof(double)) == 0);
    for (size_t i = 0; i < got.features.size(); ++i) {
      CHECK(got.features[i].feature == want.features[i].feature);
      CHECK(std::memcmp(&got.features[i].score, &want.features[i].score, sizeof(double)) == 0);
    }
  }
}
