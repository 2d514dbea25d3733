#include "jsonl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace bench {

namespace {
constexpr size_t kChunk = size_t{4} << 20;

[[noreturn]] void Fail(uint64_t line_no, const std::string& what) {
  throw std::runtime_error("line " + std::to_string(line_no) + ": " + what);
}

template <typename T>
T Get(simdjson::simdjson_result<T>&& r, uint64_t line_no, const char* field) {
  T v;
  auto err = std::move(r).get(v);
  if (err) Fail(line_no, std::string(field) + ": " + simdjson::error_message(err));
  return v;
}

}  // namespace

LineReader::LineReader(const std::string& path) : buf_(kChunk + simdjson::SIMDJSON_PADDING) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineReader::Fill() {
  if (eof_) return false;
  if (pos_ > 0) {  // keep the partial line, move it to the front
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ + simdjson::SIMDJSON_PADDING >= buf_.size()) buf_.resize(buf_.size() * 2);  // a line longer than the buffer
  size_t room = buf_.size() - simdjson::SIMDJSON_PADDING - end_;
  ssize_t n;
  do {
    n = ::read(fd_, buf_.data() + end_, room);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw std::runtime_error(std::string("read error: ") + std::strerror(errno));
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(n);
  return true;
}

bool LineReader::Next(std::string_view* line, size_t* capacity) {
  for (;;) {
    const char* start = buf_.data() + pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    if (nl == nullptr && !eof_) {
      if (Fill()) continue;
      nl = nullptr;
    }
    start = buf_.data() + pos_;
    size_t len = nl ? static_cast<size_t>(nl - start) : end_ - pos_;
    if (!nl && len == 0) return false;
    ++line_no_;
    pos_ += len + (nl ? 1 : 0);
    if (len > 0 && start[len - 1] == '\r') --len;
    if (len == 0) continue;
    *line = std::string_view(start, len);
    *capacity = static_cast<size_t>(buf_.data() + buf_.size() - start);
    return true;
  }
}

void ParseAssetLine(simdjson::ondemand::parser& parser, std::string_view line, size_t capacity, MetaMode mode,
                    uint64_t line_no, ParsedAsset* out) {
  using namespace simdjson;
  annodb::AssetInput& in = out->in;
  in.external_id.clear();
  in.uri.clear();
  in.media_type.clear();
  in.width = in.height = 0;
  in.duration_ms = in.byte_size = 0;
  in.content_hash.reset();
  in.metadata.clear();
  in.embedding.clear();
  in.text.clear();
  out->metadata_json = {};

  ondemand::document doc = Get(parser.iterate(padded_string_view(line.data(), line.size(), capacity)), line_no, "line");
  ondemand::object obj = Get(doc.get_object(), line_no, "line");
  for (auto field_r : obj) {
    ondemand::field field = Get(std::move(field_r), line_no, "field");
    std::string_view key = Get(field.unescaped_key(), line_no, "key");
    ondemand::value val = field.value();
    if (key == "external_id") {
      in.external_id = Get(val.get_string(), line_no, "external_id");
    } else if (key == "uri") {
      in.uri = Get(val.get_string(), line_no, "uri");
    } else if (key == "media_type") {
      in.media_type = Get(val.get_string(), line_no, "media_type");
    } else if (key == "width") {
      in.width = static_cast<uint32_t>(Get(val.get_uint64(), line_no, "width"));
    } else if (key == "height") {
      in.height = static_cast<uint32_t>(Get(val.get_uint64(), line_no, "height"));
    } else if (key == "duration_ms") {
      in.duration_ms = Get(val.get_uint64(), line_no, "duration_ms");
    } else if (key == "byte_size") {
      in.byte_size = Get(val.get_uint64(), line_no, "byte_size");
    } else if (key == "content_hash") {
      annodb::Hash128 h;
      if (!annodb::Hash128::FromHex(Get(val.get_string(), line_no, "content_hash"), &h))
        Fail(line_no, "content_hash is not 32 hex digits");
      in.content_hash = h;
    } else if (key == "text") {
      in.text = Get(val.get_string(), line_no, "text");
    } else if (key == "embedding") {
      for (auto x : Get(val.get_array(), line_no, "embedding"))
        in.embedding.push_back(static_cast<float>(Get(std::move(x).get_double(), line_no, "embedding")));
    } else if (key == "metadata") {
      ondemand::object meta = Get(val.get_object(), line_no, "metadata");
      if (mode == MetaMode::kRawJson) {
        out->metadata_json = Get(meta.raw_json(), line_no, "metadata");
        continue;
      }
      for (auto mf_r : meta) {
        ondemand::field mf = Get(std::move(mf_r), line_no, "metadata");
        annodb::MetaEntry& e = in.metadata.emplace_back();
        e.key = Get(mf.unescaped_key(), line_no, "metadata key");
        ondemand::value mv = mf.value();
        switch (Get(mv.type(), line_no, "metadata value")) {
          case ondemand::json_type::string:
            e.kind = annodb::MetaKind::kString;
            e.s = Get(mv.get_string(), line_no, "metadata value");
            break;
          case ondemand::json_type::boolean:
            e.kind = annodb::MetaKind::kBool;
            e.b = Get(mv.get_bool(), line_no, "metadata value");
            break;
          case ondemand::json_type::number:
            if (Get(mv.get_number_type(), line_no, "metadata value") == ondemand::number_type::floating_point_number) {
              e.kind = annodb::MetaKind::kFloat;
              e.f = Get(mv.get_double(), line_no, "metadata value");
            } else {
              e.kind = annodb::MetaKind::kInt;
              e.i = Get(mv.get_int64(), line_no, "metadata value");
            }
            break;
          default:
            Fail(line_no, "metadata." + e.key + " has an unsupported type in this benchmark");
        }
      }
    } else {
      Fail(line_no, "unknown key '" + std::string(key) + "'");
    }
  }
  if (in.external_id.empty()) Fail(line_no, "external_id is required");
  if (in.uri.empty()) Fail(line_no, "uri is required");
}

}  // namespace bench
