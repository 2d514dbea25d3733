// Directory import: walk order, hidden files, media types, hashes, upsert.
#include <sys/stat.h>
#include <unistd.h>

#include "import_helpers.h"

using namespace annodb;
using namespace annodb::test;

TEST_CASE("dir import: media types from extensions") {
  CHECK(std::string(MediaTypeForPath("a/b.JPG")) == "image/jpeg");
  CHECK(std::string(MediaTypeForPath("x.jpeg")) == "image/jpeg");
  CHECK(std::string(MediaTypeForPath("x.png")) == "image/png");
  CHECK(std::string(MediaTypeForPath("x.tiff")) == "image/tiff");
  CHECK(std::string(MediaTypeForPath("x.webp")) == "image/webp");
  CHECK(std::string(MediaTypeForPath("x.mov")) == "video/quicktime");
  CHECK(std::string(MediaTypeForPath("x.mkv")) == "video/x-matroska");
  CHECK(std::string(MediaTypeForPath("x.flac")) == "audio/flac");
  CHECK(std::string(MediaTypeForPath("x.m4a")) == "audio/mp4");
  CHECK(std::string(MediaTypeForPath("notes.md")) == "text/markdown");
  CHECK(std::string(MediaTypeForPath("x.json")) == "application/json");
  CHECK(std::string(MediaTypeForPath("x.csv")) == "text/csv");
  CHECK(std::string(MediaTypeForPath("x.bin")) == "application/octet-stream");
  CHECK(std::string(MediaTypeForPath("noext")) == "application/octet-stream");
  CHECK(std::string(MediaTypeForPath("dir.jpg/noext")) == "application/octet-stream");
  CHECK(std::string(MediaTypeForPath(".jpg")) == "application/octet-stream");
}

TEST_CASE("dir import: every visible file becomes an asset with its hash, re-import is unchanged") {
  TempDir dir("dir-basic");
  auto store = OpenNew(dir.sub("store"));
  std::string root = dir.sub("media");
  std::filesystem::create_directories(root + "/sub/deeper");
  std::filesystem::create_directories(root + "/.hiddendir");
  std::filesystem::create_directories(root + "/empty");
  const std::vector<std::pair<std::string, std::string>> files = {
      {"a.jpg", "jpeg-a"},          {"B.PNG", "png-b"},     {"sub/c.wav", "wave"},
      {"sub/deeper/d.txt", "text"}, {"with space.mp4", ""}, {"z.unknownext", "?"},
  };
  for (const auto& [rel, content] : files) WriteFile(root + "/" + rel, content);
  WriteFile(root + "/.hidden.jpg", "hidden");
  WriteFile(root + "/.hiddendir/e.jpg", "hidden too");
  REQUIRE(::symlink((root + "/a.jpg").c_str(), (root + "/sub/link.jpg").c_str()) == 0);
  REQUIRE(::symlink(root.c_str(), (root + "/sub/loop").c_str()) == 0);       // not followed
  REQUIRE(::symlink("/no/such", (root + "/dangling.jpg").c_str()) == 0);     // skipped

  ImportOptions opt;
  opt.batch_rows = 3;
  ImportReport rep;
  REQUIRE(ImportDirectory(*store, "media", root + "/", Actor::System(), opt, &rep).ok());
  CHECK(rep.lines == 7);
  CHECK(rep.created == 7);
  CHECK(rep.batches == 3);
  uint64_t ds = DatasetId(*store, "media");
  std::vector<std::string> ids = ListExternalIds(*store, ds);
  CHECK(ids == std::vector<std::string>{"B.PNG", "a.jpg", "sub/c.wav", "sub/deeper/d.txt", "sub/link.jpg",
                                        "with space.mp4", "z.unknownext"});
  for (const auto& [rel, content] : files) {
    AssetInput a = GetByExternalId(*store, "media", rel);
    REQUIRE(a.content_hash);
    CHECK(*a.content_hash == HashBytes(content.data(), content.size()));
    CHECK(a.byte_size == content.size());
    CHECK(a.uri == PathToFileUri(root + "/" + rel));
    CHECK(a.media_type == MediaTypeForPath(rel));
    CHECK(a.width == 0);
  }
  CHECK(GetByExternalId(*store, "media", "with space.mp4").uri.find("with%20space.mp4") != std::string::npos);
  CHECK(GetByExternalId(*store, "media", "sub/c.wav").media_type == "audio/wav");
  // The link is its own asset with the target's bytes, a duplicate by hash.
  CHECK(*GetByExternalId(*store, "media", "sub/link.jpg").content_hash == HashBytes("jpeg-a", 6));
  ProvenanceInfo prov;
  GetByExternalId(*store, "media", "a.jpg", nullptr, &prov);
  CHECK(prov.actor_kind == ActorKind::kImportJob);
  CHECK(prov.job_id == rep.job_id);

  auto before = StoreFingerprint::Of(*store);
  REQUIRE(ImportDirectory(*store, "media", root, Actor::System(), opt, &rep).ok());
  CHECK(rep.unchanged == 7);
  CHECK(rep.created + rep.updated == 0);
  StoreFingerprint::Of(*store).RequireSame(before);

  // One file changes, one is added: one new version, one new asset.
  WriteFile(root + "/sub/c.wav", "new wave");
  WriteFile(root + "/sub/f.ogg", "ogg");
  REQUIRE(ImportDirectory(*store, "media", root, Actor::System(), opt, &rep).ok());
  CHECK(rep.updated == 1);
  CHECK(rep.created == 1);
  CHECK(rep.unchanged == 6);
  CHECK(*GetByExternalId(*store, "media", "sub/c.wav").content_hash == HashBytes("new wave", 8));

  // Without hashing, only sizes are recorded.
  TempDir dir2("dir-nohash");
  auto store2 = OpenNew(dir2.sub("store"));
  opt.hash_local_files = false;
  REQUIRE(ImportDirectory(*store2, "media", root, Actor::System(), opt, &rep).ok());
  AssetInput a = GetByExternalId(*store2, "media", "a.jpg");
  CHECK_FALSE(a.content_hash);
  CHECK(a.byte_size == 6);
}

