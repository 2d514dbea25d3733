// COCO run-length encoding of binary masks, compressed string form.
//
// Format (as defined by the COCO API's maskApi.c rleToString/rleFrString,
// re-implemented here from its description): runs alternate 0s and 1s in
// column-major order, starting with a run of 0s (possibly empty). Each run
// is written as a variable-length signed number in 5-bit groups, each group
// +48 as a printable character, bit 0x20 meaning "more groups follow"; from
// the third run on, the value written is the difference from the run two
// before.
#include <string>
#include <vector>

#include "annodb/labels.h"

namespace annodb {

Status DecodeRle(std::string_view s, uint32_t height, uint32_t width, std::vector<uint32_t>* runs) {
  runs->clear();
  if (height == 0 || width == 0) return Status::InvalidArgument("mask size must be positive");
  if (static_cast<uint64_t>(height) * width > (uint64_t{1} << 32))
    return Status::InvalidArgument("mask is larger than 2^32 pixels");
  size_t p = 0;
  std::vector<int64_t> vals;
  while (p < s.size()) {
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p >= s.size()) return Status::InvalidArgument("RLE counts end in the middle of a number");
      int c = static_cast<unsigned char>(s[p]) - 48;
      if (c < 0 || c > 63) return Status::InvalidArgument("RLE counts hold a character outside the COCO alphabet");
      if (k >= 7) return Status::InvalidArgument("RLE counts hold a number that is too long");
      x |= static_cast<int64_t>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10)) x |= -(int64_t{1} << (5 * k));
    }
    if (vals.size() > 2) x += vals[vals.size() - 2];
    vals.push_back(x);
  }
  uint64_t total = 0;
  for (int64_t v : vals) {
    if (v < 0) return Status::InvalidArgument("RLE counts decode to a negative run");
    total += static_cast<uint64_t>(v);
    runs->push_back(static_cast<uint32_t>(v));
  }
  if (total != static_cast<uint64_t>(height) * width)
    return Status::InvalidArgument("RLE runs cover " + std::to_string(total) + " pixels, the mask has " +
                                   std::to_string(static_cast<uint64_t>(height) * width));
  return Status::OK();
}

std::string EncodeRle(const std::vector<uint32_t>& runs) {
  std::string out;
  for (size_t i = 0; i < runs.size(); ++i) {
    int64_t x = runs[i];
    if (i > 2) x -= runs[i - 2];
    bool more = true;
    while (more) {
      int c = static_cast<int>(x & 0x1f);
      x >>= 5;
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      out.push_back(static_cast<char>(c + 48));
    }
  }
  return out;
}

}  // namespace annodb
