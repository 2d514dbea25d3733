// Label aggregation: majority vote, Dawid-Skene EM, and bounding-box
// clustering.
//
// Pure math: plain data in, numbers out; nothing here touches a store. Every
// function validates its input and returns Status::InvalidArgument (with a
// message naming the offending annotation or box) instead of throwing; the
// output argument is written only when the returned status is OK. Every
// algorithm is deterministic (no randomness; ties are broken by index). All
// functions are thread-safe. Algorithms and references: docs/consensus.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "annodb/status.h"

namespace annodb::stats {

// ---------------------------------------------------------------------------
// Categorical crowd labels
// ---------------------------------------------------------------------------

// One answer: worker `worker` put item `item` in class `label`. A worker may
// answer the same item more than once (each answer counts, as in Dawid and
// Skene's data where one observer examined every patient three times).
struct Annotation {
  size_t item = 0;
  size_t worker = 0;
  size_t label = 0;
};

// Items, workers and classes are dense indices 0..n-1.
struct CrowdLabels {
  size_t num_items = 0;
  size_t num_workers = 0;
  size_t num_classes = 0;
  std::vector<Annotation> annotations;
};

// Majority vote. For every item, the class with the most answers; a tie goes
// to the class listed first (the lowest class index). Items nobody answered
// get no label. A worker's skill is the share of their answers that equal the
// majority label of the item answered (std::nullopt for a worker with no
// answers); a worker's answer counts towards the majority they are compared
// with.
struct MajorityVoteResult {
  std::vector<std::optional<size_t>> labels;        // per item
  std::vector<double> vote_share;                   // per item: winning votes / answers (0 if none)
  std::vector<std::vector<double>> vote_proportions;  // per item x class: answers / item answers
  std::vector<std::optional<double>> worker_skill;  // per worker
  std::vector<uint64_t> worker_answers;             // per worker
};
Status MajorityVote(const CrowdLabels& labels, MajorityVoteResult* out);

// Dawid-Skene EM (Dawid & Skene 1979).
//
// Model: item i has a latent class j with prior p_j; worker k answering an
// item of class j says l with probability pi_k[j][l]. Algorithm:
//   T(0)[i][j] = share of item i's answers that are j (majority-vote soft
//                labels, Dawid & Skene's eq. 3.1);
//   repeat:
//     M-step: p_j = (sum_i T[i][j] + s) / (N + J s),
//             pi_k[j][l] = (sum_i T[i][j] n_ikl + s) / (sum_l' (sum_i T[i][j] n_ikl') + J s);
//     E-step: T[i][j] proportional to p_j prod_k prod_l pi_k[j][l]^n_ikl
//             (computed in log space);
//   until max_ij |T_new - T_old| < tolerance (converged) or max_iterations
//   iterations (one iteration = one M-step + one E-step).
// s is the additive smoothing `smoothing`: a pseudo-count added to every
// cell of every confusion row and to every class count (the MAP estimate
// under a symmetric Dirichlet(1 + s) prior). Default 0: the paper's plain
// maximum-likelihood updates, as in crowd-kit's DawidSkene. A positive s
// keeps every probability above zero (one unexpected answer cannot veto a
// class) but it is NOT neutral: it pulls a confusion row towards uniform by
// an amount that grows as the row's data shrink, so rows that the data make
// equal stop being equal. When workers are indistinguishable (every worker's
// rows equal, so every worker is uninformative), majority vote is an exact
// but unstable fixed point of EM; s > 0 pushes EM off it and moves the
// posteriors (docs/consensus.md, "The smoothing prior"). The E-step sums
// each item's log terms in ascending order, so items with the same multiset
// of terms get bit-identical posteriors: round-off cannot break a symmetry
// of the data and decide which items flip.
// N counts only items with at least one answer; items without answers take
// part in nothing, get no label and report the class priors as posterior.
struct DawidSkeneOptions {
  size_t max_iterations = 100;  // >= 1
  double tolerance = 1e-6;      // >= 0
  double smoothing = 0;         // finite, >= 0; 0 gives the plain maximum-likelihood updates
};

struct DawidSkeneResult {
  std::vector<std::optional<size_t>> labels;      // per item: argmax class (ties: lowest index)
  std::vector<double> label_posterior;            // per item: posterior of that class (0 if no label)
  std::vector<std::vector<double>> posteriors;    // item x class: T
  // worker x true class x answered class: pi_k[j][l]; each row sums to 1.
  std::vector<std::vector<std::vector<double>>> confusion;
  std::vector<double> class_priors;               // p_j
  size_t iterations = 0;
  bool converged = false;
  double log_likelihood = 0;  // of the final parameters (incomplete-data, natural log)
};
Status DawidSkene(const CrowdLabels& labels, const DawidSkeneOptions& options, DawidSkeneResult* out);

// ---------------------------------------------------------------------------
// Bounding boxes
// ---------------------------------------------------------------------------

// An axis-aligned box: (x, y) is the top-left corner, w and h are > 0.
struct LabelledBox {
  double x = 0, y = 0, w = 0, h = 0;
  size_t class_id = 0;
  uint64_t labeller = 0;
};

// Intersection over union of two boxes (0 when they do not overlap).
double BoxIou(const LabelledBox& a, const LabelledBox& b);

// Clustering of the boxes several labellers drew on one asset.
//
// Algorithm (greedy, deterministic):
//   1. Labellers are processed in ascending id order. The first labeller's
//      boxes each start a cluster.
//   2. For each further labeller: every (box, cluster) pair with
//      IoU(box, cluster's current mean box) >= iou_threshold is a candidate,
//      provided the cluster holds no box of this labeller yet and (unless
//      class_agnostic) has the box's class. Candidates are taken in descending
//      IoU order (ties: lower cluster index, then lower box index); a pair is
//      accepted when neither its box nor its cluster was matched in this
//      round. Every box left unmatched starts a new cluster. Cluster means are
//      updated after the round.
//   3. Clusters supported by fewer than `quorum` distinct labellers are
//      dropped. A cluster never holds two boxes of one labeller, so its
//      support is its size.
// Output: per kept cluster, the component-wise mean of x, y, w, h of its
// boxes; its class (with class_agnostic, the most frequent class among its
// boxes, ties to the lowest class id); its support; the member indices into
// the input; and the mean IoU of the members with the mean box. Clusters are
// ordered by creation (which follows labeller id, then box order).
struct BoxClusterOptions {
  double iou_threshold = 0.5;   // in (0, 1]
  size_t quorum = 2;            // >= 1
  bool class_agnostic = false;  // false: boxes of different classes never share a cluster
};

struct BoxCluster {
  LabelledBox mean_box;  // labeller is 0 (meaningless for a mean)
  size_t support = 0;    // distinct labellers
  std::vector<size_t> members;
  double mean_iou = 0;
};

Status ClusterBoxes(const std::vector<LabelledBox>& boxes, const BoxClusterOptions& options,
                    std::vector<BoxCluster>* out);

}  // namespace annodb::stats
