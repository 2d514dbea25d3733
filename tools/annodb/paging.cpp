// Paging of every listing command (paging.h).
#include "paging.h"

#include "output.h"

namespace annodb::cli {

namespace {

// The cursor as a shell word: digits as they are, anything else quoted.
std::string ShellWord(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

uint64_t Page::AfterId() const {
  if (after.empty()) return 0;
  uint64_t id = 0;
  if (!ParseU64(after, &id)) UsageError(option + " '" + after + "' is not an id (a non-negative integer)");
  return id;
}

void AddPageOptions(CLI::App* cmd, Page* page, size_t default_limit, const std::string& cursor, CursorKind kind) {
  page->default_limit = default_limit;
  if (page->option == "--after") {
    CLI::Option* o =
        cmd->add_option("--after", page->after, "Continue after this " + cursor + " (the cursor a cut page ends with)")
            ->type_name(kind == CursorKind::kId ? "ID" : "CURSOR");
    if (kind == CursorKind::kId) o->check(UnsignedArg());
  }
  std::string limit_help = default_limit ? "At most N rows per page (default " + std::to_string(default_limit) + ")"
                                         : std::string("At most N rows per page (default: all)");
  cmd->add_option("--limit", page->limit, limit_help)->type_name("N")->check(UnsignedArg(1, 1000000000));
}

void PrintMore(const Context& ctx, const Page& page, const std::string& next) {
  if (next.empty()) return;
  if (ctx.json()) PrintJson({{"next", next}});
  else PrintLine("(more: " + page.option + " " + ShellWord(next) + ")");
}

}  // namespace annodb::cli
