// The Hungarian method for maximum-weight one-to-one assignment.
//
// Why our own: Boost 1.74 (the Debian package this project builds with) has
// only boost::maximum_weighted_matching for this, which has known wrong
// answers, crashes and non-termination on some graphs (boostorg/graph issues
// 223, 306 and 399; rewritten only in later Boost releases), and no other
// Debian-packaged C++ library offers a small assignment solver. The O(n^3)
// shortest-augmenting-path form with potentials (Kuhn 1955, Munkres 1957, in
// the formulation of Jonker and Volgenant) is short; tests/consensus checks
// it against brute force over all permutations.
#include "annodb/assignment.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace annodb::stats {

std::vector<int> MaxWeightAssignment(const std::vector<std::vector<double>>& weight) {
  const size_t rows = weight.size();
  const size_t cols = rows ? weight[0].size() : 0;
  std::vector<int> result(rows, -1);
  if (rows == 0 || cols == 0) return result;
  const size_t n = std::max(rows, cols);
  // Square cost matrix (1-based, as in the classic formulation): cost =
  // max weight - weight, padded cells cost max weight (weight 0).
  double wmax = 0;
  auto w = [&](size_t i, size_t j) {
    if (i >= rows || j >= cols || j >= weight[i].size()) return 0.0;
    double v = weight[i][j];
    return std::isfinite(v) && v > 0 ? v : 0.0;
  };
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) wmax = std::max(wmax, w(i, j));
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(n + 1, 0), minv(n + 1);
  std::vector<size_t> p(n + 1, 0), way(n + 1, 0);  // p[j]: row matched to column j (0 = none)
  std::vector<char> used(n + 1);
  for (size_t i = 1; i <= n; ++i) {
    p[0] = i;
    size_t j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      size_t i0 = p[j0], j1 = 0;
      double delta = inf;
      for (size_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        double cur = (wmax - w(i0 - 1, j - 1)) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (size_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  for (size_t j = 1; j <= n; ++j) {
    size_t i = p[j];
    if (i >= 1 && i <= rows && j <= cols && w(i - 1, j - 1) > 0) result[i - 1] = static_cast<int>(j - 1);
  }
  return result;
}

}  // namespace annodb::stats
