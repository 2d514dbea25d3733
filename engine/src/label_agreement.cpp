// Pairwise agreement of two labels (see label_agreement.h, docs/consensus.md).
#include "annodb/label_agreement.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "annodb/assignment.h"

namespace annodb {
namespace {

std::vector<char32_t> CodePoints(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += n;
  }
  return out;
}

double PointSegmentDistance(const Point& p, const Point& a, const Point& b) {
  double dx = b.x - a.x, dy = b.y - a.y;
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  double qx = a.x + t * dx - p.x, qy = a.y + t * dy - p.y;
  return std::sqrt(qx * qx + qy * qy);
}

double PointPolylineDistance(const Point& p, const std::vector<Point>& line) {
  if (line.size() == 1) return std::hypot(p.x - line[0].x, p.y - line[0].y);
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i + 1 < line.size(); ++i) best = std::min(best, PointSegmentDistance(p, line[i], line[i + 1]));
  return best;
}

double MeanDistanceTo(const std::vector<Point>& from, const std::vector<Point>& to) {
  size_t n = from.size();
  size_t q = std::min(n, kMaxPolylineQueryPoints);
  double sum = 0;
  for (size_t k = 0; k < q; ++k) {
    size_t i = q == 1 ? 0 : k * (n - 1) / (q - 1);
    sum += PointPolylineDistance(from[i], to);
  }
  return sum / static_cast<double>(q);
}

// The similarity of two annotations of one geometric kind.
struct Pairwise {
  FeatureKind kind;
  AssetSize size;
  const std::vector<std::vector<uint32_t>>* runs_a;
  const std::vector<std::vector<uint32_t>>* runs_b;
  double operator()(const AnnotationInput& a, size_t ia, const AnnotationInput& b, size_t ib) const {
    switch (kind) {
      case FeatureKind::BBox: return BoxIou(a, b);
      case FeatureKind::Polygon: return PolygonIou(a.points, b.points);
      case FeatureKind::Point:
        if (a.points.empty() || b.points.empty()) return 0;
        return DistanceSimilarity(std::hypot(a.points[0].x - b.points[0].x, a.points[0].y - b.points[0].y), size);
      case FeatureKind::Polyline: return DistanceSimilarity(PolylineDistance(a.points, b.points), size);
      case FeatureKind::Mask:
        return MaskIou((*runs_a)[ia], a.mask_height, a.mask_width, (*runs_b)[ib], b.mask_height, b.mask_width);
      case FeatureKind::Span: return SpanIou(a.span_start, a.span_end, b.span_start, b.span_end);
      default: return 0;
    }
  }
};

