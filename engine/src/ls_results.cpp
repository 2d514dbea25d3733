// Label Studio results: strict reads, ontology inference, conversion (see ls_results.h).
#include "ls_results.h"

#include <cfloat>
#include <cmath>
#include <cstdio>

#include "text_checks.h"

namespace annodb::ls {
namespace {

Status Bad(const std::string& why) { return Status::InvalidArgument(why); }

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// The feature kinds a result type can be stored in.
bool Fits(const std::string& type, FeatureKind k) {
  if (type == "choices" || type == "taxonomy") return k == FeatureKind::Classification || k == FeatureKind::MultiClassification;
  if (type == "textarea") return k == FeatureKind::Text;
  if (type == "rectanglelabels") return k == FeatureKind::BBox;
  if (type == "polygonlabels") return k == FeatureKind::Polygon;
  if (type == "keypointlabels") return k == FeatureKind::Point;
  return type == "labels" && k == FeatureKind::Span;
}

// value.<key> as a list of strings: absent -> empty; anything but an array
// of strings is refused (an entry is never dropped).
Status StringList(const Json& value, const std::string& key, std::vector<std::string>* out) {
  out->clear();
  const Json* v = Find(value, key.c_str());
  if (!v) return Status::OK();
  if (!v->is_array()) return Bad("value." + key + " is " + Show(*v) + ", not an array of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string())
      return Bad("value." + key + "[" + std::to_string(i) + "] is " + Show((*v)[i]) + ", not a string");
    out->push_back((*v)[i].get<std::string>());
  }
  return Status::OK();
}

// The leaf of each taxonomy path: [["Animal", "Cat"], ["Plant"]] -> Cat, Plant.
Status TaxonomyLeaves(const Json& value, std::vector<std::string>* out) {
  out->clear();
  const Json* v = Find(value, "taxonomy");
  if (!v) return Status::OK();
  if (!v->is_array()) return Bad("value.taxonomy is " + Show(*v) + ", not an array of paths");
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& path = (*v)[i];
    std::string where = "value.taxonomy[" + std::to_string(i) + "]";
    if (!path.is_array() || path.empty()) return Bad(where + " is " + Show(path) + ", not a path of strings");
    for (const Json& step : path)
      if (!step.is_string()) return Bad(where + " is " + Show(path) + ", not a path of strings");
    out->push_back(path.back().get<std::string>());
  }
  return Status::OK();
}

// The classes a region result names (value.<type>): at most one, since a
// region annotation holds one class.
Status RegionClass(const Json& value, const std::string& type, std::string* out) {
  std::vector<std::string> c;
  ANNODB_RETURN_IF_ERROR(StringList(value, type, &c));
  if (c.size() > 1)
    return Bad("value." + type + " is " + Show(*Find(value, type.c_str())) + ": " + std::to_string(c.size()) +
               " labels on one region; an annotation holds one class (split the region in Label Studio)");
  out->clear();
  if (!c.empty()) *out = c[0];
  return Status::OK();
}

Status Number(const Json& value, const char* key, double* out) {
  const Json* v = Find(value, key);
  if (!v || !v->is_number()) return Bad(std::string("value.") + key + " is " + (v ? Show(*v) : "missing") + ", not a number");
  *out = v->get<double>();
  if (!std::isfinite(*out)) return Bad(std::string("value.") + key + " is not a finite number");
  return Status::OK();
}

// The strings a choices or taxonomy result chooses.
Status Chosen(const Json& value, const std::string& type, std::vector<std::string>* out) {
  return type == "choices" ? StringList(value, "choices", out) : TaxonomyLeaves(value, out);
}

// Percent coordinate p (of `size` pixels) must lie within 0..100.
Status PercentPoint(const std::string& what, double x, double y) {
  if (x < 0 || x > 100 || y < 0 || y > 100)
    return Bad(what + " (" + Num(x) + ", " + Num(y) + ") % lies outside the image (0..100 %)");
  return Status::OK();
}

// Byte offset of code point `cp` in UTF-8 `s` (cp may be the end); npos
// when out of range.
size_t ByteOfCodePoint(const std::string& s, uint64_t cp) {
  uint64_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (n++ == cp) return i;
  }
  return n == cp ? s.size() : std::string::npos;
}

