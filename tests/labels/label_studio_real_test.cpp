// Label Studio import of real files from Label Studio's own projects and
// documentation (tests/labels/fixtures/README.md names their sources).
#include <catch2/catch.hpp>

#include "annodb/ls_import.h"
#include "annodb/verify.h"
#include "fixture.h"

using namespace annodb;

namespace {
// An asset as an asset import would have stored it, with its size.
AssetInput Sized(const std::string& external_id, const std::string& uri, uint32_t width, uint32_t height) {
  AssetInput a;
  a.external_id = external_id;
  a.uri = uri;
  a.width = width;
  a.height = height;
  return a;
}

std::string Fixture(const std::string& name) { return std::string(ANNODB_SOURCE_DIR) + "/tests/labels/fixtures/" + name; }

struct Real {
  test::TempDir dir{"ls-real"};
  std::unique_ptr<Store> store = test::OpenNew(dir.path());
  LsImportReport r;
  LsImportOptions o;

  Real() {
    o.project = "p";
    o.dataset = "d";
  }
  Status Import(const std::string& fixture) {
    uint64_t before = 0, after = 0;
    REQUIRE(store->Sequence(&before).ok());
    Status s = ImportLabelStudio(*store, Fixture(fixture), Actor::Person("mover"), o, &r);
    REQUIRE(store->Sequence(&after).ok());
    if (!s.ok()) CHECK(after == before);
    return s;
  }
  AssetInput Asset(const std::string& external_id) {
    AssetInput a;
    REQUIRE(store->Read([&](ReadTxn& t) {
      uint64_t ds = 0, id = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(t, "d", &ds));
      ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, external_id, &id));
      RecordView v;
      ANNODB_RETURN_IF_ERROR(GetAsset(t, id, kCurrent, &v));
      a = DecodeAsset(v.As<fb::Asset>());
      return Status::OK();
    }).ok());
    return a;
  }
  std::vector<LabelInput> Labels(const std::string& external_id) {
    std::vector<LabelInput> out;
    REQUIRE(store->Read([&](ReadTxn& t) {
      uint64_t ds = 0, asset = 0, pid = 0;
      ANNODB_RETURN_IF_ERROR(FindDataset(t, "d", &ds));
      ANNODB_RETURN_IF_ERROR(FindAsset(t, ds, external_id, &asset));
      ANNODB_RETURN_IF_ERROR(FindProject(t, "p", &pid));
      std::vector<uint64_t> ids;
      ANNODB_RETURN_IF_ERROR(ListLabels(t, {pid, asset, 0, {}}, 0, 0, &ids));
      for (uint64_t id : ids) {
        RecordView v;
        ANNODB_RETURN_IF_ERROR(GetLabel(t, id, kCurrent, &v));
        out.push_back(DecodeLabel(v.As<fb::Label>()));
      }
      return Status::OK();
    }).ok());
    return out;
  }
  // Stores assets as an asset import would have, before the Label Studio import.
  void PutAssets(const std::vector<AssetInput>& assets) {
    REQUIRE(store->Write(Actor::Person("admin"), [&](WriteTxn& t) {
      uint64_t ds = 0;
      ANNODB_RETURN_IF_ERROR(CreateDataset(t, "d", "", &ds));
      for (const AssetInput& a : assets) ANNODB_RETURN_IF_ERROR(PutAsset(t, ds, a, nullptr, nullptr));
      return Status::OK();
    }).ok());
  }
  bool Verifies() {
    VerifyReport vr;
    return VerifyStore(*store, &vr).ok() && vr.ok();
  }
};
}  // namespace

TEST_CASE("Label Studio, real export: a box outside the image names task, result and coordinates") {
  Real run;
  Status s = run.Import("ls_converter_csv_test.json");
  INFO(s.ToString());
  CHECK(s.message() ==
        "task 2: annotations[0]: result[0] (label, rectanglelabels): box x 92.93, y 57.39, width 7.5, height 44.18 "
        "(% of 768x510) extends 1.57 % outside the image; --clamp-boxes clamps boxes a little outside the image");
  run.o.clamp_boxes = true;
  run.o.clamp_tolerance_percent = 1;
  s = run.Import("ls_converter_csv_test.json");
  CHECK(s.message().find("extends 1.57 % outside the image (--clamp-boxes clamps up to 1 %)") != std::string::npos);
}