// Matched-set agreement of the annotations of one geometric feature: `a`
// and `b` point at `na` and `nb` annotations. Runs on every counted label
// write (consensus_views.cpp), so the common case allocates little: classes
// are found in a small sorted list instead of a map, and a class with one
// annotation on each side needs no assignment. The sums run in the same
// order as the general method (classes in byte order, rows in order), so the
// score is bit for bit the same.
Status SetFeatureAgreement(FeatureKind kind, AssetSize size, const AnnotationInput* const* a, size_t na,
                           const AnnotationInput* const* b, size_t nb, double* out) {
  std::vector<std::vector<uint32_t>> runs_a, runs_b;
  if (kind == FeatureKind::Mask) {
    for (size_t i = 0; i < na; ++i) {
      runs_a.emplace_back();
      ANNODB_RETURN_IF_ERROR(DecodeRle(a[i]->mask_counts, a[i]->mask_height, a[i]->mask_width, &runs_a.back()));
    }
    for (size_t j = 0; j < nb; ++j) {
      runs_b.emplace_back();
      ANNODB_RETURN_IF_ERROR(DecodeRle(b[j]->mask_counts, b[j]->mask_height, b[j]->mask_width, &runs_b.back()));
    }
  }
  Pairwise sim{kind, size, &runs_a, &runs_b};
  // Within each class separately; annotations of different classes never
  // match. Classes in ascending byte order (as std::map<string_view> did).
  thread_local std::vector<std::string_view> classes;
  classes.clear();
  for (size_t i = 0; i < na; ++i) classes.push_back(a[i]->class_name);
  for (size_t j = 0; j < nb; ++j) classes.push_back(b[j]->class_name);
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  double matched_sum = 0;
  size_t matched = 0;
  thread_local std::vector<size_t> ra, rb;
  for (std::string_view cls : classes) {
    ra.clear();
    rb.clear();
    for (size_t i = 0; i < na; ++i)
      if (a[i]->class_name == cls) ra.push_back(i);
    for (size_t j = 0; j < nb; ++j)
      if (b[j]->class_name == cls) rb.push_back(j);
    if (ra.empty() || rb.empty()) continue;
    if (ra.size() == 1 && rb.size() == 1) {
      // MaxWeightAssignment of a 1x1 matrix: matched when the weight is a
      // finite value above 0.
      double s = sim(*a[ra[0]], ra[0], *b[rb[0]], rb[0]);
      if (std::isfinite(s) && s > 0) {
        matched_sum += s;
        ++matched;
      }
      continue;
    }
    std::vector<std::vector<double>> m(ra.size(), std::vector<double>(rb.size()));
    for (size_t i = 0; i < ra.size(); ++i)
      for (size_t j = 0; j < rb.size(); ++j) m[i][j] = sim(*a[ra[i]], ra[i], *b[rb[j]], rb[j]);
    std::vector<int> assign = stats::MaxWeightAssignment(m);
    for (size_t i = 0; i < assign.size(); ++i)
      if (assign[i] >= 0) {
        matched_sum += m[i][static_cast<size_t>(assign[i])];
        ++matched;
      }
  }
  size_t denom = na + nb - matched;
  *out = denom ? matched_sum / static_cast<double>(denom) : 1.0;
  return Status::OK();
}

// The annotations of one label tagged with their feature's ontology index,
// sorted by it (stable: a feature's annotations keep their label order).
Status ByFeature(const std::vector<FeatureDef>& ontology, const std::map<std::string_view, size_t>* index,
                 const LabelInput& label, std::vector<std::pair<size_t, const AnnotationInput*>>* out) {
  out->clear();
  out->reserve(label.annotations.size());
  for (const AnnotationInput& x : label.annotations) {
    size_t f = ontology.size();
    if (index) {
      auto it = index->find(x.feature);
      if (it != index->end()) f = it->second;
    } else {
      for (size_t i = 0; i < ontology.size(); ++i)
        if (ontology[i].name == x.feature) {
          f = i;
          break;
        }
    }
    if (f == ontology.size()) return Status::InvalidArgument("the ontology has no feature '" + x.feature + "'");
    if (ontology[f].kind != x.kind)
      return Status::InvalidArgument("annotation of feature '" + x.feature + "' is a " + FeatureKindName(x.kind) +
                                     ", the ontology says " + FeatureKindName(ontology[f].kind));
    out->emplace_back(f, &x);
  }
  // Insertion sort: stable, and no buffer (std::stable_sort allocates one)
  // for the few annotations of a label.
  for (size_t i = 1; i < out->size(); ++i)
    for (size_t j = i; j > 0 && (*out)[j - 1].first > (*out)[j].first; --j) std::swap((*out)[j - 1], (*out)[j]);
  return Status::OK();
}

}  // namespace

double JaccardAgreement(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::set<std::string_view> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  if (sa.empty() && sb.empty()) return 1.0;
  size_t inter = 0;
  for (std::string_view v : sa) inter += sb.count(v);
  return static_cast<double>(inter) / static_cast<double>(sa.size() + sb.size() - inter);
}

double BoxIou(const AnnotationInput& a, const AnnotationInput& b) {
  double ix = std::max(0.0, std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x));
  double iy = std::max(0.0, std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y));
  double inter = ix * iy;
  double uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? std::clamp(inter / uni, 0.0, 1.0) : 0.0;
}

