// Dawid-Skene against crowd-kit's own test cases.
//
// Data and expected outputs are copied from Toloka/crowd-kit at commit
// 35f06615e6dcf3819cc1d1958ad940f0752a29cf (Apache-2.0):
//   tests/conftest.py: toy_answers_df, toy_ground_truth_df, simple_answers_df,
//     simple_ground_truth, data_with_bool_labels, bool_labels_ground_truth;
//   tests/aggregation/test_ds_aggregation.py: test_aggregate_ds_on_toy_ysda,
//     test_aggregate_ds_on_simple, test_dawid_skene_step_by_step (data,
//     probas_iter_0/1, priors_iter_0/1, errors_iter_0/1, tasks_labels_iter_0/1),
//     test_dawid_skene_overlap (3, 300, 30000 workers), test_ds_on_bool_labels.
// Only data are copied; the code below is ours.
//
// How the two implementations line up (docs/consensus.md, "Compared with
// crowd-kit"): both start from majority-vote soft labels and run M-step then
// E-step. crowd-kit's n_iter counts E-steps, like our max_iterations. After
// its last E-step crowd-kit re-estimates priors_ and errors_ once more from
// the final posteriors; we report the parameters that produced the final
// posteriors, so crowd-kit's errors/priors of n_iter = k are our confusion and
// class_priors of max_iterations = k + 1. crowd-kit's labels are sorted label
// names with ties to the first, as our classes here (sorted names, ties to
// the lowest index). crowd-kit stops on the change of its evidence lower
// bound, we on the largest change of a posterior: the iteration counts differ,
// the labels do not. crowd-kit clips probabilities at 1e-10 where we use the
// exact zero (smoothing 0) or the smoothing pseudo-count.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "annodb/aggregation.h"

using namespace annodb::stats;

namespace {

struct Answer {
  const char* worker;
  const char* task;
  const char* label;
};

// CrowdLabels with items, workers and classes numbered in sorted name order.
struct Named {
  CrowdLabels labels;
  std::vector<std::string> tasks, workers, classes;