TEST_CASE("Label Studio, real export: --clamp-boxes clamps and counts; the asset is the key the results point at") {
  Real run;
  run.o.clamp_boxes = true;  // the default tolerance, 2 %
  Status s = run.Import("ls_converter_csv_test.json");
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(run.r.tasks == 2);
  CHECK(run.r.labels == 2);
  CHECK(run.r.predictions == 2);
  // Task 2's annotation and prediction share the box 0.43 % right and 1.57 % below the image.
  CHECK(run.r.boxes_clamped == 2);
  AssetInput a = run.Asset("ls-2");
  // The results' to_name is "image": not the audio URL, the first string of data.
  CHECK(a.uri == "https://data.heartex.net/open-images/train_0/mini/00155094b7acc33b.jpg");
  CHECK(a.media_type == "image/jpeg");
  CHECK(a.width == 768);
  CHECK(a.height == 510);
  std::vector<LabelInput> labels = run.Labels("ls-2");
  REQUIRE(labels.size() == 2);
  const AnnotationInput& box = labels[0].annotations.at(0);
  CHECK(box.x == Approx(713.7024));
  CHECK(box.x + box.w <= 768);
  CHECK(box.x + box.w == Approx(768));
  CHECK(box.y == Approx(292.689));
  CHECK(box.y + box.h == Approx(510));
  CHECK(box.y + box.h <= 510);
  // The prediction has no original_width/height: the size came from the annotation's result.
  CHECK(labels[1].source == LabelSource::Model);
  CHECK(labels[1].annotations.at(0).x + labels[1].annotations.at(0).w == Approx(768));
  CHECK(run.Verifies());

  Real keyed;
  keyed.o.clamp_boxes = true;
  keyed.o.data_key = "image";
  REQUIRE(keyed.Import("ls_converter_csv_test.json").ok());
  CHECK(keyed.Asset("ls-1").media_type == "image/jpeg");
  keyed.o.data_key = "audio";  // boxes on audio: the URI is the user's choice, the media type is not guessed
  keyed.o.project = "p2";
  keyed.o.dataset = "d2";
  REQUIRE(keyed.Import("ls_converter_csv_test.json").ok());
}

TEST_CASE("Label Studio, real export: a control character in a choice names the task and the result") {
  Real run;
  Status s = run.Import("ls_converter_csv_test2.json");
  CHECK(s.message().rfind("task 4: annotations[0]: result[0] (uri_selection): value.choices[0] \"Yes \\\" ", 0) == 0);
  CHECK(s.message().find("contains a control character") != std::string::npos);
}

TEST_CASE("Label Studio, real export: annotations without completed_by and boxes without a size") {
  Real run;
  // No image size anywhere: refused, naming the result.
  Status s = run.Import("ls_sdk_doclang.json");
  CHECK(s.message().rfind("task 1: annotations[0]: result[0] (docling, rectanglelabels): the image size is unknown", 0) == 0);
  // With the assets' sizes known (imported before), it imports; the stored
  // assets keep their fields.
  AssetInput page1 = Sized("ls-1", "s3://pages/page-1.png", 1000, 1400);
  page1.metadata.push_back({"scanner", MetaKind::kString, "A4-3", 0, 0, false});
  AssetInput page2 = page1;
  page2.external_id = "ls-2";
  page2.uri = "s3://pages/page-2.png";
  run.PutAssets({page1, page2});
  s = run.Import("ls_sdk_doclang.json");
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(run.r.labels == 2);
  CHECK(run.r.cancelled_skipped == 1);
  CHECK(run.r.default_author_used == 2);
  CHECK(run.r.assets_created == 1);  // task 3's page
  AssetInput a = run.Asset("ls-1");
  CHECK(a.uri == "s3://pages/page-1.png");
  CHECK(a.metadata == page1.metadata);
  std::vector<LabelInput> labels = run.Labels("ls-1");
  REQUIRE(labels.size() == 1);
  CHECK(labels[0].annotations.at(0).x == Approx(50));   // 5 % of 1000
  CHECK(labels[0].annotations.at(0).h == Approx(210));  // 15 % of 1400
  REQUIRE(run.store->Read([&](ReadTxn& t) {
    uint64_t m = 0;
    ANNODB_RETURN_IF_ERROR(FindMember(t, "ls-unknown-author", &m));
    CHECK(labels[0].author_member_id == m);
    return Status::OK();
  }).ok());

  Real named;
  named.PutAssets({page1, page2});
  named.o.default_author = "curator";
  REQUIRE(named.Import("ls_sdk_doclang.json").ok());
  REQUIRE(named.store->Read([&](ReadTxn& t) {
    uint64_t m = 0;
    ANNODB_RETURN_IF_ERROR(FindMember(t, "curator", &m));
    CHECK(named.Labels("ls-2").at(0).author_member_id == m);
    return Status::OK();
  }).ok());
}