double MaskIou(const std::vector<uint32_t>& a, uint32_t a_h, uint32_t a_w, const std::vector<uint32_t>& b,
               uint32_t b_h, uint32_t b_w) {
  if (a_h != b_h || a_w != b_w) return 0;
  // Runs alternate 0s and 1s starting with 0s: walk both as interval lists.
  auto ones = [](const std::vector<uint32_t>& runs) {
    std::vector<std::pair<uint64_t, uint64_t>> iv;
    uint64_t pos = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      if (i % 2 == 1 && runs[i]) iv.emplace_back(pos, pos + runs[i]);
      pos += runs[i];
    }
    return iv;
  };
  auto ia = ones(a), ib = ones(b);
  uint64_t area_a = 0, area_b = 0, inter = 0;
  for (auto& [s, e] : ia) area_a += e - s;
  for (auto& [s, e] : ib) area_b += e - s;
  for (size_t i = 0, j = 0; i < ia.size() && j < ib.size();) {
    uint64_t s = std::max(ia[i].first, ib[j].first), e = std::min(ia[i].second, ib[j].second);
    if (e > s) inter += e - s;
    if (ia[i].second < ib[j].second) ++i; else ++j;
  }
  uint64_t uni = area_a + area_b - inter;
  return uni ? static_cast<double>(inter) / static_cast<double>(uni) : 1.0;
}

double SpanIou(uint32_t a_start, uint32_t a_end, uint32_t b_start, uint32_t b_end) {
  if (a_end <= a_start || b_end <= b_start) return 0;
  int64_t inter = std::max<int64_t>(0, static_cast<int64_t>(std::min(a_end, b_end)) - std::max(a_start, b_start));
  int64_t uni = static_cast<int64_t>(a_end - a_start) + (b_end - b_start) - inter;
  return uni > 0 ? static_cast<double>(inter) / static_cast<double>(uni) : 0.0;
}

double DistanceSimilarity(double d, AssetSize size) {
  double diag = size.width && size.height ? std::hypot(double(size.width), double(size.height)) : kDefaultDiagonal;
  if (size.width && !size.height) diag = size.width;
  if (!size.width && size.height) diag = size.height;
  if (!std::isfinite(d)) return 0;
  double s = kDistanceSigma * diag;
  return std::exp(-(d * d) / (2 * s * s));
}

double PolylineDistance(const std::vector<Point>& a, const std::vector<Point>& b) {
  if (a.empty() || b.empty()) return std::numeric_limits<double>::infinity();
  return (MeanDistanceTo(a, b) + MeanDistanceTo(b, a)) / 2;
}

std::string NormalizeText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

size_t Levenshtein(std::string_view sa, std::string_view sb) {
  std::vector<char32_t> a = CodePoints(sa), b = CodePoints(sb);
  if (a.size() < b.size()) std::swap(a, b);
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

double TextSimilarity(std::string_view ra, std::string_view rb) {
  std::string na = NormalizeText(ra), nb = NormalizeText(rb);
  if (na == nb) return 1.0;
  std::vector<char32_t> a = CodePoints(na), b = CodePoints(nb);
  size_t longer = std::max(a.size(), b.size());
  // Strip the common prefix and suffix (they add nothing to the distance).
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre && a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) ++suf;
  double cells = static_cast<double>(a.size() - pre - suf) * static_cast<double>(b.size() - pre - suf);
  if (cells > kMaxLevenshteinCells) return 0;
  std::string_view va(na), vb(nb);
  // Byte offsets of the stripped parts.
  auto byte_offset = [](std::string_view s, size_t cps) {
    size_t i = 0;
    for (size_t k = 0; k < cps && i < s.size(); ++k) {
      ++i;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    }
    return i;
  };
  size_t a0 = byte_offset(va, pre), a1 = byte_offset(va, a.size() - suf);
  size_t b0 = byte_offset(vb, pre), b1 = byte_offset(vb, b.size() - suf);
  size_t d = Levenshtein(va.substr(a0, a1 - a0), vb.substr(b0, b1 - b0));
  return longer ? 1.0 - static_cast<double>(d) / static_cast<double>(longer) : 1.0;
}

