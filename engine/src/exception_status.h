// The Status of an exception caught by a safety net.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "annodb/status.h"

namespace annodb {

// Expected failures are Statuses, so an exception reaching a safety net
// (a read or write transaction, an import, a statistic) is a bug. Its what()
// is a library's text ("[json.exception...]", "basic_filebuf::underflow"),
// meaningless to a user, so the message names only where it happened.
inline Status ExceptionStatus(std::string_view where, const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) return Status::IOError("out of memory in " + std::string(where));
  return Status::Internal("internal error in " + std::string(where) + ": an unexpected exception (a bug in annodb)");
}

}  // namespace annodb
