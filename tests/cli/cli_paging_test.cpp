// Paging of every listing command (issue 11, item 10): a list longer than
// --limit says it was cut, in both output forms, and --after the cursor it
// printed continues exactly where the page ended (no row twice, none left
// out), until a page that is not cut.
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>
#include <sstream>

#include "cli_util.h"

using namespace annodb::test;
using nlohmann::json;

namespace {

const char* kOntology = R"({"features": [
  {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]}]})";

std::string Label(int asset, const char* author, const char* value) {
  char ext[32];
  std::snprintf(ext, sizeof ext, "img-%04d", asset);
  return std::string(R"({"project": "street", "dataset": "cams", "asset": ")") + ext + R"(", "author": ")" + author +
         R"(", "source": "human", "status": "submitted", "annotations": [{"feature": "weather", "value": ")" + value +
         "\"}]}\n";
}

// 7 assets with 2 labels each, 3 datasets, 2 projects, 4 members, 3
// snapshots, 5 mentions of alice (5 threads on one asset), 5 leases of bob.
struct Fixture {
  TempDir dir{"cli-paging"};
  CliStore s{dir.sub("store")};
  Fixture() {
    s.Ok({"init"});
    WriteFile(dir.sub("assets.jsonl"), MakeJsonl(7));
    s.Ok({"import", "--dataset", "cams", dir.sub("assets.jsonl")});
    s.Ok({"dataset", "create", "extra1"});
    s.Ok({"dataset", "create", "extra2"});
    WriteFile(dir.sub("ontology.json"), kOntology);
    s.Ok({"project", "create", "street", "--ontology", dir.sub("ontology.json"), "--dataset", "cams"});
    s.Ok({"project", "create", "queue", "--ontology", dir.sub("ontology.json"), "--dataset", "cams"});
    for (const char* m : {"alice", "bob", "carol", "dave"}) s.Ok({"member", "add", m});
    std::string labels;
    for (int a = 1; a <= 7; ++a) labels += Label(a, "alice", "sunny") + Label(a, "carol", a % 2 ? "rain" : "sunny");
    WriteFile(dir.sub("labels.jsonl"), labels);
    s.Ok({"label", "import", dir.sub("labels.jsonl")});
    for (const char* n : {"s1", "s2", "s3"}) s.Ok({"snapshot", "create", n});
    for (int i = 0; i < 5; ++i)
      s.Ok({"comment", "add", "--asset", "1", "--text", "look @alice " + std::to_string(i), "--as", "bob"});
    s.Ok({"queue", "add", "--project", "queue", "--dataset", "cams"});
    s.Ok({"lease", "--project", "queue", "--member", "bob", "-n", "5"});
  }
};

// Splits --json output into record lines and the end-of-page marker.
struct JsonPage {
  std::vector<json> rows;
  std::string next;  // "" when not cut
};

JsonPage ParsePage(const std::string& out) {
  JsonPage p;
  std::istringstream in(out);
  std::string line;
  std::vector<json> all;
  while (std::getline(in, line))
    if (!line.empty()) all.push_back(json::parse(line));
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].is_object() && all[i].size() == 1 && all[i].contains("next")) {
      REQUIRE(i + 1 == all.size());  // the marker is the last line
      p.next = all[i]["next"].get<std::string>();
    } else {
      p.rows.push_back(all[i]);
    }
  }
  return p;
}

// Runs `args` whole, then in pages of `limit` rows following the cursors;
// checks each cut page is full and says so, and that the pages add up to the
// whole list in the same order. `key` names a row (for the messages).
// Returns the number of pages.
size_t CheckPaging(const CliStore& s, std::vector<std::string> args, size_t limit, size_t expected_rows,
                   const std::string& key, const std::string& cursor_option = "--after") {
  INFO("annodb " << args[0] << (args.size() > 1 ? " " + args[1] : std::string()));
  std::vector<std::string> whole_args = args;
  whole_args.push_back("--json");
  JsonPage whole = ParsePage(s.Ok(whole_args));
  CHECK(whole.next.empty());
  REQUIRE(whole.rows.size() == expected_rows);

  std::vector<json> paged;
  std::string cursor;
  size_t pages = 0;
  for (;;) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--limit", std::to_string(limit), "--json"});
    if (!cursor.empty()) a.insert(a.end(), {cursor_option, cursor});
    JsonPage p = ParsePage(s.Ok(a));
    ++pages;
    REQUIRE(pages <= expected_rows + 1);
    paged.insert(paged.end(), p.rows.begin(), p.rows.end());
    if (p.next.empty()) {
      CHECK(p.rows.size() <= limit);
      break;
    }
    CHECK(p.rows.size() == limit);
    cursor = p.next;
  }
  REQUIRE(paged.size() == whole.rows.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < paged.size(); ++i) {
    INFO("row " << i << ": " << paged[i][key].dump());
    CHECK(paged[i] == whole.rows[i]);
    CHECK(seen.insert(paged[i].dump()).second);
  }

  // People see the same cut: the last line names the cursor.
  std::vector<std::string> human = args;
  human.insert(human.end(), {"--limit", std::to_string(limit)});
  std::string out = s.Ok(human);
  if (expected_rows > limit) {
    CHECK(out.find("\n(more: " + cursor_option + " ") != std::string::npos);
    CHECK(out.substr(out.size() - 1) == "\n");
  } else {
    CHECK(out.find("(more: ") == std::string::npos);
  }
  return pages;
}

}  // namespace