TEST_CASE("dir import: a name that makes an invalid asset refuses the import before writing") {
  TempDir dir("dir-bad");
  auto store = OpenNew(dir.sub("store"));
  std::string root = dir.sub("media");
  // A relative path over the 400-byte external id limit.
  std::string deep = root + "/" + std::string(200, 'd') + "/" + std::string(200, 'e');
  std::filesystem::create_directories(deep);
  WriteFile(root + "/ok.jpg", "fine");
  WriteFile(deep + "/x.jpg", "too deep");
  auto before = StoreFingerprint::Of(*store);
  ImportOptions opt;
  opt.batch_rows = 1;
  Status s = ImportDirectory(*store, "media", root, Importer(), opt, nullptr);
  CHECK(s.IsInvalidArgument());
  CHECK_THAT(s.message(), Catch::Contains("external_id is 407 bytes"));
  StoreFingerprint::Of(*store).RequireSame(before);
  std::filesystem::remove_all(root + "/" + std::string(200, 'd'));

  // A file name that is not UTF-8.
  WriteFile(root + "/bad\xff.jpg", "x");
  s = ImportDirectory(*store, "media", root, Importer(), opt, nullptr);
  CHECK(s.IsInvalidArgument());
  CHECK_THAT(s.message(), Catch::Contains("not valid UTF-8"));
  StoreFingerprint::Of(*store).RequireSame(before);
  std::filesystem::remove(root + "/bad\xff.jpg");

  // An unreadable file (unless we are root, who reads everything).
  if (::geteuid() != 0) {
    WriteFile(root + "/secret.jpg", "x");
    ::chmod((root + "/secret.jpg").c_str(), 0);
    s = ImportDirectory(*store, "media", root, Importer(), opt, nullptr);
    CHECK(s.code() == Code::kIOError);
    StoreFingerprint::Of(*store).RequireSame(before);
    std::filesystem::remove(root + "/secret.jpg");
  }

  CHECK(ImportDirectory(*store, "media", dir.sub("nope"), Importer(), opt, nullptr).IsNotFound());
  CHECK(ImportDirectory(*store, "media", root + "/ok.jpg", Importer(), opt, nullptr).IsInvalidArgument());
  REQUIRE(ImportDirectory(*store, "media", root, Importer(), opt, nullptr).ok());
  CHECK(ListExternalIds(*store, DatasetId(*store, "media")).size() == 1);
}