  explicit Named(const std::vector<Answer>& answers) {
    for (const Answer& a : answers) {
      tasks.push_back(a.task);
      workers.push_back(a.worker);
      classes.push_back(a.label);
    }
    for (auto* v : {&tasks, &workers, &classes}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    labels.num_items = tasks.size();
    labels.num_workers = workers.size();
    labels.num_classes = classes.size();
    for (const Answer& a : answers) {
      labels.annotations.push_back({Index(tasks, a.task), Index(workers, a.worker), Index(classes, a.label)});
    }
  }
  static size_t Index(const std::vector<std::string>& v, const std::string& x) {
    return static_cast<size_t>(std::lower_bound(v.begin(), v.end(), x) - v.begin());
  }
  size_t Task(const std::string& t) const { return Index(tasks, t); }
  size_t Worker(const std::string& w) const { return Index(workers, w); }
  size_t Class(const std::string& c) const { return Index(classes, c); }
  // task -> label name, from a result's labels.
  std::map<std::string, std::string> LabelsOf(const std::vector<std::optional<size_t>>& l) const {
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < l.size(); ++i) out[tasks[i]] = l[i] ? classes[*l[i]] : "<none>";
    return out;
  }
};

DawidSkeneResult Run(const Named& n, size_t max_iterations, double tolerance) {
  DawidSkeneOptions o;
  o.max_iterations = max_iterations;
  o.tolerance = tolerance;
  DawidSkeneResult r;
  REQUIRE(DawidSkene(n.labels, o, &r).ok());
  return r;
}

// conftest.py, toy_answers_df.
const std::vector<Answer> kToy = {
    {"w1", "t1", "no"},  {"w1", "t2", "yes"}, {"w1", "t3", "yes"}, {"w1", "t4", "yes"}, {"w1", "t5", "yes"},
    {"w2", "t1", "yes"}, {"w2", "t2", "yes"}, {"w2", "t3", "no"},  {"w2", "t4", "yes"}, {"w2", "t5", "no"},
    {"w3", "t2", "yes"}, {"w3", "t3", "no"},  {"w3", "t4", "yes"}, {"w3", "t5", "no"},  {"w4", "t1", "yes"},
    {"w4", "t2", "no"},  {"w4", "t3", "yes"}, {"w4", "t4", "yes"}, {"w4", "t5", "no"},  {"w5", "t1", "no"},
    {"w5", "t2", "no"},  {"w5", "t3", "no"},  {"w5", "t4", "yes"}, {"w5", "t5", "no"},
};
// conftest.py, toy_ground_truth_df.
const std::map<std::string, std::string> kToyTruth = {
    {"t1", "yes"}, {"t2", "yes"}, {"t3", "no"}, {"t4", "yes"}, {"t5", "no"}};

// conftest.py, simple_answers_df: good workers, a fraudster always answering
// "parrot", a careless worker.
#define CK_T(x) "1231239876--5fac0d234ffb2f3b00893" x
const std::vector<Answer> kSimple = {
    {"bde3b214b06c1efa6cb1bc6284dc72d2", CK_T("eec"), "goose"},
    {"bde3b214b06c1efa6cb1bc6284dc72d2", CK_T("efb"), "parrot"},
    {"bde3b214b06c1efa6cb1bc6284dc72d2", CK_T("f03"), "goose"},
    {"bde3b214b06c1efa6cb1bc6284dc72d2", CK_T("f05"), "goose"},
    {"bde3b214b06c1efa6cb1bc6284dc72d2", CK_T("f02"), "parrot"},
    {"bde3b214b06c1efa6cb1bc6284dc72d2", CK_T("f08"), "parrot"},
    {"b17c3301ad2ccbb798716fdd405d16e8", CK_T("efb"), "parrot"},
    {"b17c3301ad2ccbb798716fdd405d16e8", CK_T("ee8"), "chicken"},
    {"b17c3301ad2ccbb798716fdd405d16e8", CK_T("f07"), "parrot"},
    {"b17c3301ad2ccbb798716fdd405d16e8", CK_T("efd"), "chicken"},
    {"b17c3301ad2ccbb798716fdd405d16e8", CK_T("ee4"), "chicken"},
    {"b17c3301ad2ccbb798716fdd405d16e8", CK_T("f03"), "goose"},
    {"a452e450f913cfa987cad58d50393718", CK_T("ee8"), "chicken"},
    {"a452e450f913cfa987cad58d50393718", CK_T("eec"), "goose"},
    {"a452e450f913cfa987cad58d50393718", CK_T("f05"), "goose"},
    {"a452e450f913cfa987cad58d50393718", CK_T("f02"), "parrot"},
    {"a452e450f913cfa987cad58d50393718", CK_T("f08"), "parrot"},
    {"0f65edea0a6dc7b9acba1dea313bbb3d", CK_T("eec"), "goose"},
    {"0f65edea0a6dc7b9acba1dea313bbb3d", CK_T("ee8"), "chicken"},
    {"0f65edea0a6dc7b9acba1dea313bbb3d", CK_T("f03"), "goose"},
    {"0f65edea0a6dc7b9acba1dea313bbb3d", CK_T("ee4"), "chicken"},
    {"0c3eb7d5fcc414db137c4180a654c06e", CK_T("eec"), "parrot"},
    {"0c3eb7d5fcc414db137c4180a654c06e", CK_T("efb"), "parrot"},
    {"0c3eb7d5fcc414db137c4180a654c06e", CK_T("f07"), "parrot"},
    {"0c3eb7d5fcc414db137c4180a654c06e", CK_T("efd"), "parrot"},
    {"0c3eb7d5fcc414db137c4180a654c06e", CK_T("ee4"), "parrot"},
    {"0c3eb7d5fcc414db137c4180a654c06e", CK_T("f05"), "parrot"},
    {"e563e2fb32fce9f00123a65a1bc78c55", CK_T("efb"), "parrot"},
    {"e563e2fb32fce9f00123a65a1bc78c55", CK_T("ee8"), "goose"},
    {"e563e2fb32fce9f00123a65a1bc78c55", CK_T("f02"), "parrot"},
    {"e563e2fb32fce9f00123a65a1bc78c55", CK_T("f08"), "parrot"},
    {"e563e2fb32fce9f00123a65a1bc78c55", CK_T("f07"), "parrot"},
    {"e563e2fb32fce9f00123a65a1bc78c55", CK_T("efd"), "goose"},
};
// conftest.py, simple_ground_truth.
const std::map<std::string, std::string> kSimpleTruth = {
    {CK_T("eec"), "goose"},  {CK_T("f03"), "goose"},  {CK_T("f05"), "goose"},   {CK_T("efb"), "parrot"},
    {CK_T("f02"), "parrot"}, {CK_T("f08"), "parrot"}, {CK_T("f07"), "parrot"},  {CK_T("ee8"), "chicken"},
    {CK_T("efd"), "chicken"}, {CK_T("ee4"), "chicken"},
};
#undef CK_T

// test_ds_aggregation.py, fixture `data` (t1 has no answer from w3).
const std::vector<Answer> kStep = {
    {"w1", "t1", "no"},  {"w2", "t1", "yes"}, {"w4", "t1", "yes"}, {"w5", "t1", "no"},  {"w1", "t2", "yes"},
    {"w2", "t2", "yes"}, {"w3", "t2", "yes"}, {"w4", "t2", "no"},  {"w5", "t2", "no"},  {"w1", "t3", "yes"},
    {"w2", "t3", "no"},  {"w3", "t3", "no"},  {"w4", "t3", "yes"}, {"w5", "t3", "no"},  {"w1", "t4", "yes"},
    {"w2", "t4", "yes"}, {"w3", "t4", "yes"}, {"w4", "t4", "yes"}, {"w5", "t4", "yes"}, {"w1", "t5", "yes"},
    {"w2", "t5", "no"},  {"w3", "t5", "no"},  {"w4", "t5", "no"},  {"w5", "t5", "no"},
};

struct TaskProbas {
  const char* task;
  double no, yes;
};
struct ErrorRow {  // P(worker answers `observed` | true no), P(... | true yes)
  const char* worker;
  const char* observed;
  double no, yes;
};

void CheckProbas(const Named& n, const std::vector<std::vector<double>>& got, const std::vector<TaskProbas>& want) {
  for (const TaskProbas& w : want) {
    INFO("task " << w.task);
    CHECK(got[n.Task(w.task)][n.Class("no")] == Approx(w.no).margin(0.005));
    CHECK(got[n.Task(w.task)][n.Class("yes")] == Approx(w.yes).margin(0.005));
  }
}

void CheckErrors(const Named& n, const DawidSkeneResult& r, const std::vector<ErrorRow>& want) {
  for (const ErrorRow& e : want) {
    INFO("worker " << e.worker << " answering " << e.observed);
    const auto& pi = r.confusion[n.Worker(e.worker)];
    CHECK(pi[n.Class("no")][n.Class(e.observed)] == Approx(e.no).margin(0.005));
    CHECK(pi[n.Class("yes")][n.Class(e.observed)] == Approx(e.yes).margin(0.005));
  }
}

// test_dawid_skene_overlap: worker p answers "yes" on task t when
// (p - t) % 3 != 0, else "no": every task gets 2/3 "yes", every worker says
// "no" once and "yes" twice.
CrowdLabels Overlap(size_t workers) {
  CrowdLabels d;
  d.num_items = 3;
  d.num_workers = workers;
  d.num_classes = 2;  // 0 = no, 1 = yes
  for (size_t p = 0; p < workers; ++p) {
    for (size_t t = 0; t < 3; ++t) d.annotations.push_back({t, p, (p + 3 - t) % 3 != 0 ? size_t{1} : size_t{0}});
  }
  return d;
}

}  // namespace