TEST_CASE("cli paging: consensus, label list and asset list") {
  Fixture f;
  // 7 assets with views: pages of 3, 3, 1.
  CHECK(CheckPaging(f.s, {"consensus", "--project", "street"}, 3, 7, "asset_id") == 3);
  // --below: assets 1, 3, 5, 7 disagree (score 0), lowest first.
  CHECK(CheckPaging(f.s, {"consensus", "--project", "street", "--below", "0.5"}, 3, 4, "asset_id") == 2);
  // 14 labels: 5 pages of 3 (the last one holds 2); filtered by author: 7.
  CHECK(CheckPaging(f.s, {"label", "list", "--project", "street"}, 3, 14, "id") == 5);
  CHECK(CheckPaging(f.s, {"label", "list", "--project", "street", "--author", "carol"}, 2, 7, "id") == 4);
  // Exactly full: no marker, one page.
  CHECK(CheckPaging(f.s, {"label", "list", "--project", "street", "--author", "carol"}, 7, 7, "id") == 1);
  CHECK(CheckPaging(f.s, {"list", "--dataset", "cams"}, 2, 7, "external_id") == 4);

  // The default page of `label list` is 100 and of `consensus` 1000: a
  // default page that is cut says so too (here with 14 labels and a page of
  // 100 it is not).
  CHECK(f.s.Ok({"label", "list", "--project", "street"}).find("(more:") == std::string::npos);

  // Bad cursors and limits are usage errors.
  RunResult bad = f.s.Run({"consensus", "--project", "street", "--after", "x"});
  CHECK(bad.code == 2);
  CHECK(IsOneLineError(bad.err));
  CHECK(f.s.Run({"label", "list", "--project", "street", "--limit", "0"}).code == 2);
  RunResult asset_page = f.s.Run({"consensus", "--project", "street", "--asset", "1", "--limit", "2"});
  CHECK(asset_page.code == 2);  // (this and the next once aborted: a CliError thrown during parsing)
  CHECK(IsOneLineError(asset_page.err));
  CHECK(f.s.Run({"consensus", "--project", "street", "--asset", "1", "--below", "0.5"}).code == 2);
  // A --below cursor that has no view in the project.
  RunResult gone = f.s.Run({"consensus", "--project", "street", "--below", "0.5", "--after", "999"});
  CHECK(gone.code == 1);
  CHECK(IsOneLineError(gone.err));
}

TEST_CASE("cli paging: log, datasets, projects, members, snapshots") {
  Fixture f;
  // The changefeed's cursor option is --since.
  const size_t commits = f.s.JsonLines({"log"}).size();
  REQUIRE(commits > 8);
  CHECK(CheckPaging(f.s, {"log"}, 4, commits, "sequence", "--since") == (commits + 3) / 4);
  CHECK(CheckPaging(f.s, {"dataset", "list"}, 2, 3, "id") == 2);
  CHECK(CheckPaging(f.s, {"project", "list"}, 1, 2, "id") == 2);
  CHECK(CheckPaging(f.s, {"member", "list"}, 3, 4, "id") == 2);
  CHECK(CheckPaging(f.s, {"snapshot", "list"}, 2, 3, "name") == 2);
}

TEST_CASE("cli paging: comment list, inbox, leases") {
  Fixture f;
  CHECK(CheckPaging(f.s, {"comment", "list", "--asset", "1"}, 2, 5, "id") == 3);
  // Newest first.
  CHECK(CheckPaging(f.s, {"inbox", "--member", "alice"}, 2, 5, "id") == 3);
  CHECK(CheckPaging(f.s, {"leases", "--member", "bob"}, 2, 5, "lease") == 3);
  // --mark-read marks only the page listed.
  f.s.Ok({"inbox", "--member", "alice", "--limit", "2", "--mark-read"});
  CHECK(f.s.JsonLines({"inbox", "--member", "alice", "--unread"}).size() == 3);
}
