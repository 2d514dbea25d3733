// Agreement between two labels of the same asset, per annotation kind.
//
// Pure math over decoded labels (labels.h): nothing here touches a store.
// Every definition and formula is in docs/consensus.md ("Agreement between
// two labels"); in short, per feature of the ontology present in either label:
//   classification        1 if the values are equal, else 0 (0 if only one label has it)
//   multi_classification  Jaccard |A ∩ B| / |A ∪ B| of the value sets (1 when both are empty)
//   bbox, polygon, mask   IoU; point, polyline: distance similarity; span: character IoU.
//                         These are sets of annotations: within each class they are matched
//                         one to one by an optimal assignment (assignment.h) maximising the
//                         summed similarity; the feature's score is
//                         sum(similarity of matched pairs) / (|A| + |B| - matched pairs),
//                         so every unmatched annotation counts 0.
//   text                  1 if equal after normalising case and white space, else
//                         1 - Levenshtein distance / longer length (in code points).
// The label agreement is the unweighted mean over the features present in
// either label. Two labels with no annotations at all agree fully (1).
//
// Errors: InvalidArgument for an annotation whose feature is not in the
// ontology or whose kind differs from it, or a malformed RLE mask; the
// output is written only on success. Thread-safe, deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "annodb/labels.h"
#include "annodb/projects.h"

namespace annodb {

// Distances of points and polylines are scaled by the asset's diagonal
// sqrt(width² + height²): similarity = exp(-d² / (2 (kDistanceSigma · diag)²)).
// An asset without a known size uses kDefaultDiagonal pixels.
inline constexpr double kDistanceSigma = 0.02;
inline constexpr double kDefaultDiagonal = 1000.0;
// Text similarity: Levenshtein is O(|a|·|b|); when that product (after
// removing the common prefix and suffix) exceeds this, unequal texts score 0.
inline constexpr double kMaxLevenshteinCells = 25e6;
// Polylines: at most this many vertices of each line are used as query points
// (evenly spaced, first and last always included).
inline constexpr size_t kMaxPolylineQueryPoints = 1000;

struct FeatureAgreement {
  size_t feature = 0;  // index into the ontology
  double score = 0;    // in [0, 1]
};

struct LabelAgreementResult {
  double score = 0;                        // mean of `features` (1 when empty)
  std::vector<FeatureAgreement> features;  // features present in either label, ontology order
};

// The asset's size in pixels (0 = unknown).
struct AssetSize {
  uint32_t width = 0, height = 0;
};

Status LabelAgreement(const std::vector<FeatureDef>& ontology, AssetSize size, const LabelInput& a,
                      const LabelInput& b, LabelAgreementResult* out);

// The per-kind pieces, exposed for tests and for callers comparing single
// annotations. All return values are in [0, 1].
double JaccardAgreement(const std::vector<std::string>& a, const std::vector<std::string>& b);
double BoxIou(const AnnotationInput& a, const AnnotationInput& b);
// Polygons as rings of points (closed implicitly); 0 for degenerate input.
double PolygonIou(const std::vector<Point>& a, const std::vector<Point>& b);
// IoU of two masks given as run lengths (DecodeRle); masks of different
// sizes have IoU 0; two empty masks have IoU 1.
double MaskIou(const std::vector<uint32_t>& a, uint32_t a_h, uint32_t a_w, const std::vector<uint32_t>& b,
               uint32_t b_h, uint32_t b_w);
double SpanIou(uint32_t a_start, uint32_t a_end, uint32_t b_start, uint32_t b_end);
double DistanceSimilarity(double distance, AssetSize size);
// Symmetric mean distance: (mean over A's vertices of the distance to B +
// mean over B's vertices of the distance to A) / 2.
double PolylineDistance(const std::vector<Point>& a, const std::vector<Point>& b);
// Lower-case ASCII letters, white space runs (space, tab, CR, LF, VT, FF)
// collapsed to one space, leading and trailing white space removed.
std::string NormalizeText(std::string_view s);
double TextSimilarity(std::string_view a, std::string_view b);
// Levenshtein distance in code points (exposed for tests).
size_t Levenshtein(std::string_view a, std::string_view b);
// The matched-set score from a similarity matrix (rows: A's annotations,
// columns: B's): sum of the optimal assignment / (rows + cols - matched).
// 1 when both sets are empty.
double MatchedSetAgreement(const std::vector<std::vector<double>>& similarity);

}  // namespace annodb
