#include "annodb/keys.h"

namespace annodb {

bool DecodeStr(std::string_view key, size_t* pos, std::string* out) {
  out->clear();
  size_t i = *pos;
  while (i < key.size()) {
    char c = key[i];
    if (c != '\0') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= key.size()) return false;
    char next = key[i + 1];
    if (next == '\xff') {
      out->push_back('\0');
      i += 2;
    } else if (next == '\x01') {
      *pos = i + 2;
      return true;
    } else {
      return false;
    }
  }
  return false;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace annodb
