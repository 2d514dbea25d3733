// annodb::Status: the result of every engine operation that can fail.
//
// Modelled on LevelDB's Status: an operation returns a Status instead of
// throwing; Status::OK() is cheap (no allocation), an error carries a code
// and a human-readable message. The engine never lets an exception escape a
// public function. Thread safety: a Status is a value; distinct objects may be
// used from different threads freely.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace annodb {

// Stable numeric codes; the C ABI (annodb.h) exposes the same numbers.
enum class Code : int {
  kOk = 0,
  kNotFound = 1,         // no such record, dataset, snapshot, ...
  kInvalidArgument = 2,  // bad input from the caller: the store is unchanged
  kAlreadyExists = 3,    // a unique name or key is taken
  kCorruption = 4,       // a checksum, a record or an index is wrong on disk
  kIOError = 5,          // the operating system or LMDB refused an operation
  kBusy = 6,             // the store is already open in this process, or locked
  kIncompatible = 7,     // the store's format is newer than this build, or unmigratable
  kConflict = 8,         // a precondition on the current state failed (stale version, lease)
  kAborted = 9,          // the operation was cancelled
  kInternal = 10,        // a bug in annodb: please report it
};

const char* CodeName(Code code);

class Status {
 public:
  Status() = default;  // OK
  static Status OK() { return Status(); }
  // Error factories, defined out of line: errors are the slow path, and
  // inlining the string moves trips GCC 12's false -Warray-bounds reports.
  static Status NotFound(std::string msg);
  static Status InvalidArgument(std::string msg);
  static Status AlreadyExists(std::string msg);
  static Status Corruption(std::string msg);
  static Status IOError(std::string msg);
  static Status Busy(std::string msg);
  static Status Incompatible(std::string msg);
  static Status Conflict(std::string msg);
  static Status Aborted(std::string msg);
  static Status Internal(std::string msg);

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }

  // "NotFound: asset 42 does not exist"
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  Status(Code c, std::string msg) : code_(c), msg_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string msg_;
};

// Propagate a non-OK status to the caller.
#define ANNODB_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::annodb::Status _annodb_s = (expr);        \
    if (!_annodb_s.ok()) return _annodb_s;      \
  } while (0)

}  // namespace annodb
