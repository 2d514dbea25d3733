#include "annodb/status.h"

namespace annodb {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kNotFound: return "NotFound";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kAlreadyExists: return "AlreadyExists";
    case Code::kCorruption: return "Corruption";
    case Code::kIOError: return "IOError";
    case Code::kBusy: return "Busy";
    case Code::kIncompatible: return "Incompatible";
    case Code::kConflict: return "Conflict";
    case Code::kAborted: return "Aborted";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

Status Status::NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
Status Status::InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
Status Status::AlreadyExists(std::string msg) { return Status(Code::kAlreadyExists, std::move(msg)); }
Status Status::Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
Status Status::IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
Status Status::Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
Status Status::Incompatible(std::string msg) { return Status(Code::kIncompatible, std::move(msg)); }
Status Status::Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
Status Status::Aborted(std::string msg) { return Status(Code::kAborted, std::move(msg)); }
Status Status::Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = CodeName(code_);
  s += ": ";
  s += msg_;
  return s;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += msg_;
  return Status(code_, std::move(m));
}

}  // namespace annodb