// Code point index of UTF-16 offset `u16` in UTF-8 `s`; false when out of
// range or inside a surrogate pair.
bool CodePointOfUtf16(const std::string& s, uint64_t u16, uint64_t* cp) {
  uint64_t units = 0, n = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (units == u16) return (*cp = n), true;
    if (units > u16 || i == s.size()) return false;
    units += static_cast<unsigned char>(s[i]) >= 0xF0 ? 2 : 1;  // 4-byte UTF-8 = a surrogate pair
    ++n;
  }
  return false;
}

// The text at code points [start, end) of `s`, or false when out of range.
bool Slice(const std::string& s, uint64_t start, uint64_t end, std::string* out) {
  size_t b = ByteOfCodePoint(s, start), e = ByteOfCodePoint(s, end);
  if (b == std::string::npos || e == std::string::npos || e < b) return false;
  *out = s.substr(b, e - b);
  return true;
}

// A span's offsets checked against value.text, the text Label Studio shows
// for it. Label Studio counts UTF-16 code units (a browser's string
// offsets), annodb code points: they differ after a character outside the
// Basic Multilingual Plane (an emoji), and are converted then.
Status CheckSpanText(const Json& v, const std::string& text, uint32_t* start, uint32_t* end) {
  const Json* t = Find(v, "text");
  if (!t || !t->is_string() || text.empty()) return Status::OK();
  std::string want = t->get<std::string>(), got;
  if (Slice(text, *start, *end, &got) && got == want) return Status::OK();
  uint64_t s = 0, e = 0;
  std::string u16;
  if (CodePointOfUtf16(text, *start, &s) && CodePointOfUtf16(text, *end, &e) && Slice(text, s, e, &u16) && u16 == want) {
    *start = static_cast<uint32_t>(s), *end = static_cast<uint32_t>(e);
    return Status::OK();
  }
  return Bad("value.text " + Show(want) + " is not the task's text at [" + std::to_string(*start) + ", " +
             std::to_string(*end) + ") (which holds " + Show(got) + ")");
}

Status NeedSize(uint32_t w, uint32_t h) {
  if (w && h) return Status::OK();
  return Bad("the image size is unknown: neither this result, another result of the task nor the stored asset "
             "gives original_width/original_height; import the assets with their width and height first");
}

// A box in percent (x, y, w, h) to pixels, clamped within `tol` percent.
Status ConvertBox(const Json& v, uint32_t W, uint32_t H, double tol, AnnotationInput* a, bool* clamped) {
  double x = 0, y = 0, w = 0, h = 0;
  ANNODB_RETURN_IF_ERROR(Number(v, "x", &x));
  ANNODB_RETURN_IF_ERROR(Number(v, "y", &y));
  ANNODB_RETURN_IF_ERROR(Number(v, "width", &w));
  ANNODB_RETURN_IF_ERROR(Number(v, "height", &h));
  std::string box = "box x " + Num(x) + ", y " + Num(y) + ", width " + Num(w) + ", height " + Num(h) + " (% of " +
                    std::to_string(W) + "x" + std::to_string(H) + ")";
  if (w <= 0 || h <= 0) return Bad(box + ": width and height must be positive");
  double over = std::max({-x, -y, x + w - 100, y + h - 100});
  double x0 = x, y0 = y, x1 = x + w, y1 = y + h;
  if (over > 0) {
    if (over > tol) {
      std::string hint = tol > 0 ? " (--clamp-boxes clamps up to " + Num(tol) + " %)"
                                 : "; --clamp-boxes clamps boxes a little outside the image";
      return Bad(box + " extends " + Num(over) + " % outside the image" + hint);
    }
    x0 = std::max(x0, 0.0), y0 = std::max(y0, 0.0), x1 = std::min(x1, 100.0), y1 = std::min(y1, 100.0);
    if (x1 <= x0 || y1 <= y0) return Bad(box + " lies outside the image");
    *clamped = true;
  }
  // Right and bottom edges from their own percentages, so a box ending at
  // 100 % ends exactly at the image's edge; an ulp of rounding is trimmed.
  auto edge = [](double lo_pct, double hi_pct, uint32_t size, double* pos, double* len) {
    *pos = lo_pct * size / 100;
    double end = hi_pct * size / 100;
    *len = end - *pos;
    while (*pos + *len > end) *len = std::nextafter(*len, 0.0);
  };
  edge(x0, x1, W, &a->x, &a->w);
  edge(y0, y1, H, &a->y, &a->h);
  return Status::OK();
}

}  // namespace

