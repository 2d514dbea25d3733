// Paging of every listing command: the --after/--limit options and the one
// way a page that was cut says so (docs/cli.md, "Paging").
//
// A listing prints at most `limit` rows. When rows remain, it ends with a
// marker naming the cursor of the next page:
//   people:  (more: --after 17)
//   --json:  {"next":"17"}        (the last line; record lines never have a "next" key)
// and `--after 17` continues exactly after the last row printed: no row twice,
// none skipped (for rows that do not change in between).
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli.h"

namespace annodb::cli {

struct Page {
  std::string after;        // --after: the cursor printed by the previous page ("" = from the start)
  size_t limit = 0;         // --limit N (0 = not given)
  size_t default_limit = 0;  // the command's page size without --limit (0 = everything)
  std::string option = "--after";  // the option that takes the cursor (log: --since)

  // Rows per page: --limit, else the default; 0 = no limit.
  size_t Size() const { return limit ? limit : default_limit; }
  // --after as an id (0 when not given); UsageError when it is not one.
  uint64_t AfterId() const;
};

// What the cursor of a listing is.
enum class CursorKind { kId, kText };

// Adds `--after CURSOR` (unless the command names its cursor option itself,
// like log's --since) and `--limit N` (1..1000000000) to `cmd`, bound to *page.
// `cursor` says what the cursor is ("label id"); an id cursor that is not a
// number is refused while the arguments are parsed (exit 2), so AfterId()
// never fails later, inside a transaction.
void AddPageOptions(CLI::App* cmd, Page* page, size_t default_limit, const std::string& cursor,
                    CursorKind kind = CursorKind::kId);

// Prints the end-of-page marker when `next` (the cursor of the next page)
// is not empty; nothing otherwise.
void PrintMore(const Context& ctx, const Page& page, const std::string& next);

// For lists an engine call returns whole: drops the rows up to the cursor
// (`after_cursor(row)` is true for the rows that come after it, in list
// order), keeps at most page.Size(), and returns the next cursor
// (cursor_of(last row kept)) when rows were left out, else "".
template <class T>
std::string TakePage(std::vector<T>* rows, const Page& page, const std::function<bool(const T&)>& after_cursor,
                     const std::function<std::string(const T&)>& cursor_of) {
  size_t start = 0;
  if (!page.after.empty()) {
    while (start < rows->size() && !after_cursor((*rows)[start])) ++start;
  }
  rows->erase(rows->begin(), rows->begin() + static_cast<std::ptrdiff_t>(start));
  const size_t n = page.Size();
  if (n == 0 || rows->size() <= n) return std::string();
  rows->erase(rows->begin() + static_cast<std::ptrdiff_t>(n), rows->end());
  return cursor_of(rows->back());
}

// TakePage for lists in ascending id order with the id as cursor.
template <class T>
std::string TakeIdPage(std::vector<T>* rows, const Page& page, const std::function<uint64_t(const T&)>& id_of) {
  const uint64_t after = page.AfterId();
  return TakePage<T>(
      rows, page, [&](const T& r) { return id_of(r) > after; },
      [&](const T& r) { return std::to_string(id_of(r)); });
}

}  // namespace annodb::cli
