// IoU and greedy bounding-box clustering. Expected values are computed by
// hand in the comments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <vector>

#include "annodb/aggregation.h"

using annodb::Status;
using namespace annodb::stats;

namespace {

LabelledBox B(double x, double y, double w, double h, size_t cls, uint64_t labeller) {
  LabelledBox b;
  b.x = x;
  b.y = y;
  b.w = w;
  b.h = h;
  b.class_id = cls;
  b.labeller = labeller;
  return b;
}

std::vector<BoxCluster> Cluster(const std::vector<LabelledBox>& boxes, double iou = 0.5, size_t quorum = 2,
                                bool class_agnostic = false) {
  BoxClusterOptions o;
  o.iou_threshold = iou;
  o.quorum = quorum;
  o.class_agnostic = class_agnostic;
  std::vector<BoxCluster> out;
  Status s = ClusterBoxes(boxes, o, &out);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return out;
}

}  // namespace

TEST_CASE("BoxIou: hand-computed values", "[boxes]") {
  CHECK(BoxIou(B(0, 0, 2, 2, 0, 0), B(0, 0, 2, 2, 0, 1)) == 1.0);
  // Shifted by half the width: intersection 1x2 = 2, union 4 + 4 - 2 = 6.
  CHECK(BoxIou(B(0, 0, 2, 2, 0, 0), B(1, 0, 2, 2, 0, 1)) == Approx(1.0 / 3.0));
  // Contained: 4 / 16.
  CHECK(BoxIou(B(0, 0, 4, 4, 0, 0), B(1, 1, 2, 2, 0, 1)) == Approx(0.25));
  // Diagonal overlap: intersection 1x1, union 4 + 4 - 1 = 7.
  CHECK(BoxIou(B(0, 0, 2, 2, 0, 0), B(1, 1, 2, 2, 0, 1)) == Approx(1.0 / 7.0));
  // Touching edges and disjoint boxes.
  CHECK(BoxIou(B(0, 0, 2, 2, 0, 0), B(2, 0, 2, 2, 0, 1)) == 0.0);
  CHECK(BoxIou(B(0, 0, 2, 2, 0, 0), B(5, 5, 1, 1, 0, 1)) == 0.0);
  // Symmetric.
  CHECK(BoxIou(B(1, 1, 2, 2, 0, 1), B(0, 0, 4, 4, 0, 0)) == Approx(0.25));
}

TEST_CASE("ClusterBoxes: three labellers, two objects", "[boxes]") {
  std::vector<LabelledBox> boxes = {
      B(10, 10, 20, 20, 0, 1), B(100, 100, 40, 20, 1, 1),  // labeller 1
      B(102, 98, 40, 22, 1, 2), B(12, 10, 20, 18, 0, 2),   // labeller 2 (other order)
      B(11, 11, 20, 20, 0, 3), B(98, 102, 42, 20, 1, 3),   // labeller 3
  };
  auto clusters = Cluster(boxes);
  REQUIRE(clusters.size() == 2);
  // Cluster 0: seeded by box 0, then boxes 3 and 4.
  CHECK(clusters[0].members == std::vector<size_t>{0, 3, 4});
  CHECK(clusters[0].support == 3);
  CHECK(clusters[0].mean_box.x == Approx(11.0));  // (10 + 12 + 11) / 3
  CHECK(clusters[0].mean_box.y == Approx(31.0 / 3.0));
  CHECK(clusters[0].mean_box.w == Approx(20.0));
  CHECK(clusters[0].mean_box.h == Approx(58.0 / 3.0));
  CHECK(clusters[0].mean_box.class_id == 0);
  CHECK(clusters[0].mean_iou > 0.8);
  CHECK(clusters[0].mean_iou <= 1.0);
  // Cluster 1: boxes 1, 2, 5.
  CHECK(clusters[1].members == std::vector<size_t>{1, 2, 5});
  CHECK(clusters[1].mean_box.x == Approx(100.0));
  CHECK(clusters[1].mean_box.y == Approx(100.0));
  CHECK(clusters[1].mean_box.w == Approx(122.0 / 3.0));
  CHECK(clusters[1].mean_box.h == Approx(62.0 / 3.0));
  CHECK(clusters[1].mean_box.class_id == 1);
}

TEST_CASE("ClusterBoxes: quorum", "[boxes]") {
  std::vector<LabelledBox> boxes = {
      B(0, 0, 10, 10, 0, 7), B(50, 50, 10, 10, 0, 7),  // labeller 7: two objects
      B(1, 0, 10, 10, 0, 9),                           // labeller 9 saw only the first
  };
  auto two = Cluster(boxes, 0.5, 2);
  REQUIRE(two.size() == 1);
  CHECK(two[0].members == std::vector<size_t>{0, 2});
  auto one = Cluster(boxes, 0.5, 1);
  REQUIRE(one.size() == 2);
  CHECK(one[1].members == std::vector<size_t>{1});
  CHECK(one[1].support == 1);
  CHECK(one[1].mean_iou == 1.0);
  CHECK(Cluster(boxes, 0.5, 3).empty());
}