std::string Show(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

const Json* Find(const Json& o, const char* key) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return nullptr;
  return &*it;
}

Status OptString(const Json& o, const char* key, const std::string& fallback, std::string* out) {
  const Json* v = Find(o, key);
  if (!v) return (*out = fallback), Status::OK();
  if (!v->is_string()) return Bad(std::string(key) + " is " + Show(*v) + ", not a string");
  *out = v->get<std::string>();
  return Status::OK();
}

Status OptBool(const Json& o, const char* key, bool* out) {
  const Json* v = Find(o, key);
  if (!v) return (*out = false), Status::OK();
  if (!v->is_boolean()) return Bad(std::string(key) + " is " + Show(*v) + ", not true or false");
  *out = v->get<bool>();
  return Status::OK();
}

std::string TaskName(const Json& task, size_t index) {
  const Json* id = Find(task, "id");
  if (id && id->is_number_integer()) return "task " + id->dump();
  return "tasks[" + std::to_string(index) + "]";
}

bool Handled(const std::string& type) {
  return type == "choices" || type == "rectanglelabels" || type == "polygonlabels" || type == "keypointlabels" ||
         type == "labels" || type == "textarea" || type == "taxonomy";
}

bool ImageRegion(const std::string& type) {
  return type == "rectanglelabels" || type == "polygonlabels" || type == "keypointlabels" || type == "brushlabels" ||
         type == "ellipselabels" || type == "rectangle" || type == "polygon" || type == "keypoint" || type == "brush" ||
         type == "ellipse";
}

