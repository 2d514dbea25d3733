// The consensus commands end to end through the real binary: consensus,
// --below, member agreement, agreement metrics, aggregate (and --store), and
// their refusals.
#include <catch2/catch.hpp>

#include <cmath>

#include "cli_util.h"

using namespace annodb::test;
using nlohmann::json;

namespace {
const char* kOntology = R"({"features": [
  {"name": "weather", "kind": "classification", "options": ["sunny", "rain", "snow"]},
  {"name": "vehicle", "kind": "bbox", "classes": ["car", "truck"]}]})";

std::string Line(const char* asset, const char* author, const char* value) {
  return std::string(R"({"project": "street", "dataset": "cams", "asset": ")") + asset + R"(", "author": ")" + author +
         R"(", "source": "human", "status": "submitted", "annotations": [{"feature": "weather", "value": ")" + value +
         "\"}]}\n";
}

struct Fixture {
  TempDir dir{"cli-consensus"};
  CliStore s{dir.sub("store")};
  Fixture() {
    s.Ok({"init"});
    WriteFile(dir.sub("assets.jsonl"), MakeJsonl(3));
    s.Ok({"import", "--dataset", "cams", dir.sub("assets.jsonl")});
    WriteFile(dir.sub("ontology.json"), kOntology);
    s.Ok({"project", "create", "street", "--ontology", dir.sub("ontology.json"), "--dataset", "cams"});
    for (const char* m : {"alice", "bob", "carol"}) s.Ok({"member", "add", m});
    // img-0001: 1/3; img-0002: 1; img-0003: 0.
    std::string labels = Line("img-0001", "alice", "sunny") + Line("img-0001", "bob", "sunny") +
                         Line("img-0001", "carol", "rain") + Line("img-0002", "alice", "rain") +
                         Line("img-0002", "bob", "rain") + Line("img-0002", "carol", "rain") +
                         Line("img-0003", "alice", "snow") + Line("img-0003", "bob", "sunny") +
                         Line("img-0003", "carol", "rain");
    WriteFile(dir.sub("labels.jsonl"), labels);
    s.Ok({"label", "import", dir.sub("labels.jsonl")});
  }
};
}  // namespace

TEST_CASE("cli: consensus views and member agreement") {
  Fixture f;
  auto all = f.s.JsonLines({"consensus", "--project", "street", "--json"});
  REQUIRE(all.size() == 3);
  CHECK(all[0]["external_id"] == "img-0001");
  CHECK(all[0]["score"].get<double>() == Approx(1.0 / 3));
  CHECK(all[0]["labels"] == 3);
  CHECK(all[0]["features"]["weather"]["pairs"] == 3);
  auto below = f.s.JsonLines({"consensus", "--project", "street", "--below", "0.5", "--json"});
  REQUIRE(below.size() == 2);
  CHECK(below[0]["external_id"] == "img-0003");
  CHECK(below[1]["external_id"] == "img-0001");
  json one = f.s.Json({"consensus", "--project", "street", "--asset", "img-0002", "--json"});
  CHECK(one["score"].get<double>() == 1.0);
  CHECK(f.s.Ok({"consensus", "--project", "street"}).find("img-0003") != std::string::npos);

  auto members = f.s.JsonLines({"member", "agreement", "--project", "street", "--json"});
  REQUIRE(members.size() == 3);
  CHECK(members[0]["member"] == "alice");
  CHECK(members[0]["labels"] == 3);
  // alice: pairs on img-0001 (1, 0), img-0002 (1, 1), img-0003 (0, 0): 3/6.
  CHECK(members[0]["agreement"].get<double>() == Approx(0.5));
  CHECK(members[0]["gold_agreement"].is_null());

  CHECK(f.s.Ok({"consensus", "--project", "street", "--rebuild"}).find("rebuilt") != std::string::npos);
  CHECK(f.s.Run({"verify"}).code == 0);
}

TEST_CASE("cli: agreement metrics") {
  Fixture f;
  json a = f.s.Json({"agreement", "--project", "street", "--metric", "krippendorff_alpha", "--json"});
  CHECK(a["metric"] == "krippendorff_alpha");
  CHECK(a["feature"] == "weather");
  // Hand-computed: n = 9, off-diagonal coincidences 5, sum n_c^2 = 35:
  // alpha = 1 - 8 * 5 / (81 - 35) = 1 - 40/46.
  CHECK(a["value"].get<double>() == Approx(1 - 40.0 / 46));
  CHECK(a["units"] == 3);
  CHECK(a["labels"] == 9);
  json fl = f.s.Json({"agreement", "--project", "street", "--metric", "fleiss_kappa", "--feature", "weather", "--json"});
  CHECK(fl["units"] == 3);
  json pa = f.s.Json({"agreement", "--project", "street", "--metric", "percent_agreement", "--json"});
  CHECK(pa["value"].get<double>() == Approx((1.0 / 3 + 1 + 0) / 3));
  json ck = f.s.Json({"agreement", "--project", "street", "--metric", "cohen_kappa", "--members", "alice,bob",
                      "--weights", "linear", "--json"});
  CHECK(ck["weights"] == "linear");
  CHECK(ck["units"] == 3);
  // Refusals: usage errors exit 2, engine errors 1, one line on stderr.
  RunResult r = f.s.Run({"agreement", "--project", "street", "--metric", "nope"});
  CHECK(r.code == 2);
  CHECK(r.err.find("--metric") != std::string::npos);
  CHECK(f.s.Run({"agreement", "--project", "street", "--metric", "cohen_kappa"}).code == 2);
  CHECK(f.s.Run({"agreement", "--project", "street", "--metric", "cohen_kappa", "--members", "alice,nobody"}).code == 1);
  r = f.s.Run({"agreement", "--project", "street", "--metric", "krippendorff_alpha", "--level", "interval"});
  CHECK(r.code == 1);
  CHECK(r.err.find("not a number") != std::string::npos);
  CHECK(f.s.Run({"agreement", "--project", "nope", "--metric", "fleiss_kappa"}).code == 1);
  CHECK(f.s.Run({"agreement", "--project", "street", "--metric", "fleiss_kappa", "--feature", "vehicle"}).code == 1);
}

TEST_CASE("cli: aggregate") {
  Fixture f;
  auto mv = f.s.JsonLines({"aggregate", "--project", "street", "--method", "majority_vote", "--json"});
  REQUIRE(mv.size() == 3);
  CHECK(mv[0]["asset_id"].is_number());
  CHECK(mv[0]["external_id"] == "img-0001");
  CHECK(mv[0]["feature"] == "weather");
  CHECK(mv[0]["value"] == "sunny");
  CHECK(mv[0]["confidence"].get<double>() == Approx(2.0 / 3));
  CHECK(mv[2]["value"] == "sunny");  // a three-way tie goes to the option listed first
  auto ds = f.s.JsonLines({"aggregate", "--project", "street", "--method", "dawid_skene", "--save", "--json"});
  REQUIRE(ds.size() == 4);
  CHECK(ds[3]["stored"] == 3);
  CHECK(ds[3]["parameters"].get<std::string>().find("dawid_skene") == 0);
  auto listed = f.s.JsonLines({"label", "list", "--project", "street", "--json"});
  size_t aggregates = 0;
  for (const json& l : listed) aggregates += l.dump().find("\"aggregate\"") != std::string::npos;
  CHECK(aggregates == 3);
  CHECK(f.s.Ok({"aggregate", "--project", "street", "--method", "dawid_skene"}).find("member alice") != std::string::npos);
  CHECK(f.s.Run({"aggregate", "--project", "street", "--method", "nope"}).code == 2);
  CHECK(f.s.Run({"aggregate", "--project", "street", "--method", "box_clusters", "--feature", "weather"}).code == 1);
  CHECK(f.s.Run({"verify"}).code == 0);
}

TEST_CASE("cli: aggregate --smoothing") {
  // Issue 11: crowd-kit's overlap case with 3 members on 3 assets. Member p
  // answers "no" on asset p and "yes" on the other two: every asset "yes"
  // 2:1, every member uninformative. Dawid-Skene must say "yes" at 2/3 (the
  // old fixed smoothing of 0.01 made one asset "no" at 1.0).
  Fixture f;
  WriteFile(f.dir.sub("yesno.json"),
            R"({"features": [{"name": "ok", "kind": "classification", "options": ["no", "yes"]}]})");
  f.s.Ok({"project", "create", "sym", "--ontology", f.dir.sub("yesno.json"), "--dataset", "cams"});
  const char* members[] = {"alice", "bob", "carol"};
  std::string labels;
  for (int p = 0; p < 3; ++p) {
    for (int t = 0; t < 3; ++t) {
      labels += std::string(R"({"project": "sym", "dataset": "cams", "asset": "img-000)") + std::to_string(t + 1) +
                R"(", "author": ")" + members[p] + R"(", "source": "human", "status": "submitted", )" +
                R"("annotations": [{"feature": "ok", "value": ")" + (p == t ? "no" : "yes") + "\"}]}\n";
    }
  }
  WriteFile(f.dir.sub("sym.jsonl"), labels);
  f.s.Ok({"label", "import", f.dir.sub("sym.jsonl")});

  auto plain = f.s.JsonLines({"aggregate", "--project", "sym", "--method", "dawid_skene", "--json"});
  REQUIRE(plain.size() == 3);
  for (const json& it : plain) {
    CHECK(it["value"] == "yes");
    CHECK(it["confidence"].get<double>() == Approx(2.0 / 3).margin(1e-9));
  }
  // A positive prior is not neutral: same label here, another confidence.
  auto smoothed =
      f.s.JsonLines({"aggregate", "--project", "sym", "--method", "dawid_skene", "--smoothing", "0.01", "--json"});
  REQUIRE(smoothed.size() == 3);
  for (const json& it : smoothed) {
    CHECK(it["value"] == "yes");
    CHECK(std::abs(it["confidence"].get<double>() - 2.0 / 3) > 0.01);
  }
  auto saved = f.s.JsonLines(
      {"aggregate", "--project", "sym", "--method", "dawid_skene", "--smoothing", "0.5", "--save", "--json"});
  REQUIRE(saved.size() == 4);
  CHECK(saved[3]["parameters"].get<std::string>().find("smoothing=0.5") != std::string::npos);

  const uint64_t before = f.s.Json({"stats"})["sequence"].get<uint64_t>();
  for (const char* bad : {"-1", "nan", "inf", "1001", "x"}) {
    INFO("--smoothing " << bad);
    RunResult r = f.s.Run({"aggregate", "--project", "sym", "--method", "dawid_skene", "--smoothing", bad, "--save"});
    CHECK(r.code == 2);
    CHECK(IsOneLineError(r.err));
  }
  CHECK(f.s.Json({"stats"})["sequence"].get<uint64_t>() == before);
}