TEST_CASE("crowd-kit: toy YSDA data, labels", "[dawid-skene][crowd-kit]") {
  Named n(kToy);
  // test_aggregate_ds_on_toy_ysda: (n_iter, tol) = (10, 0) and (100500, 1e-5).
  DawidSkeneResult fixed = Run(n, 10, 0);
  CHECK(n.LabelsOf(fixed.labels) == kToyTruth);
  CHECK(fixed.iterations == 10);
  DawidSkeneResult converged = Run(n, 100500, 1e-5);
  CHECK(n.LabelsOf(converged.labels) == kToyTruth);
  CHECK(converged.converged);
}

TEST_CASE("crowd-kit: simple data with a fraudster, labels", "[dawid-skene][crowd-kit]") {
  Named n(kSimple);
  // test_aggregate_ds_on_simple.
  CHECK(n.LabelsOf(Run(n, 10, 0).labels) == kSimpleTruth);
  CHECK(n.LabelsOf(Run(n, 100500, 1e-5).labels) == kSimpleTruth);
}

TEST_CASE("crowd-kit: step by step, posteriors, priors and error matrices", "[dawid-skene][crowd-kit]") {
  Named n(kStep);
  // Iteration 0 is majority vote: probas_iter_0, tasks_labels_iter_0 (t1 is
  // a 2:2 tie, which goes to the first label, "no").
  MajorityVoteResult mv;
  REQUIRE(MajorityVote(n.labels, &mv).ok());
  CheckProbas(n, mv.vote_proportions, {{"t1", 0.5, 0.5}, {"t2", 0.4, 0.6}, {"t3", 0.6, 0.4}, {"t4", 0.0, 1.0},
                                       {"t5", 0.8, 0.2}});
  CHECK(n.LabelsOf(mv.labels) ==
        std::map<std::string, std::string>{{"t1", "no"}, {"t2", "yes"}, {"t3", "no"}, {"t4", "yes"}, {"t5", "no"}});

  // One iteration: probas_iter_1 and tasks_labels_iter_1; the parameters that
  // produced them are crowd-kit's priors_iter_0 and errors_iter_0.
  DawidSkeneResult one = Run(n, 1, 0);
  CheckProbas(n, one.posteriors, {{"t1", 0.35, 0.65}, {"t2", 0.26, 0.74}, {"t3", 0.87, 0.13}, {"t4", 0.00, 1.00},
                                  {"t5", 0.95, 0.05}});
  CHECK(n.LabelsOf(one.labels) ==
        std::map<std::string, std::string>{{"t1", "yes"}, {"t2", "yes"}, {"t3", "no"}, {"t4", "yes"}, {"t5", "no"}});
  CHECK(one.class_priors[n.Class("no")] == Approx(0.46).margin(0.005));
  CHECK(one.class_priors[n.Class("yes")] == Approx(0.54).margin(0.005));
  CheckErrors(n, one,
              {{"w1", "no", 0.22, 0.19}, {"w1", "yes", 0.78, 0.81}, {"w2", "no", 0.61, 0.22}, {"w2", "yes", 0.39, 0.78},
               {"w3", "no", 0.78, 0.27}, {"w3", "yes", 0.22, 0.73}, {"w4", "no", 0.52, 0.30}, {"w4", "yes", 0.48, 0.70},
               {"w5", "no", 1.00, 0.63}, {"w5", "yes", 0.00, 0.37}});

  // Two iterations: the parameters estimated from probas_iter_1 are
  // crowd-kit's priors_iter_1 and errors_iter_1.
  DawidSkeneResult two = Run(n, 2, 0);
  CHECK(two.class_priors[n.Class("no")] == Approx(0.49).margin(0.005));
  CHECK(two.class_priors[n.Class("yes")] == Approx(0.51).margin(0.005));
  CheckErrors(n, two,
              {{"w1", "no", 0.14, 0.25}, {"w1", "yes", 0.86, 0.75}, {"w2", "no", 0.75, 0.07}, {"w2", "yes", 0.25, 0.93},
               {"w3", "no", 0.87, 0.09}, {"w3", "yes", 0.13, 0.91}, {"w4", "no", 0.50, 0.31}, {"w4", "yes", 0.50, 0.69},
               {"w5", "no", 1.00, 0.61}, {"w5", "yes", 0.00, 0.39}});
}