Status InferOntology(const Json& tasks, std::vector<FeatureDef>* out) {
  struct Seen {
    std::string type, where;
  };
  std::vector<Seen> first;  // parallel to *out: the result that defined each feature
  for (size_t t = 0; t < tasks.size(); ++t) {
    for (const char* group : {"annotations", "predictions"}) {
      const Json* anns = Find(tasks[t], group);
      if (!anns || !anns->is_array()) continue;  // the import pass refuses it, naming the task
      for (size_t a = 0; a < anns->size(); ++a) {
        const Json* results = Find((*anns)[a], "result");
        if (!results || !results->is_array()) continue;
        for (size_t i = 0; i < results->size(); ++i) {
          const Json& r = (*results)[i];
          std::string where = TaskName(tasks[t], t) + ": " + group + "[" + std::to_string(a) + "]: result[" +
                              std::to_string(i) + "]";
          std::string type, name;
          if (!OptString(r, "type", "", &type).ok() || !Handled(type)) continue;
          const Json* value = Find(r, "value");
          if (!OptString(r, "from_name", "", &name).ok() || name.empty() || !value || !value->is_object()) continue;
          ANNODB_RETURN_IF_ERROR(CheckRecordName(where + ": from_name " + Show(name), name));
          where += " (" + name + ")";
          FeatureKind kind = type == "choices" || type == "taxonomy" ? FeatureKind::Classification
                             : type == "textarea"                    ? FeatureKind::Text
                             : type == "rectanglelabels"             ? FeatureKind::BBox
                             : type == "polygonlabels"               ? FeatureKind::Polygon
                             : type == "keypointlabels"              ? FeatureKind::Point
                                                                     : FeatureKind::Span;
          size_t k = 0;
          while (k < out->size() && (*out)[k].name != name) ++k;
          if (k == out->size()) {
            out->push_back({name, kind, {}, {}, false});
            first.push_back({type, where});
          } else if (!Fits(type, (*out)[k].kind)) {
            return Bad(where + ": a " + type + " result, but " + first[k].where + " made '" + name + "' a " +
                       first[k].type + " feature");
          }
          FeatureDef& f = (*out)[k];
          std::vector<std::string> items;
          bool choice = kind == FeatureKind::Classification;
          if (choice) ANNODB_RETURN_IF_ERROR(Chosen(*value, type, &items).WithContext(where));
          else if (kind != FeatureKind::Text) ANNODB_RETURN_IF_ERROR(StringList(*value, type, &items).WithContext(where));
          if (type == "taxonomy" || items.size() > 1) f.kind = choice ? FeatureKind::MultiClassification : f.kind;
          std::vector<std::string>& list = choice ? f.options : f.classes;
          for (size_t j = 0; j < items.size(); ++j) {
            ANNODB_RETURN_IF_ERROR(
                CheckRecordName(where + ": value." + type + "[" + std::to_string(j) + "] " + Show(items[j]), items[j]));
            if (std::find(list.begin(), list.end(), items[j]) == list.end()) list.push_back(items[j]);
          }
        }
      }
    }
  }
  if (out->empty()) return Bad("the file holds no results of a supported type to infer an ontology from");
  return ValidateOntology(*out);
}

Status ResultSize(const Json& r, uint32_t* width, uint32_t* height) {
  for (auto [key, out] : {std::pair{"original_width", width}, std::pair{"original_height", height}}) {
    *out = 0;
    const Json* v = Find(r, key);
    if (!v) continue;
    double d = v->is_number() ? v->get<double>() : 0;
    if (!v->is_number() || d != std::floor(d) || d < 1 || d > UINT32_MAX)
      return Bad(std::string(key) + " is " + Show(*v) + ", not a pixel count (1..4294967295)");
    *out = static_cast<uint32_t>(d);
  }
  return Status::OK();
}

Status OptScore(const Json& o, std::optional<float>* out) {
  const Json* v = Find(o, "score");
  if (!v) return Status::OK();
  double d = v->is_number() ? v->get<double>() : 0;
  if (!v->is_number() || !std::isfinite(d) || std::fabs(d) > FLT_MAX)
    return Bad("score is " + Show(*v) + ", not a finite number");
  *out = static_cast<float>(d);
  return Status::OK();
}

