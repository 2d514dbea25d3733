// Majority vote and Dawid-Skene EM.
//
// Dawid-Skene runs on the data of Dawid & Skene (1979), Table 1. The
// expected numbers come from an independent re-implementation of the same
// algorithm (same initialisation, smoothing, stopping rule) written in plain
// Python for these tests; the paper's own estimates were not available to
// check against. A synthetic case with known truth checks that EM beats
// majority vote.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "annodb/aggregation.h"

using annodb::Status;
using namespace annodb::stats;

namespace {

// Dawid, A. P. & Skene, A. M. (1979). Maximum likelihood estimation of
// observer error-rates using the EM algorithm. JRSS C 28(1), 20-28, Table 1:
// 45 patients, 5 anaesthetists, 4 classes (1..4); anaesthetist 1 assessed
// every patient three times. Transcription as in
// github.com/dallascard/dawid_skene (dawid_skene.py, generate_sample_data).
// Per patient: observer 1 (x3), observers 2, 3, 4, 5.
const int kDawidSkeneTable1[45][7] = {
    {1, 1, 1, 1, 1, 1, 1}, {3, 3, 3, 4, 3, 3, 4}, {1, 1, 2, 2, 1, 2, 2},
    {2, 2, 2, 3, 1, 2, 1}, {2, 2, 2, 3, 2, 2, 2}, {2, 2, 2, 3, 3, 2, 2},
    {1, 2, 2, 2, 1, 1, 1}, {3, 3, 3, 3, 4, 3, 3}, {2, 2, 2, 2, 2, 2, 3},
    {2, 3, 2, 2, 2, 2, 3}, {4, 4, 4, 4, 4, 4, 4}, {2, 2, 2, 3, 3, 4, 3},
    {1, 1, 1, 1, 1, 1, 1}, {2, 2, 2, 3, 2, 1, 2}, {1, 2, 1, 1, 1, 1, 1},
    {1, 1, 1, 2, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1},
    {2, 2, 2, 2, 2, 2, 1}, {2, 2, 2, 1, 3, 2, 2}, {2, 2, 2, 2, 2, 2, 2},
    {2, 2, 2, 2, 2, 2, 1}, {2, 2, 2, 3, 2, 2, 2}, {2, 2, 1, 2, 2, 2, 2},
    {1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}, {2, 3, 2, 2, 2, 2, 2},
    {1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}, {1, 1, 2, 1, 1, 2, 1},
    {1, 1, 1, 1, 1, 1, 1}, {3, 3, 3, 3, 2, 3, 3}, {1, 1, 1, 1, 1, 1, 1},
    {2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 3, 2, 3, 2}, {4, 3, 3, 4, 3, 4, 3},
    {2, 2, 1, 2, 2, 3, 2}, {2, 3, 2, 3, 2, 3, 3}, {3, 3, 3, 3, 4, 3, 2},
    {1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}, {1, 2, 1, 2, 1, 1, 1},
    {2, 3, 2, 2, 2, 2, 2}, {1, 2, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2, 2},
};

CrowdLabels DawidSkeneData() {
  CrowdLabels d;
  d.num_items = 45;
  d.num_workers = 5;
  d.num_classes = 4;
  for (size_t i = 0; i < 45; ++i) {
    for (size_t a = 0; a < 7; ++a) {
      size_t worker = a < 3 ? 0 : a - 2;
      d.annotations.push_back({i, worker, static_cast<size_t>(kDawidSkeneTable1[i][a] - 1)});
    }
  }
  return d;
}

// Classes (1-based, as in the paper) chosen per patient.
const std::vector<size_t> kMajorityLabels = {1, 3, 2, 2, 2, 2, 1, 3, 2, 2, 4, 2, 1, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2,
                                             2, 1, 1, 2, 1, 1, 1, 1, 3, 1, 2, 2, 3, 2, 3, 3, 1, 1, 1, 2, 1, 2};
const std::vector<size_t> kDawidSkeneLabels = {1, 4, 2, 2, 2, 2, 1, 3, 2, 2, 4, 3, 1, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2,
                                               2, 1, 1, 2, 1, 1, 1, 1, 3, 1, 2, 2, 4, 2, 3, 3, 1, 1, 1, 2, 1, 2};

// splitmix64 (Steele, Lea & Flood 2014): a fixed, portable generator so the
// synthetic data are identical everywhere.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : x_(seed) {}
  uint64_t Next() {
    uint64_t z = (x_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t x_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Majority vote
// ---------------------------------------------------------------------------

TEST_CASE("Majority vote: ties, missing items and worker skill", "[majority]") {
  CrowdLabels d;
  d.num_items = 4;
  d.num_workers = 4;
  d.num_classes = 3;
  d.annotations = {
      {0, 0, 2}, {0, 1, 2}, {0, 2, 1},  // item 0: class 2 wins 2:1
      {1, 0, 1}, {1, 1, 0},             // item 1: tie 0 vs 1 -> class 0 (listed first)
      {2, 2, 2}, {2, 0, 1},             // item 2: tie 1 vs 2 -> class 1
      // item 3: nobody; worker 3: no answers
  };
  MajorityVoteResult r;
  REQUIRE(MajorityVote(d, &r).ok());
  REQUIRE(r.labels.size() == 4);
  CHECK(r.labels[0] == std::optional<size_t>(2));
  CHECK(r.labels[1] == std::optional<size_t>(0));
  CHECK(r.labels[2] == std::optional<size_t>(1));
  CHECK_FALSE(r.labels[3].has_value());
  CHECK(r.vote_share[0] == Approx(2.0 / 3.0));
  CHECK(r.vote_share[1] == Approx(0.5));
  CHECK(r.vote_share[3] == 0.0);
  CHECK(r.vote_proportions[0] == std::vector<double>{0.0, 1.0 / 3.0, 2.0 / 3.0});
  // Worker 0 answered 2 (item 0, match), 1 (item 1, no), 1 (item 2, match): 2/3.
  // Worker 1: item 0 match, item 1 match: 1. Worker 2: item 0 no, item 2 no: 0.
  REQUIRE(r.worker_skill.size() == 4);
  CHECK(*r.worker_skill[0] == Approx(2.0 / 3.0));
  CHECK(*r.worker_skill[1] == Approx(1.0));
  CHECK(*r.worker_skill[2] == Approx(0.0));
  CHECK_FALSE(r.worker_skill[3].has_value());
  CHECK(r.worker_answers == std::vector<uint64_t>{3, 2, 2, 0});
}

TEST_CASE("Majority vote: Dawid & Skene (1979) data", "[majority]") {
  MajorityVoteResult r;
  REQUIRE(MajorityVote(DawidSkeneData(), &r).ok());
  for (size_t i = 0; i < 45; ++i) {
    INFO("patient " << i + 1);
    REQUIRE(r.labels[i].has_value());
    CHECK(*r.labels[i] + 1 == kMajorityLabels[i]);
  }
  CHECK(r.worker_answers == std::vector<uint64_t>{135, 45, 45, 45, 45});
}

TEST_CASE("Majority vote: invalid input", "[majority][unhappy]") {
  MajorityVoteResult r;
  CrowdLabels d;
  d.num_items = 2;
  d.num_workers = 2;
  d.num_classes = 2;
  CHECK(MajorityVote(d, &r).IsInvalidArgument());  // no annotations
  d.annotations = {{0, 0, 1}, {2, 0, 1}};
  Status s = MajorityVote(d, &r);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("annotation 1 has item 2") != std::string::npos);
  d.annotations = {{0, 5, 1}};
  CHECK(MajorityVote(d, &r).IsInvalidArgument());
  d.annotations = {{0, 0, 2}};
  CHECK(MajorityVote(d, &r).IsInvalidArgument());
  d.annotations = {{0, 0, 0}};
  d.num_classes = 0;
  CHECK(MajorityVote(d, &r).IsInvalidArgument());
  d.num_classes = 2;
  CHECK(MajorityVote(d, nullptr).IsInvalidArgument());
}

// ---------------------------------------------------------------------------
// Dawid-Skene
// ---------------------------------------------------------------------------

// The reference numbers of the next two cases were computed with smoothing
// 0.01 (the default before the smoothing prior became 0, issue 11).
namespace {
DawidSkeneOptions Smoothing001() {
  DawidSkeneOptions o;
  o.smoothing = 0.01;
  return o;
}
}  // namespace

TEST_CASE("Dawid-Skene: Dawid & Skene (1979) data, smoothing 0.01", "[dawid-skene]") {
  DawidSkeneResult r;
  REQUIRE(DawidSkene(DawidSkeneData(), Smoothing001(), &r).ok());
  CHECK(r.converged);
  CHECK(r.iterations == 17);
  CHECK(r.log_likelihood == Approx(-193.26975730353368).margin(1e-8));

  const std::vector<double> priors = {0.399487047040984, 0.4219454451372727, 0.11173426231600388,
                                      0.06683324550573942};
  REQUIRE(r.class_priors.size() == 4);
  for (size_t j = 0; j < 4; ++j) CHECK(r.class_priors[j] == Approx(priors[j]).margin(1e-9));

  for (size_t i = 0; i < 45; ++i) {
    INFO("patient " << i + 1);
    REQUIRE(r.labels[i].has_value());
    CHECK(*r.labels[i] + 1 == kDawidSkeneLabels[i]);
    double sum = 0;
    for (double t : r.posteriors[i]) sum += t;
    CHECK(sum == Approx(1.0).margin(1e-12));
    CHECK(r.label_posterior[i] == r.posteriors[i][*r.labels[i]]);
  }
  // The uncertain patients.
  CHECK(r.posteriors[2][0] == Approx(0.003080820165820319).margin(1e-8));  // patient 3
  CHECK(r.posteriors[6][0] == Approx(0.9808625798008705).margin(1e-8));    // patient 7
  CHECK(r.posteriors[11][2] == Approx(0.993323609241806).margin(1e-8));    // patient 12
  CHECK(r.posteriors[34][1] == Approx(0.9490195563347501).margin(1e-8));   // patient 35
  CHECK(r.posteriors[37][2] == Approx(0.9780252173119642).margin(1e-8));   // patient 38
  CHECK(r.label_posterior[34] == Approx(0.9490195563347501).margin(1e-8));

  // EM disagrees with majority vote on patients 2, 12 and 36.
  std::vector<size_t> differ;
  for (size_t i = 0; i < 45; ++i) {
    if (kMajorityLabels[i] != kDawidSkeneLabels[i]) differ.push_back(i + 1);
  }
  CHECK(differ == std::vector<size_t>{2, 12, 36});

  // Observer 1's estimated confusion matrix (rows: true class, columns: answer).
  const std::vector<std::vector<double>> w1 = {{0.8889806618, 0.1106488902, 0.000185224, 0.000185224},
                                               {0.0705869309, 0.876065969, 0.0531717331, 0.000175367},
                                               {0.0006620072, 0.3375843162, 0.6610916553, 0.0006620213},
                                               {0.0011061325, 0.0011061326, 0.5542287631, 0.4435589718}};
  for (size_t j = 0; j < 4; ++j) {
    for (size_t l = 0; l < 4; ++l) {
      INFO("pi_1[" << j << "][" << l << "]");
      CHECK(r.confusion[0][j][l] == Approx(w1[j][l]).margin(1e-8));
    }
  }
  for (const auto& worker : r.confusion) {
    for (const auto& row : worker) {
      double sum = 0;
      for (double p : row) {
        CHECK(p > 0);  // smoothing: no zero probabilities
        sum += p;
      }
      CHECK(sum == Approx(1.0).margin(1e-12));
    }
  }
}

TEST_CASE("Dawid-Skene: no smoothing (the default) gives the plain maximum-likelihood estimates", "[dawid-skene]") {
  DawidSkeneOptions o;
  CHECK(o.smoothing == 0);
  DawidSkeneResult r;
  REQUIRE(DawidSkene(DawidSkeneData(), o, &r).ok());
  CHECK(r.converged);
  CHECK(r.iterations == 16);
  CHECK(r.log_likelihood == Approx(-192.89088165482102).margin(1e-8));
  const std::vector<double> priors = {0.3995547531399182, 0.4219834118374186, 0.11179516835599657,
                                      0.06666666666666667};
  for (size_t j = 0; j < 4; ++j) CHECK(r.class_priors[j] == Approx(priors[j]).margin(1e-9));
  CHECK(r.posteriors[6][0] == Approx(0.9810202989464396).margin(1e-8));   // patient 7
  CHECK(r.posteriors[34][1] == Approx(0.9479952554253545).margin(1e-8));  // patient 35
  CHECK(r.confusion[0][3][2] == Approx(5.0 / 9.0).margin(1e-8));          // observer 1, class 4 -> 3
  for (size_t i = 0; i < 45; ++i) CHECK(*r.labels[i] + 1 == kDawidSkeneLabels[i]);
}

TEST_CASE("Dawid-Skene: EM recovers the truth better than majority vote", "[dawid-skene]") {
  // Synthetic, deterministic: 300 items, 3 classes drawn uniformly; workers
  // 0-2 are right with probability 0.9 / 0.8 / 0.7 (errors uniform over the
  // other classes), workers 3-5 answer uniformly at random, worker 6 always
  // answers class 0. Everybody answers every item. The same generator in the
  // Python reference gives 228/300 correct for majority vote and 280/300 for
  // Dawid-Skene (55 iterations).
  const size_t items = 300, classes = 3;
  SplitMix64 rng(20240601);
  std::vector<size_t> truth(items);
  for (auto& t : truth) t = rng.Below(classes);
  CrowdLabels d;
  d.num_items = items;
  d.num_workers = 7;
  d.num_classes = classes;
  const double accuracy[3] = {0.9, 0.8, 0.7};
  for (size_t i = 0; i < items; ++i) {
    for (size_t k = 0; k < 3; ++k) {
      size_t label = truth[i];
      if (!(rng.Uniform() < accuracy[k])) label = (truth[i] + 1 + rng.Below(classes - 1)) % classes;
      d.annotations.push_back({i, k, label});
    }
    for (size_t k = 3; k < 6; ++k) d.annotations.push_back({i, k, rng.Below(classes)});
    d.annotations.push_back({i, 6, 0});
  }

  MajorityVoteResult mv;
  REQUIRE(MajorityVote(d, &mv).ok());
  DawidSkeneResult ds;
  REQUIRE(DawidSkene(d, Smoothing001(), &ds).ok());
  size_t mv_correct = 0, ds_correct = 0;
  for (size_t i = 0; i < items; ++i) {
    mv_correct += *mv.labels[i] == truth[i];
    ds_correct += *ds.labels[i] == truth[i];
  }
  CHECK(mv_correct == 228);
  CHECK(ds_correct == 280);
  CHECK(ds_correct >= mv_correct + 30);
  CHECK(ds.converged);
  CHECK(ds.iterations == 55);

  // The confusion matrices are recovered: diagonals of the good workers near
  // their accuracy, the random workers near 1/3 (about 100 items per class,
  // so one standard error is ~0.05 and the margin is 3 of them), the
  // constant worker always 0.
  for (size_t k = 0; k < 3; ++k) {
    for (size_t j = 0; j < classes; ++j) {
      INFO("worker " << k << " class " << j);
      CHECK(ds.confusion[k][j][j] == Approx(accuracy[k]).margin(0.1));
    }
  }
  for (size_t k = 3; k < 6; ++k) {
    for (size_t j = 0; j < classes; ++j) {
      for (size_t l = 0; l < classes; ++l) CHECK(ds.confusion[k][j][l] == Approx(1.0 / 3.0).margin(0.15));
    }
  }
  for (size_t j = 0; j < classes; ++j) CHECK(ds.confusion[6][j][0] > 0.99);
  for (double p : ds.class_priors) CHECK(p == Approx(1.0 / 3.0).margin(0.05));

  // Deterministic: the same input in another order gives the same answer.
  CrowdLabels shuffled = d;
  std::reverse(shuffled.annotations.begin(), shuffled.annotations.end());
  DawidSkeneResult again;
  REQUIRE(DawidSkene(shuffled, Smoothing001(), &again).ok());
  CHECK(again.labels == ds.labels);
  CHECK(again.iterations == ds.iterations);
  for (size_t i = 0; i < items; ++i) {
    for (size_t j = 0; j < classes; ++j) CHECK(again.posteriors[i][j] == Approx(ds.posteriors[i][j]).margin(1e-12));
  }
}

TEST_CASE("Dawid-Skene: iteration limit and unanswered items", "[dawid-skene]") {
  CrowdLabels d = DawidSkeneData();
  d.num_items = 47;     // patients 46 and 47 have no answers
  d.num_workers = 6;    // worker 6 has no answers
  DawidSkeneOptions o;
  o.max_iterations = 3;
  DawidSkeneResult r;
  REQUIRE(DawidSkene(d, o, &r).ok());
  CHECK_FALSE(r.converged);
  CHECK(r.iterations == 3);
  CHECK_FALSE(r.labels[45].has_value());
  CHECK_FALSE(r.labels[46].has_value());
  CHECK(r.label_posterior[45] == 0.0);
  CHECK(r.posteriors[45] == r.class_priors);
  // A worker without answers gets uniform rows.
  for (const auto& row : r.confusion[5]) {
    for (double p : row) CHECK(p == Approx(0.25));
  }
  // Unanswered items do not change the estimates of the answered ones.
  DawidSkeneResult base;
  REQUIRE(DawidSkene(DawidSkeneData(), o, &base).ok());
  for (size_t j = 0; j < 4; ++j) CHECK(r.class_priors[j] == Approx(base.class_priors[j]).margin(1e-15));
  for (size_t i = 0; i < 45; ++i) CHECK(r.posteriors[i] == base.posteriors[i]);
}

TEST_CASE("Dawid-Skene: small cases", "[dawid-skene]") {
  DawidSkeneResult r;
  SECTION("single item, single class") {
    CrowdLabels d{1, 1, 1, {{0, 0, 0}}};
    REQUIRE(DawidSkene(d, DawidSkeneOptions{}, &r).ok());
    CHECK(r.labels[0] == std::optional<size_t>(0));
    CHECK(r.label_posterior[0] == Approx(1.0));
    CHECK(r.converged);
  }
  SECTION("unanimous answers") {
    CrowdLabels d{3, 2, 2, {{0, 0, 1}, {0, 1, 1}, {1, 0, 0}, {1, 1, 0}, {2, 0, 1}, {2, 1, 1}}};
    REQUIRE(DawidSkene(d, DawidSkeneOptions{}, &r).ok());
    CHECK(r.labels == std::vector<std::optional<size_t>>{1, 0, 1});
    for (size_t i = 0; i < 3; ++i) CHECK(r.label_posterior[i] > 0.99);
  }
}

TEST_CASE("Dawid-Skene: invalid input", "[dawid-skene][unhappy]") {
  DawidSkeneResult r;
  CrowdLabels d = DawidSkeneData();
  DawidSkeneOptions o;
  SECTION("empty") {
    CrowdLabels empty{0, 0, 0, {}};
    CHECK(DawidSkene(empty, o, &r).IsInvalidArgument());
    d.annotations.clear();
    CHECK(DawidSkene(d, o, &r).IsInvalidArgument());
  }
  SECTION("indices out of range") {
    d.annotations.push_back({0, 0, 4});
    Status s = DawidSkene(d, o, &r);
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("has class 4 but there are 4 classes") != std::string::npos);
  }
  SECTION("options") {
    o.max_iterations = 0;
    CHECK(DawidSkene(d, o, &r).IsInvalidArgument());
    o = DawidSkeneOptions{};
    o.smoothing = -0.5;
    CHECK(DawidSkene(d, o, &r).IsInvalidArgument());
    o = DawidSkeneOptions{};
    o.tolerance = std::numeric_limits<double>::quiet_NaN();
    CHECK(DawidSkene(d, o, &r).IsInvalidArgument());
    o = DawidSkeneOptions{};
    o.smoothing = std::numeric_limits<double>::infinity();
    CHECK(DawidSkene(d, o, &r).IsInvalidArgument());
  }
  SECTION("null output") { CHECK(DawidSkene(d, o, nullptr).IsInvalidArgument()); }
}