TEST_CASE("crowd-kit: boolean labels", "[dawid-skene][crowd-kit]") {
  // test_ds_on_bool_labels (DawidSkene(20)); False sorts before True.
  Named n({{"w1", "t1", "True"}, {"w1", "t2", "True"}, {"w2", "t1", "True"}, {"w2", "t2", "True"},
           {"w3", "t1", "False"}, {"w3", "t2", "False"}});
  CHECK(n.LabelsOf(Run(n, 20, 1e-6).labels) == std::map<std::string, std::string>{{"t1", "True"}, {"t2", "True"}});
}

TEST_CASE("crowd-kit: overlap of 3, 300 and 30000 indistinguishable workers", "[dawid-skene][crowd-kit]") {
  // test_dawid_skene_overlap (DawidSkene(20)): every task "yes" at 2/3, priors
  // (1/3, 2/3). The 300-worker case is issue 11's: with the old fixed
  // smoothing of 0.01 it gave one task "no" at 1.0.
  for (size_t workers : {size_t{3}, size_t{300}, size_t{30000}}) {
    INFO(workers << " workers");
    DawidSkeneOptions o;
    o.max_iterations = 20;
    DawidSkeneResult r;
    REQUIRE(DawidSkene(Overlap(workers), o, &r).ok());
    for (size_t t = 0; t < 3; ++t) {
      INFO("task " << t);
      CHECK(r.labels[t] == std::optional<size_t>(1));
      CHECK(r.posteriors[t][0] == Approx(1.0 / 3).margin(0.005));
      CHECK(r.posteriors[t][1] == Approx(2.0 / 3).margin(0.005));
    }
    CHECK(r.class_priors[0] == Approx(1.0 / 3).margin(0.005));
    CHECK(r.class_priors[1] == Approx(2.0 / 3).margin(0.005));
    // Also under tolerance 0 (all 20 iterations run): majority vote is an
    // exact fixed point without smoothing, so nothing drifts.
    o.tolerance = 0;
    REQUIRE(DawidSkene(Overlap(workers), o, &r).ok());
    CHECK(r.iterations == 20);
    for (size_t t = 0; t < 3; ++t) CHECK(r.posteriors[t][1] == Approx(2.0 / 3).margin(1e-9));
  }
}

