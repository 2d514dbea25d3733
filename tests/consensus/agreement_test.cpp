// Pairwise label agreement (label_agreement.h) and the assignment solver.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
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
