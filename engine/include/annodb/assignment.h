// Optimal one-to-one assignment (the Hungarian / Kuhn-Munkres method).
//
// Used to match the boxes, polygons, points, polylines, masks and spans of
// two labels before averaging their overlap (label_agreement.h). Pure math,
// deterministic, thread-safe; nothing here touches a store.
#pragma once

#include <cstddef>
#include <vector>

namespace annodb::stats {

// weight[i][j] >= 0 is the value of pairing row i with column j; the matrix
// may be rectangular (every row must have the same length). Returns, for
// every row, the column it is assigned to or -1, such that the sum of the
// chosen weights is maximal and each column is used at most once. When
// several assignments reach the maximum, the result is deterministic.
// A row whose best partner would have weight 0 is reported as -1
// (unmatched), as are rows left over when there are more rows than columns. Cost O(n^3) with n = max(rows, columns).
// Non-finite or negative weights are treated as 0.
std::vector<int> MaxWeightAssignment(const std::vector<std::vector<double>>& weight);

}  // namespace annodb::stats
