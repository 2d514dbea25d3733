// The corruption sweep (issue 11): flip bytes of a small store's data.mdb, one
// at a time, and run the real `annodb` program on each damaged copy.
//
// For every flip:
//   - `verify` must not crash (no signal, no sanitizer report) and exits 0
//     (nothing found) or 1 (problems found);
//   - `export`, `label list` and `get` either exit non-zero or
//     print exactly what they printed on the undamaged store: no command
//     exits 0 with less (or other) data than it should;
//   - a flip that verify does not find must change nothing any command prints
//     (it hit a free page, unused space or a byte LMDB ignores).
// Flipped: one bit of every byte of every page header (16 bytes per page;
// ANNODB_SWEEP_BITS=8 flips every bit), and ANNODB_SWEEP_PAYLOAD seeded
// random bits elsewhere in the pages (ANNODB_SWEEP_SEED). The CI form is the
// default; docs/testing/corruption.md gives the long run and its figures.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "annodb/comments.h"
#include "annodb/ndjson.h"
#include "cli/cli_util.h"
#include "labels/fixture.h"

using namespace annodb;
using namespace annodb::test;

namespace {
constexpr size_t kPage = 4096;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

size_t EnvSize(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<size_t>(std::strtoull(v, nullptr, 10)) : fallback;
}

// A few hundred records over several pages per table: assets (some updated,
// one deleted), labels by two members (one deleted), comment threads.
void Build(LabelFixture& fx, int assets) {
  REQUIRE(fx.store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
    for (int i = 0; i < assets; ++i) {
      AssetInput a;
      a.external_id = "a" + std::to_string(i);
      a.uri = "file:///a/" + std::to_string(i) + ".jpg";
      a.width = 640;
      a.height = 480;
      uint64_t id = 0;
      ANNODB_RETURN_IF_ERROR(PutAsset(t, fx.dataset, a, &id, nullptr));
      if (i % 2 == 0) {
        LabelInput l = fx.Label(id, i % 4 == 0 ? fx.alice : fx.bob);
        AnnotationInput w;
        w.feature = "weather";
        w.value = i % 3 == 0 ? "rain" : "sunny";
        l.annotations.push_back(w);
        AnnotationInput b;
        b.feature = "vehicle";
        b.class_name = "car";
        b.x = i % 100;
        b.y = 10;
        b.w = 30;
        b.h = 20;
        l.annotations.push_back(b);
        uint64_t label = 0;
        ANNODB_RETURN_IF_ERROR(PutLabel(t, l, &label, nullptr));
        if (i % 10 == 0) {
          CommentInput c;
          c.label_id = label;
          c.author_member_id = fx.bob;
          c.body = "check box " + std::to_string(i);
          c.issue = true;
          uint64_t root = 0;
          ANNODB_RETURN_IF_ERROR(AddComment(t, c, &root));
          CommentInput r;
          r.thread_id = root;
          r.author_member_id = fx.alice;
          r.body = "fixed " + std::to_string(i);
          ANNODB_RETURN_IF_ERROR(AddComment(t, r, nullptr));
        }
      }
    }
    return Status::OK();
  }).ok());
  REQUIRE(fx.store->Write(Actor::Person("alice"), [&](WriteTxn& t) {
    ANNODB_RETURN_IF_ERROR(UpdateAssetMetadata(t, fx.img, {{"lux", MetaKind::kFloat, "", 0, 12.5, false}}, {}, nullptr));
    std::vector<uint64_t> labels;
    ANNODB_RETURN_IF_ERROR(ListLabels(t, {fx.project, 0, 0, {}}, 0, 5, &labels));
    return DeleteLabel(t, labels.at(2));
  }).ok());
}

struct Outputs {
  std::vector<RunResult> runs;  // one per command of Commands()
};

std::vector<std::vector<std::string>> Commands() {
  return {{"export", "--out", "-"},
          {"label", "list", "--project", "street", "--limit", "100000", "--json"},
          {"get", "100"}};
}

bool Crashed(const RunResult& r) {
  return r.code >= 128 || r.err.find("Sanitizer") != std::string::npos ||
         r.err.find("runtime error:") != std::string::npos;
}
}  // namespace