Status ConvertResult(const Json& r, const std::string& type, const FeatureDef& f, const std::string& project,
                     const AssetInput& asset, uint32_t W, uint32_t H, const ConvertOptions& o,
                     std::optional<float> default_score, AnnotationInput* a, bool* clamped) {
  *clamped = false;
  if (!Fits(type, f.kind))
    return Bad("feature '" + f.name + "' of project '" + project + "' is a " + FeatureKindName(f.kind) +
               " feature; a " + type + " result cannot be stored in it");
  const Json* vp = Find(r, "value");
  if (!vp || !vp->is_object()) return Bad("value is " + (vp ? Show(*vp) : std::string("missing")) + ", not an object");
  const Json& v = *vp;
  *a = AnnotationInput();
  a->feature = f.name;
  a->score = default_score;
  ANNODB_RETURN_IF_ERROR(OptScore(r, &a->score));
  if (type == "choices" || type == "taxonomy") {
    std::vector<std::string> chosen;
    ANNODB_RETURN_IF_ERROR(Chosen(v, type, &chosen));
    if (f.kind == FeatureKind::Classification) {
      if (chosen.size() != 1)
        return Bad("value." + type + " is " + (Find(v, type.c_str()) ? Show(*Find(v, type.c_str())) : "missing") +
                   "; feature '" + f.name + "' takes one choice");
      a->value = chosen[0];
    } else {
      a->values = chosen;
    }
  } else if (type == "textarea") {
    const Json* t = Find(v, "text");
    std::vector<std::string> lines;
    if (t && t->is_string()) lines.push_back(t->get<std::string>());
    else ANNODB_RETURN_IF_ERROR(StringList(v, "text", &lines));
    // Several texts are joined by newlines; a text holding a newline itself
    // would then not be told apart, so that is refused.
    for (size_t i = 0; i < lines.size() && lines.size() > 1; ++i)
      if (lines[i].find('\n') != std::string::npos)
        return Bad("value.text[" + std::to_string(i) + "] " + Show(lines[i]) +
                   " holds a newline, and the texts are stored joined by newlines");
    for (size_t i = 0; i < lines.size(); ++i) a->text += (i ? "\n" : "") + lines[i];
  } else if (type == "labels") {
    double start = 0, end = 0;
    ANNODB_RETURN_IF_ERROR(Number(v, "start", &start));
    ANNODB_RETURN_IF_ERROR(Number(v, "end", &end));
    for (double d : {start, end})
      if (d != std::floor(d) || d < 0 || d > UINT32_MAX)
        return Bad("value.start/end " + Num(start) + ", " + Num(end) +
                   " are not character offsets (labels on audio or video regions are not supported)");
    a->span_start = static_cast<uint32_t>(start);
    a->span_end = static_cast<uint32_t>(end);
    ANNODB_RETURN_IF_ERROR(CheckSpanText(v, asset.text, &a->span_start, &a->span_end));
    ANNODB_RETURN_IF_ERROR(RegionClass(v, type, &a->class_name));
  } else {
    ANNODB_RETURN_IF_ERROR(NeedSize(W, H));
    ANNODB_RETURN_IF_ERROR(RegionClass(v, type, &a->class_name));
    if (type == "rectanglelabels") {
      const Json* rot = Find(v, "rotation");
      if (rot && (!rot->is_number() || rot->get<double>() != 0))
        return Bad("rotated boxes are not supported (value.rotation " + Show(*rot) + ")");
      ANNODB_RETURN_IF_ERROR(ConvertBox(v, W, H, o.clamp_percent, a, clamped));
    } else if (type == "keypointlabels") {
      double x = 0, y = 0;
      ANNODB_RETURN_IF_ERROR(Number(v, "x", &x));
      ANNODB_RETURN_IF_ERROR(Number(v, "y", &y));
      ANNODB_RETURN_IF_ERROR(PercentPoint("point", x, y));
      a->points.push_back({x * W / 100, y * H / 100});
    } else {  // polygonlabels
      const Json* pts = Find(v, "points");
      if (!pts || !pts->is_array()) return Bad("value.points is " + (pts ? Show(*pts) : "missing") + ", not an array");
      for (size_t i = 0; i < pts->size(); ++i) {
        const Json& p = (*pts)[i];
        std::string what = "value.points[" + std::to_string(i) + "]";
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
          return Bad(what + " is " + Show(p) + ", not [x, y] percentages");
        double x = p[0].get<double>(), y = p[1].get<double>();
        if (!std::isfinite(x) || !std::isfinite(y)) return Bad(what + " is not finite");
        ANNODB_RETURN_IF_ERROR(PercentPoint(what, x, y));
        a->points.push_back({x * W / 100, y * H / 100});
      }
    }
  }
  // What is left to check (options, classes, spans within the text, polygon
  // shape) is the store's own validation, in the result's words.
  AssetInput sized = asset;
  sized.width = W, sized.height = H;
  return ValidateAnnotation(f, sized, "feature '" + f.name + "'", a);
}

}  // namespace annodb::ls