TEST_CASE("ClusterBoxes: at most one box per labeller in a cluster", "[boxes]") {
  // Labeller 1 drew the same object twice; labeller 2 once. The better match
  // (IoU 1 with box 1) wins; box 0 is left alone and, lacking quorum, dropped.
  std::vector<LabelledBox> boxes = {B(0, 0, 10, 10, 0, 1), B(1, 0, 10, 10, 0, 1), B(1, 0, 10, 10, 0, 2)};
  auto clusters = Cluster(boxes, 0.5, 2);
  REQUIRE(clusters.size() == 1);
  CHECK(clusters[0].members == std::vector<size_t>{1, 2});
  CHECK(clusters[0].mean_box.x == 1.0);
  auto all = Cluster(boxes, 0.5, 1);
  REQUIRE(all.size() == 2);
  for (const auto& c : all) {
    std::vector<uint64_t> labellers;
    for (size_t m : c.members) labellers.push_back(boxes[m].labeller);
    std::sort(labellers.begin(), labellers.end());
    CHECK(std::adjacent_find(labellers.begin(), labellers.end()) == labellers.end());
  }
}

TEST_CASE("ClusterBoxes: greedy matching takes the highest IoU first", "[boxes]") {
  // Labeller 1 has two side-by-side boxes A (x=0) and C (x=6), labeller 2 has
  // D (x=2) and E (x=7). IoU(D, A) = 8/12 = 0.667, IoU(D, C) = 6/14 = 0.43,
  // IoU(E, C) = 9/11 = 0.818, IoU(E, A) = 3/17 = 0.18. With threshold 0.4,
  // E-C is taken first, then D-A.
  std::vector<LabelledBox> boxes = {B(0, 0, 10, 1, 0, 1), B(6, 0, 10, 1, 0, 1), B(2, 0, 10, 1, 0, 2),
                                    B(7, 0, 10, 1, 0, 2)};
  CHECK(BoxIou(boxes[2], boxes[0]) == Approx(8.0 / 12.0));
  CHECK(BoxIou(boxes[2], boxes[1]) == Approx(6.0 / 14.0));
  CHECK(BoxIou(boxes[3], boxes[1]) == Approx(9.0 / 11.0));
  auto clusters = Cluster(boxes, 0.4, 2);
  REQUIRE(clusters.size() == 2);
  CHECK(clusters[0].members == std::vector<size_t>{0, 2});
  CHECK(clusters[1].members == std::vector<size_t>{1, 3});
}

TEST_CASE("ClusterBoxes: threshold is inclusive", "[boxes]") {
  // IoU exactly 1/3 (see BoxIou test).
  std::vector<LabelledBox> boxes = {B(0, 0, 2, 2, 0, 1), B(1, 0, 2, 2, 0, 2)};
  CHECK(Cluster(boxes, 1.0 / 3.0, 2).size() == 1);
  CHECK(Cluster(boxes, 0.34, 2).empty());
}

TEST_CASE("ClusterBoxes: matches against the running mean box", "[boxes]") {
  // Labellers 1 and 2 draw x = 0 and x = 2 (width 6; IoU 4/8 = 0.5), so the
  // cluster's mean box spans x = 1..7. Labeller 3's box at x = 3 has IoU
  // 3/9 = 0.33 with the first box but 4/8 = 0.5 with the mean: it joins.
  std::vector<LabelledBox> boxes = {B(0, 0, 6, 1, 0, 1), B(2, 0, 6, 1, 0, 2), B(3, 0, 6, 1, 0, 3)};
  CHECK(BoxIou(boxes[1], boxes[0]) == Approx(0.5));
  CHECK(BoxIou(boxes[2], boxes[0]) == Approx(3.0 / 9.0));
  CHECK(BoxIou(boxes[2], B(1, 0, 6, 1, 0, 0)) == Approx(0.5));
  auto clusters = Cluster(boxes, 0.4, 1);
  REQUIRE(clusters.size() == 1);
  CHECK(clusters[0].members == std::vector<size_t>{0, 1, 2});
  CHECK(clusters[0].mean_box.x == Approx(5.0 / 3.0));
}

