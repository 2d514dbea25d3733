// JsonWriter: compact JSON text appended straight to a buffer, with no
// document tree in between.
//
// Why it exists: the NDJSON export built every line as an nlohmann
// ordered_json tree and then serialised it; the tree (a heap allocation per
// key and value) was 81 % of the export's CPU (docs/PERFORMANCE.md). nlohmann
// has no streaming writer, so this one writes the text itself, in exactly the
// bytes nlohmann::json::dump() gives for the same value: the same string
// escapes (\" \\ \b \f \n \r \t, other control characters as \u00xx, UTF-8
// passed through), integers in decimal, and doubles through nlohmann's own
// shortest round-trip formatter (nlohmann::detail::to_chars, what dump()
// calls), non-finite doubles as null. So exports written before and after
// the change are byte-for-byte the same, and tests/labels/json_writer_test.cpp
// checks the writer against nlohmann's rendering.
//
// Use: the caller writes a well-formed sequence (Key only inside an object,
// every Begin matched by its End); the writer places the commas and colons.
// Nesting deeper than 64 levels is not supported (the export nests 6).
// Not thread-safe; one writer per buffer at a time.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace annodb {

// A growable byte buffer whose appends are a capacity check and a copy (the
// writer's hot path; std::string's append does more per call).
class JsonBuffer {
 public:
  std::string_view view() const { return {data_.get(), size_}; }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  void resize_down(size_t n) { size_ = n < size_ ? n : size_; }

  void Put(char c) {
    if (size_ == cap_) Grow(1);
    data_[size_++] = c;
  }
  void Put(const char* s, size_t n) {
    if (cap_ - size_ < n) Grow(n);
    std::memcpy(data_.get() + size_, s, n);
    size_ += n;
  }
  // Room for n more bytes: write through the pointer, then Commit.
  char* Reserve(size_t n) {
    if (cap_ - size_ < n) Grow(n);
    return data_.get() + size_;
  }
  void Commit(const char* end) { size_ = static_cast<size_t>(end - data_.get()); }

 private:
  void Grow(size_t n);

  std::unique_ptr<char[]> data_;
  size_t size_ = 0, cap_ = 0;
};

class JsonWriter {
 public:
  explicit JsonWriter(JsonBuffer* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  // An object member's name; the next call writes its value.
  JsonWriter& Key(std::string_view name) {
    BeforeValue();
    AppendQuoted(out_, name);
    out_->Put(':');
    has_element_ &= ~uint64_t{1};
    return *this;
  }
  // A name given as a string literal: written as is, not escaped, so it
  // must be printable ASCII without '"' or '\\' (all the export's names are).
  template <size_t N>
  JsonWriter& Key(const char (&name)[N]) {
    char* p = out_->Reserve(N + 3);
    if (has_element_ & 1) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, name, N - 1);
    p += N - 1;
    *p++ = '"';
    *p++ = ':';
    out_->Commit(p);
    has_element_ &= ~uint64_t{1};
    return *this;
  }

  JsonWriter& String(std::string_view s) {
    BeforeValue();
    AppendQuoted(out_, s);
    return *this;
  }
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v) {
    BeforeValue();
    if (v) out_->Put("true", 4);
    else out_->Put("false", 5);
    return *this;
  }

  // Key(name) followed by the value; the name is a string literal, as for
  // the literal Key above.
  template <size_t N>
  JsonWriter& Field(const char (&name)[N], std::string_view s) { return Key(name).String(s); }
  template <size_t N>
  JsonWriter& Field(const char (&name)[N], const char* s) { return Key(name).String(s); }
  template <size_t N>
  JsonWriter& FieldInt(const char (&name)[N], int64_t v) { return Key(name).Int(v); }
  template <size_t N>
  JsonWriter& FieldUint(const char (&name)[N], uint64_t v) { return Key(name).Uint(v); }
  template <size_t N>
  JsonWriter& FieldDouble(const char (&name)[N], double v) { return Key(name).Double(v); }
  template <size_t N>
  JsonWriter& FieldBool(const char (&name)[N], bool v) { return Key(name).Bool(v); }

  // Appends `s` as a JSON string literal (quotes and escapes) to `out`.
  static void AppendQuoted(JsonBuffer* out, std::string_view s);

 private:
  // Before a value or a container: a comma if the enclosing container
  // already holds an element.
  void BeforeValue() {
    if (has_element_ & 1) out_->Put(',');
    has_element_ |= 1;
  }
  JsonWriter& Open(char c) {
    BeforeValue();
    out_->Put(c);
    has_element_ <<= 1;  // the new container is empty
    return *this;
  }
  JsonWriter& Close(char c) {
    out_->Put(c);
    has_element_ >>= 1;
    return *this;
  }

  JsonBuffer* out_;
  // Bit i: the container i levels up from the innermost holds an element.
  // After Key the bit is cleared so the value writes no comma.
  uint64_t has_element_ = 0;
};

}  // namespace annodb
