// ValidateLabel: every annotation checked against the ontology and the asset.
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <cmath>
#include <set>

#include "annodb/labels.h"
#include "text_checks.h"

namespace annodb {
namespace {
namespace bg = boost::geometry;
using GPoint = bg::model::d2::point_xy<double>;
using GPolygon = bg::model::polygon<GPoint>;

bool Finite(double v) { return std::isfinite(v); }

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

template <typename... Args>
std::string Cat(Args&&... args) {
  std::string s;
  (s += ... += args);
  return s;
}

class AnnotationChecker {
 public:
  AnnotationChecker(const AssetInput& asset, AnnotationInput* a, std::string where)
      : asset_(asset), a_(a), where_(std::move(where)) {}

  Status Fail(const std::string& why) const { return Status::InvalidArgument(where_ + ": " + why); }

  Status CheckClass(const FeatureDef& f) const {
    if (f.classes.empty()) {
      if (!a_->class_name.empty()) return Fail("feature has no classes, but class '" + a_->class_name + "' was given");
      return Status::OK();
    }
    if (a_->class_name.empty()) return Fail("a class is required (one of " + Join(f.classes) + ")");
    for (const std::string& c : f.classes)
      if (c == a_->class_name) return Status::OK();
    return Fail("class '" + a_->class_name + "' is not one of " + Join(f.classes));
  }

  Status CheckPointInside(const Point& p, size_t i) const {
    if (!Finite(p.x) || !Finite(p.y)) return Fail("point " + std::to_string(i) + " is not a finite number");
    if (p.x < 0 || p.y < 0) return Fail("point " + std::to_string(i) + " has a negative coordinate");
    if ((asset_.width && p.x > asset_.width) || (asset_.height && p.y > asset_.height))
      return Fail(Cat("point ", std::to_string(i), " lies outside the asset (", std::to_string(asset_.width), "x",
                      std::to_string(asset_.height), ")"));
    return Status::OK();
  }

  // A label keeps only the fields of each annotation's kind: data of another
  // kind would be dropped without a word, so it is refused, naming it.
  Status CheckNoForeignData(FeatureKind k) const {
    auto foreign = [&](const char* what) {
      return Fail(std::string(what) + " cannot go on a " + FeatureKindName(k) + " annotation");
    };
    bool geometry = k != FeatureKind::Classification && k != FeatureKind::MultiClassification && k != FeatureKind::Text;
    if (!a_->value.empty() && k != FeatureKind::Classification) return foreign("\"value\"");
    if (!a_->values.empty() && k != FeatureKind::MultiClassification) return foreign("\"values\"");
    if (!a_->class_name.empty() && !geometry) return foreign("\"class\"");
    if ((a_->x != 0 || a_->y != 0 || a_->w != 0 || a_->h != 0) && k != FeatureKind::BBox) return foreign("a box");
    if (!a_->points.empty() && k != FeatureKind::Polygon && k != FeatureKind::Polyline && k != FeatureKind::Point)
      return foreign("points");
    if ((a_->mask_height != 0 || a_->mask_width != 0 || !a_->mask_counts.empty()) && k != FeatureKind::Mask)
      return foreign("a mask");
    if ((a_->span_start != 0 || a_->span_end != 0) && k != FeatureKind::Span) return foreign("a span");
    if (!a_->text.empty() && k != FeatureKind::Text) return foreign("\"text\"");
    return Status::OK();
  }