TEST_CASE("Label Studio, docs: a file holding one task object; the key named by source") {
  Real run;
  Status s = run.Import("ls_docs_task.json");
  CHECK(s.message().rfind("task 1: annotations[0]: result[0] (tag, rectanglelabels): the image size is unknown", 0) == 0);
  run.PutAssets({Sized("ls-1", "https://example.com/opensource/label-studio/1.jpg", 800, 600)});
  s = run.Import("ls_docs_task.json");
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(run.r.tasks == 1);
  CHECK(run.r.labels == 1);
  CHECK(run.r.predictions == 1);
  CHECK(run.Labels("ls-1").at(0).annotations.at(0).x == Approx(406.4));  // 50.8 % of 800
}

TEST_CASE("Label Studio, docs: tasks without id take their position, stable on re-import") {
  Real run;
  Status s = run.Import("ls_docs_import_no_id.json");
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(run.r.tasks == 2);
  CHECK(run.r.predictions == 1);
  CHECK(run.r.labels == 1);
  CHECK(run.r.default_author_used == 1);
  CHECK(run.Asset("ls-index-0").media_type == "text/plain");
  CHECK(run.Asset("ls-index-0").uri == "labelstudio:task/ls-index-0");
  CHECK(run.Asset("ls-index-1").text == "This is a sample sentence");
  uint64_t seq = 0, seq2 = 0;
  REQUIRE(run.store->Sequence(&seq).ok());
  REQUIRE(run.Import("ls_docs_import_no_id.json").ok());
  CHECK(run.r.unchanged == 2);
  CHECK(run.r.assets_created == 0);
  REQUIRE(run.store->Sequence(&seq2).ok());
  CHECK(seq2 == seq);
}

TEST_CASE("Label Studio, real export: a polygon by a numeric completed_by imports as is") {
  Real run;
  Status s = run.Import("ls_converter_json_min.json");
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(run.r.labels == 1);
  AssetInput a = run.Asset("ls-87");
  CHECK(a.uri == "/data/upload/29/example.png");
  CHECK(a.media_type == "image/png");
  CHECK(a.width == 128);
  std::vector<LabelInput> l = run.Labels("ls-87");
  REQUIRE(l.size() == 1);
  REQUIRE(l[0].annotations.at(0).points.size() == 3);
  CHECK(l[0].annotations[0].points[0].x == Approx(44.44444444444444 * 128 / 100));
  CHECK(l[0].time_spent_ms == 8650);
  CHECK(run.Verifies());
}

TEST_CASE("Label Studio, real export: an image size unlike the stored asset's is refused, the asset unchanged") {
  Real run;
  run.PutAssets({Sized("ls-87", "s3://planes/example.png", 256, 256)});
  Status s = run.Import("ls_converter_json_min.json");
  CHECK(s.message() == "task 87: the results' image size 128x128 differs from the stored asset 'ls-87' (256x256)");
  CHECK(run.Asset("ls-87").width == 256);
}
