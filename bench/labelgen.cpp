#include "labelgen.h"

#include <cstdio>

#include "datagen.h"

namespace bench {

const std::vector<std::string>& CategoryOptions() {
  static const std::vector<std::string> o = {"car", "truck", "bus", "bike", "person"};
  return o;
}

std::vector<annodb::FeatureDef> BenchOntology() {
  annodb::FeatureDef cat;
  cat.name = "category";
  cat.kind = annodb::FeatureKind::Classification;
  cat.options = CategoryOptions();
  annodb::FeatureDef obj;
  obj.name = "object";
  obj.kind = annodb::FeatureKind::BBox;
  obj.classes = CategoryOptions();
  return {cat, obj};
}

void MakeLabel(uint64_t seed, uint64_t asset_id, uint32_t member, GenLabel* out, bool with_json) {
  const std::vector<std::string>& opts = CategoryOptions();
  uint64_t truth = Mix64(seed ^ (asset_id * 0x9e37));
  uint64_t h = Mix64(truth ^ (member + 1));
  out->category = (h % 100) < 80 ? static_cast<int>(truth % opts.size()) : static_cast<int>((h >> 8) % opts.size());
  out->annotations.clear();
  out->json.clear();
  annodb::AnnotationInput c;
  c.feature = "category";
  c.kind = annodb::FeatureKind::Classification;
  c.value = opts[static_cast<size_t>(out->category)];
  out->annotations.push_back(c);
  if (with_json) out->json = "[{\"feature\":\"category\",\"value\":\"" + c.value + "\"}";
  int boxes = static_cast<int>((h >> 16) % 5);
  for (int b = 0; b < boxes; ++b) {
    uint64_t t = Mix64(truth + static_cast<uint64_t>(b) * 7919);  // the asset's b-th object
    uint64_t j = Mix64(h + static_cast<uint64_t>(b));               // this member's jitter
    annodb::AnnotationInput a;
    a.feature = "object";
    a.kind = annodb::FeatureKind::BBox;
    a.class_name = opts[t % opts.size()];
    a.x = static_cast<double>((t >> 8) % 480) + static_cast<double>(j % 9);
    a.y = static_cast<double>((t >> 20) % 360) + static_cast<double>((j >> 8) % 9);
    a.w = 20 + static_cast<double>((t >> 32) % 100) + static_cast<double>((j >> 16) % 5);
    a.h = 20 + static_cast<double>((t >> 44) % 80) + static_cast<double>((j >> 24) % 5);
    out->annotations.push_back(a);
    if (!with_json) continue;
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  ",{\"feature\":\"object\",\"class\":\"%s\",\"bbox\":{\"x\":%g,\"y\":%g,\"w\":%g,\"h\":%g}}",
                  a.class_name.c_str(), a.x, a.y, a.w, a.h);
    out->json += buf;
  }
  if (with_json) out->json += "]";
}

}  // namespace bench