double MatchedSetAgreement(const std::vector<std::vector<double>>& m) {
  size_t rows = m.size(), cols = rows ? m[0].size() : 0;
  if (rows + cols == 0) return 1.0;
  std::vector<int> assign = stats::MaxWeightAssignment(m);
  double sum = 0;
  size_t matched = 0;
  for (size_t i = 0; i < assign.size(); ++i)
    if (assign[i] >= 0) {
      sum += m[i][static_cast<size_t>(assign[i])];
      ++matched;
    }
  return sum / static_cast<double>(rows + cols - matched);
}

Status LabelAgreement(const std::vector<FeatureDef>& ontology, AssetSize size, const LabelInput& a,
                      const LabelInput& b, LabelAgreementResult* out) {
  // Features are found by name: a linear search for the usual small
  // ontology (no map built per pair), a map for large ones.
  constexpr size_t kLinearFeatures = 16;
  std::map<std::string_view, size_t> index;
  if (ontology.size() > kLinearFeatures)
    for (size_t i = 0; i < ontology.size(); ++i) index.emplace(ontology[i].name, i);
  const std::map<std::string_view, size_t>* idx = ontology.size() > kLinearFeatures ? &index : nullptr;
  // Each label's annotations grouped by feature, features in ontology order.
  // Scratch lists kept per thread: this runs for every pair of labels a
  // label write compares, and nothing here calls back into it.
  thread_local std::vector<std::pair<size_t, const AnnotationInput*>> ta, tb;
  thread_local std::vector<const AnnotationInput*> xa, xb;
  ANNODB_RETURN_IF_ERROR(ByFeature(ontology, idx, a, &ta));
  ANNODB_RETURN_IF_ERROR(ByFeature(ontology, idx, b, &tb));
  LabelAgreementResult r;
  r.features.reserve(std::min(ontology.size(), ta.size() + tb.size()));
  double sum = 0;
  size_t ia = 0, ib = 0;
  while (ia < ta.size() || ib < tb.size()) {
    // The next feature present in either label.
    size_t f = std::min(ia < ta.size() ? ta[ia].first : ontology.size(), ib < tb.size() ? tb[ib].first : ontology.size());
    xa.clear();
    xb.clear();
    for (; ia < ta.size() && ta[ia].first == f; ++ia) xa.push_back(ta[ia].second);
    for (; ib < tb.size() && tb[ib].first == f; ++ib) xb.push_back(tb[ib].second);
    double score = 0;
    FeatureKind kind = ontology[f].kind;
    switch (kind) {
      case FeatureKind::Classification:
        score = (!xa.empty() && !xb.empty() && xa[0]->value == xb[0]->value) ? 1.0 : 0.0;
        break;
      case FeatureKind::MultiClassification: {
        static const std::vector<std::string> kEmpty;
        score = JaccardAgreement(xa.empty() ? kEmpty : xa[0]->values, xb.empty() ? kEmpty : xb[0]->values);
        break;
      }
      case FeatureKind::Text:
        score = (!xa.empty() && !xb.empty()) ? TextSimilarity(xa[0]->text, xb[0]->text) : 0.0;
        break;
      default:
        ANNODB_RETURN_IF_ERROR(SetFeatureAgreement(kind, size, xa.data(), xa.size(), xb.data(), xb.size(), &score));
        break;
    }
    r.features.push_back({f, score});
    sum += score;
  }
  r.score = r.features.empty() ? 1.0 : sum / static_cast<double>(r.features.size());
  *out = std::move(r);
  return Status::OK();
}

}  // namespace annodb