  Status Check(const FeatureDef& f) const {
    a_->kind = f.kind;
    ANNODB_RETURN_IF_ERROR(CheckNoForeignData(f.kind));
    if (a_->score && !std::isfinite(*a_->score)) return Fail("score is not a finite number");
    switch (f.kind) {
      case FeatureKind::Classification: {
        if (a_->value.empty()) return Fail("a value is required");
        for (const std::string& o : f.options)
          if (o == a_->value) return Status::OK();
        return Fail("value '" + a_->value + "' is not one of " + Join(f.options));
      }
      case FeatureKind::MultiClassification: {
        std::set<std::string> seen;
        for (const std::string& v : a_->values) {
          if (!seen.insert(v).second) return Fail("value '" + v + "' is given twice");
          bool known = false;
          for (const std::string& o : f.options) known = known || o == v;
          if (!known) return Fail("value '" + v + "' is not one of " + Join(f.options));
        }
        return Status::OK();
      }
      case FeatureKind::BBox: {
        ANNODB_RETURN_IF_ERROR(CheckClass(f));
        if (!Finite(a_->x) || !Finite(a_->y) || !Finite(a_->w) || !Finite(a_->h))
          return Fail("box coordinates must be finite numbers");
        if (a_->w <= 0 || a_->h <= 0) return Fail("box width and height must be positive");
        if (a_->x < 0 || a_->y < 0) return Fail("box starts at a negative coordinate");
        if ((asset_.width && a_->x + a_->w > asset_.width) || (asset_.height && a_->y + a_->h > asset_.height))
          return Fail(Cat("box extends outside the asset (", std::to_string(asset_.width), "x",
                          std::to_string(asset_.height), ")"));
        return Status::OK();
      }
      case FeatureKind::Polygon: {
        ANNODB_RETURN_IF_ERROR(CheckClass(f));
        if (a_->points.size() < 3) return Fail("a polygon needs at least 3 points");
        if (a_->points.size() > 100000) return Fail("a polygon may have at most 100000 points");
        for (size_t i = 0; i < a_->points.size(); ++i) ANNODB_RETURN_IF_ERROR(CheckPointInside(a_->points[i], i));
        GPolygon poly;
        for (const Point& p : a_->points) bg::append(poly.outer(), GPoint(p.x, p.y));
        bg::correct(poly);  // close the ring and orient it; orientation is not the user's concern
        // A self-intersecting ring cannot be oriented, so test for it first.
        if (bg::intersects(poly)) return Fail("the polygon intersects itself");
        bg::validity_failure_type failure;
        if (!bg::is_valid(poly, failure)) {
          switch (failure) {
            case bg::failure_self_intersections: return Fail("the polygon intersects itself");
            case bg::failure_few_points: return Fail("the polygon has fewer than 3 distinct points");
            case bg::failure_spikes: return Fail("the polygon has a spike (an edge that doubles back)");
            case bg::failure_wrong_topological_dimension: return Fail("the polygon has no area");
            default: return Fail(std::string("the polygon is not valid: ") + bg::validity_failure_type_message(failure));
          }
        }
        return Status::OK();
      }
      case FeatureKind::Polyline: {
        ANNODB_RETURN_IF_ERROR(CheckClass(f));
        if (a_->points.size() < 2) return Fail("a polyline needs at least 2 points");
        if (a_->points.size() > 100000) return Fail("a polyline may have at most 100000 points");
        for (size_t i = 0; i < a_->points.size(); ++i) ANNODB_RETURN_IF_ERROR(CheckPointInside(a_->points[i], i));
        return Status::OK();
      }
      case FeatureKind::Point: {
        ANNODB_RETURN_IF_ERROR(CheckClass(f));
        if (a_->points.size() != 1) return Fail("a point annotation holds exactly one point");
        return CheckPointInside(a_->points[0], 0);
      }
      case FeatureKind::Mask: {
        ANNODB_RETURN_IF_ERROR(CheckClass(f));
        if ((asset_.height && a_->mask_height != asset_.height) || (asset_.width && a_->mask_width != asset_.width))
          return Fail(Cat("mask size ", std::to_string(a_->mask_height), "x", std::to_string(a_->mask_width),
                          " differs from the asset's ", std::to_string(asset_.height), "x", std::to_string(asset_.width),
                          " (height x width)"));
        std::vector<uint32_t> runs;
        Status s = DecodeRle(a_->mask_counts, a_->mask_height, a_->mask_width, &runs);
        if (!s.ok()) return Fail("malformed RLE mask: " + s.message());
        return Status::OK();
      }
      case FeatureKind::Span: {
        ANNODB_RETURN_IF_ERROR(CheckClass(f));
        if (a_->span_end <= a_->span_start) return Fail("a span must end after it starts");
        // Spans index the asset's text: without one they point at nothing.
        if (asset_.text.empty())
          return Fail("span [" + std::to_string(a_->span_start) + ", " + std::to_string(a_->span_end) +
                      ") on an asset without text (give the asset a \"text\" first)");
        if (a_->span_end > CodePoints(asset_.text))
          return Fail("span [" + std::to_string(a_->span_start) + ", " + std::to_string(a_->span_end) +
                      ") lies outside the asset's text of " + std::to_string(CodePoints(asset_.text)) + " characters");
        return Status::OK();
      }
      case FeatureKind::Text:
        return CheckUtf8Field(where_ + ": text", a_->text, 1 << 20, false);
    }
    return Fail("unknown feature kind");
  }

