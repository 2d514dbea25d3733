// Polygon IoU with Boost.Geometry (label_agreement.h).
//
// In its own file because GCC 12 reports a false -Wmaybe-uninitialized
// inside Boost 1.74's rescale policy (boost/geometry/policies/robustness/
// rescale_policy.hpp) when bg::intersection is instantiated; the warning is
// silenced for this file only (clang, which builds the fuzz targets, has no
// such warning).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <boost/geometry.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <algorithm>
#include <cmath>

#include "annodb/label_agreement.h"

namespace annodb {
namespace {
namespace bg = boost::geometry;
using GPoint = bg::model::d2::point_xy<double>;
using GPolygon = bg::model::polygon<GPoint>;
using GMulti = bg::model::multi_polygon<GPolygon>;

GPolygon MakePolygon(const std::vector<Point>& pts) {
  GPolygon poly;
  for (const Point& p : pts) bg::append(poly.outer(), GPoint(p.x, p.y));
  bg::correct(poly);
  return poly;
}

}  // namespace

double PolygonIou(const std::vector<Point>& a, const std::vector<Point>& b) {
  if (a.size() < 3 || b.size() < 3) return 0;
  try {
    GPolygon pa = MakePolygon(a), pb = MakePolygon(b);
    double area_a = std::abs(bg::area(pa)), area_b = std::abs(bg::area(pb));
    GMulti inter;
    bg::intersection(pa, pb, inter);
    double i = std::abs(bg::area(inter));
    double u = area_a + area_b - i;
    return u > 0 ? std::clamp(i / u, 0.0, 1.0) : 0.0;
  } catch (...) {
    return 0;  // Boost.Geometry refuses some invalid input; validated labels never get here
  }
}

}  // namespace annodb