TEST_CASE("corruption sweep: no flip crashes verify or lets a command exit 0 with other data", "[corruption]") {
  const size_t bits_per_header_byte = EnvSize("ANNODB_SWEEP_BITS", 1);
  // The CI form flips the headers of every 8th page (every 16th under the
  // sanitizers, where each run costs several times more) and a sample of
  // payload bytes: each flip runs the program four times. The long form
  // (docs/testing/corruption.md) takes every page and every bit.
  const size_t payload_flips = EnvSize("ANNODB_SWEEP_PAYLOAD", kSanitized ? 16 : 40);
  const uint64_t seed = EnvSize("ANNODB_SWEEP_SEED", 11);
  const size_t jobs = std::max<size_t>(1, EnvSize("ANNODB_SWEEP_JOBS", 2));
  const size_t page_stride = std::max<size_t>(1, EnvSize("ANNODB_SWEEP_PAGE_STRIDE", kSanitized ? 16 : 8));

  LabelFixture fx;
  Build(fx, 300);
  const std::string src = fx.dir.path();
  fx.store.reset();
  const std::string pristine = ReadFile(src + "/data.mdb");
  const size_t pages = pristine.size() / kPage;
  REQUIRE(pages >= 20);

  // Runs verify and the commands on `bytes` as data.mdb in directory `work`.
  auto run_all = [](const std::string& work, const std::string& bytes, RunResult* verify, Outputs* out) {
    std::filesystem::create_directories(work);
    WriteFile(work + "/data.mdb", bytes);
    std::filesystem::remove(work + "/lock.mdb");
    *verify = RunCli({"--store", work, "verify", "--max-problems", "5"});
    out->runs.clear();
    for (auto args : Commands()) {
      args.insert(args.begin(), {"--store", work});
      out->runs.push_back(RunCli(args));
    }
  };

  RunResult base_verify;
  Outputs base;
  run_all(fx.dir.sub("work"), pristine, &base_verify, &base);
  INFO(base_verify.out + base_verify.err);
  REQUIRE(base_verify.code == 0);
  for (const RunResult& r : base.runs) {
    INFO(r.err);
    REQUIRE(r.code == 0);
  }
  REQUIRE(base.runs[0].out.find("check box 20") != std::string::npos);

  // The flips: (offset, mask).
  std::vector<std::pair<size_t, uint8_t>> flips;
  std::mt19937_64 rng(seed);
  for (size_t p = 0; p < pages; p += page_stride)
    for (size_t b = 0; b < 16; ++b) {
      if (bits_per_header_byte >= 8) {
        for (int bit = 0; bit < 8; ++bit) flips.emplace_back(p * kPage + b, uint8_t(1u << bit));
      } else {
        flips.emplace_back(p * kPage + b, uint8_t(1u << (rng() % 8)));
      }
    }
  size_t header_flips = flips.size();
  for (size_t i = 0; i < payload_flips; ++i)
    flips.emplace_back((rng() % pages) * kPage + 16 + rng() % (kPage - 16), uint8_t(1u << (rng() % 8)));
  // ANNODB_SWEEP_ONLY=OFFSET: only the flips of that byte (to rerun one).
  if (const char* only = std::getenv("ANNODB_SWEEP_ONLY"); only && *only) {
    const size_t at = std::strtoull(only, nullptr, 10);
    std::erase_if(flips, [&](const auto& f) { return f.first != at; });
    header_flips = at % kPage < 16 ? flips.size() : 0;
  }

  // Flips run on `jobs` threads, each in its own directory; the results are
  // checked here afterwards (Catch2's assertions are not thread-safe).
  std::vector<RunResult> verifies(flips.size());
  std::vector<Outputs> outputs(flips.size());
  std::atomic<size_t> next{0};
  auto worker = [&](size_t w) {
    const std::string work = fx.dir.sub("work" + std::to_string(w));
    for (size_t i; (i = next++) < flips.size();) {
      std::string bytes = pristine;
      bytes[flips[i].first] = static_cast<char>(bytes[flips[i].first] ^ flips[i].second);
      run_all(work, bytes, &verifies[i], &outputs[i]);
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 0; w < jobs; ++w) threads.emplace_back(worker, w);
  for (std::thread& t : threads) t.join();

  size_t found = 0, harmless = 0, header_harmless = 0, crashes = 0, wrong = 0;
  for (size_t i = 0; i < flips.size(); ++i) {
    const auto [off, mask] = flips[i];
    const RunResult& v = verifies[i];
    const Outputs& o = outputs[i];
    const std::string where = "page " + std::to_string(off / kPage) + " byte " + std::to_string(off % kPage) +
                              " mask " + std::to_string(mask);
    bool bad = false;
    if (Crashed(v) || (v.code != 0 && v.code != 1)) {
      ++crashes;
      bad = true;
      FAIL_CHECK("verify died on " << where << " (exit " << v.code << "): " << v.err.substr(0, 2000));
    }
    bool same = true;
    for (size_t c = 0; c < o.runs.size(); ++c) {
      const RunResult& r = o.runs[c];
      if (Crashed(r)) {
        ++crashes;
        bad = true;
        FAIL_CHECK(Commands()[c][0] << " died on " << where << " (exit " << r.code << "): " << r.err.substr(0, 2000));
      }
      if (r.code == 0 && r.out != base.runs[c].out) {
        ++wrong;
        bad = true;
        const std::string& want = base.runs[c].out;
        size_t d = 0;
        while (d < r.out.size() && d < want.size() && r.out[d] == want[d]) ++d;
        const size_t from = d < 80 ? 0 : d - 80;
        FAIL_CHECK(Commands()[c][0] << " " << Commands()[c][1] << " exited 0 with other output on " << where
                                    << "; expected ..." << want.substr(from, 200) << "... got ..." << r.out.substr(from, 200));
      }
      if (r.code != 0 || r.out != base.runs[c].out) same = false;
    }
    if (v.code == 1) {
      ++found;
    } else if (v.code == 0 && !bad) {
      if (!same) {
        FAIL_CHECK("verify found nothing on " << where << " but a command failed");
      } else {
        ++harmless;
        if (i < header_flips) ++header_harmless;
        if (std::getenv("ANNODB_SWEEP_LIST_HARMLESS")) std::cout << "harmless: " << where << "\n";
      }
    }
  }
  std::cout << "corruption sweep: " << pages << " pages, " << flips.size() << " flips (" << header_flips
            << " header, " << flips.size() - header_flips << " payload), " << found << " found by verify, " << harmless
            << " harmless (" << header_harmless << " of them in headers), " << crashes << " crashes, " << wrong
            << " wrong outputs\n";
  CHECK(crashes == 0);
  CHECK(wrong == 0);
}