 private:
  static std::string Join(const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < 20; ++i) s += (i ? ", " : "") + v[i];
    if (v.size() > 20) s += ", ...";
    return s;
  }
  const AssetInput& asset_;
  AnnotationInput* a_;
  std::string where_;
};
}  // namespace

Status ValidateAnnotation(const FeatureDef& feature, const AssetInput& asset, const std::string& where,
                          AnnotationInput* a) {
  return AnnotationChecker(asset, a, where).Check(feature);
}

Status ValidateLabel(const ProjectInfo& project, const AssetInput& asset, LabelInput* label) {
  if (label->annotations.size() > 10000) return Status::InvalidArgument("a label may hold at most 10000 annotations");
  std::set<std::string> single;  // features that allow one annotation per label
  for (size_t i = 0; i < label->annotations.size(); ++i) {
    AnnotationInput& a = label->annotations[i];
    std::string where = "annotations[" + std::to_string(i) + "] (" + a.feature + ")";
    ANNODB_RETURN_IF_ERROR(CheckUtf8Field(where + ": feature", a.feature, 200, true));
    ANNODB_RETURN_IF_ERROR(CheckUtf8Field(where + ": class", a.class_name, 200, false));
    const FeatureDef* f = project.Feature(a.feature);
    if (!f) return Status::InvalidArgument(where + ": project '" + project.name + "' has no feature '" + a.feature + "'");
    bool one_per_label = f->kind == FeatureKind::Classification || f->kind == FeatureKind::MultiClassification ||
                         f->kind == FeatureKind::Text;
    if (one_per_label && !single.insert(f->name).second)
      return Status::InvalidArgument(where + ": a label holds at most one " + FeatureKindName(f->kind) +
                                     " annotation of a feature");
    ANNODB_RETURN_IF_ERROR(AnnotationChecker(asset, &a, where).Check(*f));
  }
  if (label->source == LabelSource::Model || label->source == LabelSource::Aggregate) {
    if (label->model_name.empty())
      return Status::InvalidArgument(std::string("a ") + LabelSourceName(label->source) + " label needs a model name");
    if (label->author_member_id != 0)
      return Status::InvalidArgument(std::string("a ") + LabelSourceName(label->source) + " label has no member author");
  } else if (label->author_member_id == 0) {
    return Status::InvalidArgument(std::string("a ") + LabelSourceName(label->source) + " label needs a member author");
  }
  ANNODB_RETURN_IF_ERROR(CheckUtf8Field("model name", label->model_name, 200, false));
  ANNODB_RETURN_IF_ERROR(CheckUtf8Field("model version", label->model_version, 200, false));
  if (static_cast<int>(label->status) > static_cast<int>(LabelStatus::Rejected))
    return Status::InvalidArgument("unknown label status");
  if (static_cast<int>(label->source) > static_cast<int>(LabelSource::Aggregate))
    return Status::InvalidArgument("unknown label source");
  return Status::OK();
}

}  // namespace annodb
