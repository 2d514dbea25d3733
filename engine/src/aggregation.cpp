// Label aggregation. Algorithms: docs/consensus.md and aggregation.h.
#include "annodb/aggregation.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "exception_status.h"

namespace annodb::stats {
namespace {

Status ValidateCrowdLabels(const CrowdLabels& labels, const char* who) {
  const std::string prefix = std::string(who) + ": ";
  if (labels.num_classes == 0) return Status::InvalidArgument(prefix + "no classes");
  if (labels.num_items == 0) return Status::InvalidArgument(prefix + "no items");
  if (labels.annotations.empty()) return Status::InvalidArgument(prefix + "no annotations");
  for (size_t a = 0; a < labels.annotations.size(); ++a) {
    const Annotation& an = labels.annotations[a];
    if (an.item >= labels.num_items) {
      return Status::InvalidArgument(prefix + "annotation " + std::to_string(a) + " has item " +
                                     std::to_string(an.item) + " but there are " +
                                     std::to_string(labels.num_items) + " items");
    }
    if (an.worker >= labels.num_workers) {
      return Status::InvalidArgument(prefix + "annotation " + std::to_string(a) + " has worker " +
                                     std::to_string(an.worker) + " but there are " +
                                     std::to_string(labels.num_workers) + " workers");
    }
    if (an.label >= labels.num_classes) {
      return Status::InvalidArgument(prefix + "annotation " + std::to_string(a) + " has class " +
                                     std::to_string(an.label) + " but there are " +
                                     std::to_string(labels.num_classes) + " classes");
    }
  }
  return Status::OK();
}

// Index of the largest element; ties go to the lowest index.
size_t ArgMax(const std::vector<double>& v) {
  size_t best = 0;
  for (size_t j = 1; j < v.size(); ++j) {
    if (v[j] > v[best]) best = j;
  }
  return best;
}

// An item's answers, aggregated: (worker, label, count).
struct Cell {
  size_t worker;
  size_t label;
  double count;
};

}  // namespace

// ---------------------------------------------------------------------------

Status MajorityVote(const CrowdLabels& labels, MajorityVoteResult* out) {
  if (out == nullptr) return Status::InvalidArgument("MajorityVote: out is null");
  ANNODB_RETURN_IF_ERROR(ValidateCrowdLabels(labels, "MajorityVote"));
  try {
    const size_t items = labels.num_items, classes = labels.num_classes;
    MajorityVoteResult r;
    std::vector<std::vector<double>> votes(items, std::vector<double>(classes, 0.0));
    std::vector<double> answers(items, 0.0);
    for (const Annotation& a : labels.annotations) {
      votes[a.item][a.label] += 1;
      answers[a.item] += 1;
    }
    r.labels.assign(items, std::nullopt);
    r.vote_share.assign(items, 0.0);
    r.vote_proportions.assign(items, std::vector<double>(classes, 0.0));
    for (size_t i = 0; i < items; ++i) {
      if (answers[i] == 0) continue;
      size_t best = ArgMax(votes[i]);
      r.labels[i] = best;
      r.vote_share[i] = votes[i][best] / answers[i];
      for (size_t j = 0; j < classes; ++j) r.vote_proportions[i][j] = votes[i][j] / answers[i];
    }
    r.worker_answers.assign(labels.num_workers, 0);
    std::vector<uint64_t> matches(labels.num_workers, 0);
    for (const Annotation& a : labels.annotations) {
      ++r.worker_answers[a.worker];
      if (r.labels[a.item] == a.label) ++matches[a.worker];
    }
    r.worker_skill.assign(labels.num_workers, std::nullopt);
    for (size_t k = 0; k < labels.num_workers; ++k) {
      if (r.worker_answers[k] > 0) {
        r.worker_skill[k] = static_cast<double>(matches[k]) / static_cast<double>(r.worker_answers[k]);
      }
    }
    *out = std::move(r);
    return Status::OK();
  } catch (const std::exception& e) {
    return ExceptionStatus("MajorityVote", e);
  }
}

// ---------------------------------------------------------------------------

Status DawidSkene(const CrowdLabels& labels, const DawidSkeneOptions& options, DawidSkeneResult* out) {
  if (out == nullptr) return Status::InvalidArgument("DawidSkene: out is null");
  ANNODB_RETURN_IF_ERROR(ValidateCrowdLabels(labels, "DawidSkene"));
  if (options.max_iterations == 0) return Status::InvalidArgument("DawidSkene: max_iterations must be >= 1");
  if (!(options.tolerance >= 0) || !std::isfinite(options.tolerance)) {
    return Status::InvalidArgument("DawidSkene: tolerance must be a finite number >= 0");
  }
  if (!(options.smoothing >= 0) || !std::isfinite(options.smoothing)) {
    return Status::InvalidArgument("DawidSkene: smoothing must be a finite number >= 0");
  }
  try {
    const size_t items = labels.num_items, workers = labels.num_workers, classes = labels.num_classes;
    const double s = options.smoothing;
    const double J = static_cast<double>(classes);
    constexpr double kNegInf = -std::numeric_limits<double>::infinity();

    // n_ikl, sparse per item.
    std::vector<std::vector<Cell>> cells(items);
    {
      std::map<std::tuple<size_t, size_t, size_t>, double> counts;
      for (const Annotation& a : labels.annotations) counts[{a.item, a.worker, a.label}] += 1;
      for (const auto& [key, c] : counts) {
        cells[std::get<0>(key)].push_back(Cell{std::get<1>(key), std::get<2>(key), c});
      }
    }
    std::vector<size_t> answered;  // items with at least one answer
    for (size_t i = 0; i < items; ++i) {
      if (!cells[i].empty()) answered.push_back(i);
    }
    const double n_answered = static_cast<double>(answered.size());

    // T(0): per-item vote proportions.
    std::vector<std::vector<double>> T(items, std::vector<double>(classes, 0.0));
    for (size_t i : answered) {
      double total = 0;
      for (const Cell& c : cells[i]) {
        T[i][c.label] += c.count;
        total += c.count;
      }
      for (double& t : T[i]) t /= total;
    }

    std::vector<double> priors(classes, 0.0);
    std::vector<std::vector<std::vector<double>>> pi(
        workers, std::vector<std::vector<double>>(classes, std::vector<double>(classes, 0.0)));
    std::vector<double> log_prior(classes);
    std::vector<std::vector<std::vector<double>>> log_pi = pi;
    std::vector<double> logp(classes);
    std::vector<double> terms;  // one item's log terms for one class (E-step)
    size_t iterations = 0;
    bool converged = false;
    double log_likelihood = 0;

    while (iterations < options.max_iterations) {
      ++iterations;
      // M-step.
      std::fill(priors.begin(), priors.end(), 0.0);
      for (auto& w : pi) {
        for (auto& row : w) std::fill(row.begin(), row.end(), 0.0);
      }
      for (size_t i : answered) {
        for (size_t j = 0; j < classes; ++j) {
          const double t = T[i][j];
          priors[j] += t;
          if (t == 0) continue;
          for (const Cell& c : cells[i]) pi[c.worker][j][c.label] += t * c.count;
        }
      }
      for (size_t j = 0; j < classes; ++j) {
        priors[j] = (priors[j] + s) / (n_answered + J * s);
        log_prior[j] = priors[j] > 0 ? std::log(priors[j]) : kNegInf;
      }
      for (size_t k = 0; k < workers; ++k) {
        for (size_t j = 0; j < classes; ++j) {
          auto& row = pi[k][j];
          double total = 0;
          for (double v : row) total += v;
          const double denom = total + J * s;
          for (size_t l = 0; l < classes; ++l) {
            row[l] = denom > 0 ? (row[l] + s) / denom : 1.0 / J;
            log_pi[k][j][l] = row[l] > 0 ? std::log(row[l]) : kNegInf;
          }
        }
      }
      // E-step. Each item's log terms are summed in ascending order, so two
      // items whose terms are the same multiset get bit-identical posteriors
      // whatever order their workers come in. Without this, when every
      // worker is uninformative (majority vote is then an unstable fixed
      // point: docs/consensus.md, "The smoothing prior") the last-bit
      // differences of summing in worker order grow with every iteration
      // until items flip to 0 or 1.
      double max_change = 0;
      log_likelihood = 0;
      for (size_t i : answered) {
        for (size_t j = 0; j < classes; ++j) {
          terms.clear();
          for (const Cell& c : cells[i]) terms.push_back(c.count * log_pi[c.worker][j][c.label]);
          std::sort(terms.begin(), terms.end());
          double lp = log_prior[j];
          for (double t : terms) {
            if (lp == kNegInf) break;
            lp += t;
          }
          logp[j] = lp;
        }
        const double mx = *std::max_element(logp.begin(), logp.end());
        if (mx == kNegInf) {
          // Every class has probability 0 (possible only with smoothing 0):
          // keep the previous posterior of this item.
          log_likelihood = kNegInf;
          continue;
        }
        double z = 0;
        for (size_t j = 0; j < classes; ++j) z += std::exp(logp[j] - mx);
        log_likelihood += mx + std::log(z);
        for (size_t j = 0; j < classes; ++j) {
          const double t = std::exp(logp[j] - mx) / z;
          max_change = std::max(max_change, std::fabs(t - T[i][j]));
          T[i][j] = t;
        }
      }
      if (max_change < options.tolerance) {
        converged = true;
        break;
      }
    }

    DawidSkeneResult r;
    r.labels.assign(items, std::nullopt);
    r.label_posterior.assign(items, 0.0);
    for (size_t i = 0; i < items; ++i) {
      if (cells[i].empty()) {
        T[i] = priors;
        continue;
      }
      size_t best = ArgMax(T[i]);
      r.labels[i] = best;
      r.label_posterior[i] = T[i][best];
    }
    r.posteriors = std::move(T);
    r.confusion = std::move(pi);
    r.class_priors = std::move(priors);
    r.iterations = iterations;
    r.converged = converged;
    r.log_likelihood = log_likelihood;
    *out = std::move(r);
    return Status::OK();
  } catch (const std::exception& e) {
    return ExceptionStatus("DawidSkene", e);
  }
}

// ---------------------------------------------------------------------------

double BoxIou(const LabelledBox& a, const LabelledBox& b) {
  const double ix = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
  const double iy = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
  if (!(ix > 0) || !(iy > 0)) return 0;
  const double inter = ix * iy;
  const double uni = a.w * a.h + b.w * b.h - inter;
  if (!(uni > 0)) return 0;
  return inter / uni;
}

namespace {

struct WorkCluster {
  std::vector<size_t> members;
  LabelledBox mean;  // current mean box; class_id is the cluster's class when not class-agnostic
};

void UpdateMean(const std::vector<LabelledBox>& boxes, WorkCluster* c) {
  double x = 0, y = 0, w = 0, h = 0;
  for (size_t m : c->members) {
    x += boxes[m].x;
    y += boxes[m].y;
    w += boxes[m].w;
    h += boxes[m].h;
  }
  const double n = static_cast<double>(c->members.size());
  c->mean.x = x / n;
  c->mean.y = y / n;
  c->mean.w = w / n;
  c->mean.h = h / n;
}

}  // namespace

Status ClusterBoxes(const std::vector<LabelledBox>& boxes, const BoxClusterOptions& options,
                    std::vector<BoxCluster>* out) {
  if (out == nullptr) return Status::InvalidArgument("ClusterBoxes: out is null");
  if (!(options.iou_threshold > 0 && options.iou_threshold <= 1)) {
    return Status::InvalidArgument("ClusterBoxes: iou_threshold must be in (0, 1]");
  }
  if (options.quorum == 0) return Status::InvalidArgument("ClusterBoxes: quorum must be >= 1");
  for (size_t b = 0; b < boxes.size(); ++b) {
    const LabelledBox& x = boxes[b];
    if (!std::isfinite(x.x) || !std::isfinite(x.y) || !std::isfinite(x.w) || !std::isfinite(x.h)) {
      return Status::InvalidArgument("ClusterBoxes: box " + std::to_string(b) + " has a non-finite coordinate");
    }
    if (!(x.w > 0) || !(x.h > 0)) {
      return Status::InvalidArgument("ClusterBoxes: box " + std::to_string(b) +
                                     " has a non-positive width or height");
    }
  }
  try {
    std::map<uint64_t, std::vector<size_t>> by_labeller;  // ascending labeller id, input order within
    for (size_t b = 0; b < boxes.size(); ++b) by_labeller[boxes[b].labeller].push_back(b);

    std::vector<WorkCluster> clusters;
    for (const auto& [labeller, mine] : by_labeller) {
      const size_t existing = clusters.size();
      // Candidate pairs: (iou, cluster, position of the box in `mine`).
      std::vector<std::tuple<double, size_t, size_t>> candidates;
      for (size_t c = 0; c < existing; ++c) {
        const WorkCluster& cl = clusters[c];
        for (size_t p = 0; p < mine.size(); ++p) {
          const LabelledBox& box = boxes[mine[p]];
          if (!options.class_agnostic && box.class_id != cl.mean.class_id) continue;
          double iou = BoxIou(box, cl.mean);
          if (iou >= options.iou_threshold) candidates.emplace_back(iou, c, p);
        }
      }
      std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
        if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) < std::get<1>(b);
        return std::get<2>(a) < std::get<2>(b);
      });
      // Clusters existing before this round hold no box of this labeller yet
      // (labellers are processed one at a time), so matching each cluster at
      // most once per round keeps at most one box per labeller per cluster.
      std::vector<bool> cluster_used(existing, false), box_used(mine.size(), false);
      for (const auto& [iou, c, p] : candidates) {
        if (cluster_used[c] || box_used[p]) continue;
        cluster_used[c] = true;
        box_used[p] = true;
        clusters[c].members.push_back(mine[p]);
      }
      for (size_t c = 0; c < existing; ++c) {
        if (cluster_used[c]) UpdateMean(boxes, &clusters[c]);
      }
      for (size_t p = 0; p < mine.size(); ++p) {
        if (box_used[p]) continue;
        WorkCluster cl;
        cl.members.push_back(mine[p]);
        cl.mean = boxes[mine[p]];
        cl.mean.labeller = 0;
        clusters.push_back(std::move(cl));
      }
    }

    std::vector<BoxCluster> result;
    for (const WorkCluster& cl : clusters) {
      if (cl.members.size() < options.quorum) continue;
      BoxCluster bc;
      bc.mean_box = cl.mean;
      bc.mean_box.labeller = 0;
      if (options.class_agnostic) {
        std::map<size_t, size_t> votes;
        for (size_t m : cl.members) ++votes[boxes[m].class_id];
        size_t best_class = 0, best_votes = 0;
        for (const auto& [cls, v] : votes) {  // ascending class id: ties keep the lowest
          if (v > best_votes) {
            best_votes = v;
            best_class = cls;
          }
        }
        bc.mean_box.class_id = best_class;
      }
      bc.support = cl.members.size();
      bc.members = cl.members;
      double iou_sum = 0;
      for (size_t m : cl.members) iou_sum += BoxIou(boxes[m], bc.mean_box);
      bc.mean_iou = iou_sum / static_cast<double>(cl.members.size());
      result.push_back(std::move(bc));
    }
    *out = std::move(result);
    return Status::OK();
  } catch (const std::exception& e) {
    return ExceptionStatus("ClusterBoxes", e);
  }
}

}  // namespace annodb::stats