TEST_CASE("Dawid-Skene: a positive smoothing moves the majority-vote fixed point", "[dawid-skene]") {
  // On the overlap data every worker's two confusion rows are equal
  // (P(yes | no) = P(yes | yes) = 2/3), so no worker tells the classes apart
  // and majority vote is a fixed point. A pseudo-count s moves the row of
  // "no" (mass 1 per worker) more towards uniform than the row of "yes"
  // (mass 2): the rows differ, the fixed point is gone, and after one
  // iteration the posteriors have moved.
  DawidSkeneOptions o;
  o.max_iterations = 1;
  DawidSkeneResult plain, smoothed;
  REQUIRE(DawidSkene(Overlap(300), o, &plain).ok());
  o.smoothing = 0.01;
  REQUIRE(DawidSkene(Overlap(300), o, &smoothed).ok());
  const auto& w = smoothed.confusion[0];
  CHECK(w[0][1] == Approx((2.0 / 3 + 0.01) / 1.02).epsilon(1e-12));  // P(yes | no)
  CHECK(w[1][1] == Approx((4.0 / 3 + 0.01) / 2.02).epsilon(1e-12));  // P(yes | yes)
  CHECK(w[0][1] < w[1][1]);
  for (size_t t = 0; t < 3; ++t) {
    CHECK(plain.posteriors[t][1] == Approx(2.0 / 3).margin(1e-12));
    CHECK(std::abs(smoothed.posteriors[t][1] - 2.0 / 3) > 1e-5);
  }
}

TEST_CASE("Dawid-Skene: exchangeable items keep bit-identical posteriors", "[dawid-skene]") {
  // The three overlap tasks are exchangeable (relabel the workers and one
  // becomes another). Off the fixed point, every worker amplifies a
  // difference between them, so before the E-step summed its terms in a
  // fixed order the last-bit differences of summing in worker order grew
  // until one task was "no" at 1.0 and the others "yes" at 1.0 (issue 11,
  // with smoothing 0.01; with smoothing 0 once the iterations went on).
  for (double s : {0.0, 0.01}) {
    for (size_t workers : {size_t{3}, size_t{300}}) {
      INFO("smoothing " << s << ", " << workers << " workers");
      DawidSkeneOptions o;
      o.smoothing = s;
      o.tolerance = 0;  // every iteration runs
      DawidSkeneResult r;
      REQUIRE(DawidSkene(Overlap(workers), o, &r).ok());
      CHECK(r.iterations == 100);
      for (size_t t = 0; t < 3; ++t) {
        CHECK(r.labels[t] == std::optional<size_t>(1));
        CHECK(r.posteriors[t] == r.posteriors[0]);  // exactly
      }
      if (s == 0) CHECK(r.posteriors[0][1] == Approx(2.0 / 3).margin(1e-12));
    }
  }
}
