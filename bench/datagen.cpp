#include "datagen.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <stdexcept>

namespace bench {
namespace {

constexpr const char* kCameras[] = {"cam-01", "cam-02", "cam-03", "cam-07", "cam-12", "dashcam-front",
                                    "dashcam-rear", "drone-a"};
constexpr const char* kSites[] = {"berlin-3", "lyon-1", "m\xc3\xbcnchen-2", "osaka-4", "porto-1", "quebec-9",
                                  "s\xc3\xa3o-paulo-2", "tallinn-1"};
constexpr const char* kWeather[] = {"clear", "rain", "fog", "snow", "overcast"};
constexpr const char* kHints[] = {"pedestrian crossing", "night glare", "occluded", "blurry", "crowded scene"};
constexpr const char* kMedia[] = {"image/jpeg", "image/png", "image/webp"};
constexpr const char* kExt[] = {"jpg", "png", "webp"};
constexpr uint32_t kRes[][2] = {{640, 480}, {1280, 720}, {1920, 1080}, {1024, 768}, {3840, 2160}};

template <size_t N>
const char* Pick(const char* const (&arr)[N], uint64_t h) {
  return arr[h % N];
}

void AppendF(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void AppendF(std::string* out, const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out->append(buf, static_cast<size_t>(n) < sizeof buf ? static_cast<size_t>(n) : sizeof buf - 1);
}

// The 128-bit content hash of row i: about 2% of rows repeat row i-17's hash.
void ContentHash(uint64_t seed, uint64_t i, uint64_t* hi, uint64_t* lo) {
  uint64_t src = i;
  if (i >= 17 && Mix64(seed ^ (i * 7919)) % 50 == 0) src = i - 17;
  *hi = Mix64(seed * 31 + src * 2 + 1);
  *lo = Mix64(seed * 37 + src * 2 + 2);
}

}  // namespace

std::string ExternalId(uint64_t seed, uint64_t i, bool sequential) {
  char buf[64];
  if (sequential) {
    std::snprintf(buf, sizeof buf, "img-%09" PRIu64, i);
    return buf;
  }
  // Mix64 is a bijection, so a = Mix64(i ^ k) is unique per i.
  uint64_t a = Mix64(i ^ (seed * 0x2545F4914F6CDD1DULL));
  uint64_t b = Mix64(a + seed);
  std::snprintf(buf, sizeof buf, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64, a >> 32,
                (a >> 16) & 0xffff, a & 0xfff, (b >> 48) | 0x8000, b & uint64_t{0xffffffffffff});
  return buf;
}

void AppendRowJson(uint64_t seed, uint64_t i, bool sequential, std::string* out) {
  uint64_t h = Mix64(seed ^ Mix64(i + 1));
  uint64_t h2 = Mix64(h);
  std::string ext = ExternalId(seed, i, sequential);
  int media = (h % 100) < 80 ? 0 : ((h % 100) < 95 ? 1 : 2);
  const uint32_t* res = kRes[(h >> 8) % 5];
  const char* site = Pick(kSites, h >> 16);
  uint64_t hash_hi, hash_lo;
  ContentHash(seed, i, &hash_hi, &hash_lo);

  out->append("{\"external_id\":\"").append(ext);
  AppendF(out, "\",\"uri\":\"s3://annotation-data/%s/%04u/%02u/%s.%s\"", site, 2020 + static_cast<unsigned>(h2 % 5),
          1 + static_cast<unsigned>((h2 >> 4) % 12), ext.c_str(), kExt[media]);
  AppendF(out, ",\"media_type\":\"%s\",\"width\":%u,\"height\":%u,\"byte_size\":%" PRIu64, kMedia[media], res[0],
          res[1], 20000 + (h2 >> 8) % 4980000);
  AppendF(out, ",\"content_hash\":\"%016" PRIx64 "%016" PRIx64 "\"", hash_hi, hash_lo);
  // 5 required-shape keys plus 0..5 optional ones: 5 to 10 keys of mixed types.
  AppendF(out, ",\"metadata\":{\"camera\":\"%s\",\"site\":\"%s\",\"night\":%s,\"lux\":%.2f,\"frame\":%" PRIu64,
          Pick(kCameras, h >> 24), site, ((h >> 32) & 3) == 0 ? "true" : "false",
          static_cast<double>((h2 >> 20) % 100000) / 100.0, i * 3 + (h2 >> 40) % 3);
  int extra = static_cast<int>((h >> 40) % 6);
  if (extra > 0) AppendF(out, ",\"weather\":\"%s\"", Pick(kWeather, h >> 44));
  if (extra > 1) AppendF(out, ",\"speed_kmh\":%.1f", static_cast<double>((h2 >> 12) % 1300) / 10.0);
  if (extra > 2) AppendF(out, ",\"reviewed\":%s", ((h2 >> 50) & 1) ? "true" : "false");
  if (extra > 3) AppendF(out, ",\"batch\":%" PRIu64, i / 5000);
  if (extra > 4) AppendF(out, ",\"hint\":\"%s\"", Pick(kHints, h2 >> 52));
  out->append("}}\n");
}

uint64_t WriteJsonl(const std::string& path, uint64_t seed, uint64_t n, bool sequential) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  std::string buf;
  buf.reserve(1 << 20);
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i) {
    AppendRowJson(seed, i, sequential, &buf);
    if (buf.size() > (1 << 20) - 1024 || i + 1 == n) {
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
        std::fclose(f);
        throw std::runtime_error("short write to " + path);
      }
      total += buf.size();
      buf.clear();
    }
  }
  if (std::fclose(f) != 0) throw std::runtime_error("cannot close " + path);
  return total;
}

}  // namespace bench