TEST_CASE("ClusterBoxes: classes", "[boxes]") {
  std::vector<LabelledBox> boxes = {B(0, 0, 10, 10, 3, 1), B(0, 0, 10, 10, 5, 2), B(0, 0, 10, 10, 5, 3),
                                    B(0, 0, 10, 10, 3, 4)};
  SECTION("different classes never share a cluster by default") {
    auto clusters = Cluster(boxes, 0.5, 2);
    REQUIRE(clusters.size() == 2);
    CHECK(clusters[0].mean_box.class_id == 3);
    CHECK(clusters[0].members == std::vector<size_t>{0, 3});
    CHECK(clusters[1].mean_box.class_id == 5);
    CHECK(clusters[1].members == std::vector<size_t>{1, 2});
  }
  SECTION("class-agnostic: majority class, ties to the lowest class id") {
    auto clusters = Cluster(boxes, 0.5, 2, true);
    REQUIRE(clusters.size() == 1);
    CHECK(clusters[0].support == 4);
    CHECK(clusters[0].mean_box.class_id == 3);  // 2 votes each: lowest id
    boxes.push_back(B(0, 0, 10, 10, 5, 5));
    clusters = Cluster(boxes, 0.5, 2, true);
    REQUIRE(clusters.size() == 1);
    CHECK(clusters[0].mean_box.class_id == 5);  // 3 votes to 2
  }
}

TEST_CASE("ClusterBoxes: labeller order, not input order, drives the result", "[boxes]") {
  std::vector<LabelledBox> boxes = {B(10, 10, 20, 20, 0, 1), B(100, 100, 40, 20, 1, 1), B(102, 98, 40, 22, 1, 2),
                                    B(12, 10, 20, 18, 0, 2), B(11, 11, 20, 20, 0, 3), B(98, 102, 42, 20, 1, 3)};
  auto a = Cluster(boxes);
  std::vector<LabelledBox> reversed(boxes.rbegin(), boxes.rend());
  auto b = Cluster(reversed);
  REQUIRE(a.size() == b.size());
  // Creation order follows the labeller id; within labeller 1 the input order
  // decides, so compare as sets of mean boxes.
  auto key = [](const BoxCluster& c) { return std::make_tuple(c.mean_box.x, c.mean_box.y, c.mean_box.w, c.mean_box.h); };
  std::vector<std::tuple<double, double, double, double>> ka, kb;
  for (const auto& c : a) ka.push_back(key(c));
  for (const auto& c : b) kb.push_back(key(c));
  std::sort(ka.begin(), ka.end());
  std::sort(kb.begin(), kb.end());
  REQUIRE(ka.size() == kb.size());
  for (size_t i = 0; i < ka.size(); ++i) {
    CHECK(std::get<0>(ka[i]) == Approx(std::get<0>(kb[i])));
    CHECK(std::get<1>(ka[i]) == Approx(std::get<1>(kb[i])));
    CHECK(std::get<2>(ka[i]) == Approx(std::get<2>(kb[i])));
    CHECK(std::get<3>(ka[i]) == Approx(std::get<3>(kb[i])));
  }
}

TEST_CASE("ClusterBoxes: empty and invalid input", "[boxes][unhappy]") {
  std::vector<BoxCluster> out = {BoxCluster{}};
  BoxClusterOptions o;
  REQUIRE(ClusterBoxes({}, o, &out).ok());  // no boxes: no clusters
  CHECK(out.empty());

  const double nan = std::numeric_limits<double>::quiet_NaN();
  Status s = ClusterBoxes({B(0, 0, 1, 1, 0, 1), B(0, 0, 0, 1, 0, 2)}, o, &out);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("box 1") != std::string::npos);
  CHECK(ClusterBoxes({B(0, 0, 1, -1, 0, 1)}, o, &out).IsInvalidArgument());
  CHECK(ClusterBoxes({B(nan, 0, 1, 1, 0, 1)}, o, &out).IsInvalidArgument());

  o.iou_threshold = 0;
  CHECK(ClusterBoxes({B(0, 0, 1, 1, 0, 1)}, o, &out).IsInvalidArgument());
  o.iou_threshold = 1.5;
  CHECK(ClusterBoxes({B(0, 0, 1, 1, 0, 1)}, o, &out).IsInvalidArgument());
  o.iou_threshold = nan;
  CHECK(ClusterBoxes({B(0, 0, 1, 1, 0, 1)}, o, &out).IsInvalidArgument());
  o = BoxClusterOptions{};
  o.quorum = 0;
  CHECK(ClusterBoxes({B(0, 0, 1, 1, 0, 1)}, o, &out).IsInvalidArgument());
  o = BoxClusterOptions{};
  CHECK(ClusterBoxes({B(0, 0, 1, 1, 0, 1)}, o, nullptr).IsInvalidArgument());
}
