// --write-metadata: the caption lands in the image's XMP, EXIF and IPTC fields (read back here
// with Exiv2), the pixels decode exactly as before, the EXIF orientation survives, and formats
// that cannot hold metadata are reported per image without stopping the run.
#include <doctest/doctest.h>

#include <tiffio.h>

#include <exiv2/exiv2.hpp>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "image/image.h"

using namespace vkcap::test;

namespace {

const std::string kFixture = "blip_tiny_a";
const std::string kModel = (kFixtures / kFixture).string();
const fs::path kFormats = kFixtures / "image" / "formats";

struct Fields {
  std::string xmp_description, xmp_alt_text, exif_description, iptc_caption;
  long orientation = 0;
};

Fields read_fields(const fs::path& path) {
  auto image = Exiv2::ImageFactory::open(path.string());
  image->readMetadata();
  Fields f;
  auto& xmp = image->xmpData();
  if (auto it = xmp.findKey(Exiv2::XmpKey("Xmp.dc.description")); it != xmp.end()) f.xmp_description = it->toString(0);
  if (auto it = xmp.findKey(Exiv2::XmpKey("Xmp.iptc.AltTextAccessibility")); it != xmp.end())
    f.xmp_alt_text = it->toString(0);
  auto& exif = image->exifData();
  if (auto it = exif.findKey(Exiv2::ExifKey("Exif.Image.ImageDescription")); it != exif.end())
    f.exif_description = it->toString();
  if (auto it = exif.findKey(Exiv2::ExifKey("Exif.Image.Orientation")); it != exif.end()) f.orientation = it->toLong();
  auto& iptc = image->iptcData();
  if (auto it = iptc.findKey(Exiv2::IptcKey("Iptc.Application2.Caption")); it != iptc.end())
    f.iptc_caption = it->toString();
  return f;
}

std::vector<uint8_t> pixels(const fs::path& path) {
  vkcap::image::DecodeOptions raw;
  raw.apply_exif_orientation = false;
  return vkcap::image::decode_image(path, raw).rgb;
}

std::map<std::string, std::string> captions_of(const std::string& tsv) {
  std::map<std::string, std::string> out;
  for (const std::string& line : lines_of(tsv)) out[line.substr(0, line.find('\t'))] = line.substr(line.find('\t') + 1);
  return out;
}

}  // namespace

TEST_CASE("--write-metadata puts the caption in XMP, EXIF and IPTC and leaves the pixels alone") {
  TempDir dir;
  const fs::path jpeg = dir / "photo.jpg", png = dir / "drawing.png";
  fs::copy_file(kFormats / "exif6.jpg", jpeg);
  fs::copy_file(kFormats / "palette.png", png);
  const auto jpeg_before = pixels(jpeg), png_before = pixels(png);
  const long orientation_before = read_fields(jpeg).orientation;
  REQUIRE(orientation_before == 6);

  RunResult r = run_vkcap({"caption", "-m", kModel, "-n", "12", "--write-metadata", "--prefix", "alt: ", jpeg.string(),
                           png.string()},
                          dir.path);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const auto captions = captions_of(r.out);
  REQUIRE(captions.size() == 2);

  const Fields j = read_fields(jpeg);
  const std::string jc = captions.at(jpeg.string());
  CHECK(jc.rfind("alt: ", 0) == 0);
  CHECK(j.xmp_description == jc);
  CHECK(j.xmp_alt_text == jc);
  CHECK(j.exif_description == jc);
  CHECK(j.iptc_caption == jc);
  CHECK(j.orientation == orientation_before);  // the rest of the EXIF block is kept
  CHECK(pixels(jpeg) == jpeg_before);

  const Fields p = read_fields(png);
  CHECK(p.xmp_description == captions.at(png.string()));
  CHECK(p.exif_description == captions.at(png.string()));
  CHECK(pixels(png) == png_before);

  // Nothing else is left in the directory (the edit went through a renamed temporary copy).
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path))
    if (e.path().filename().string()[0] != '.') ++files;
  CHECK(files == 2);
  for (const auto& e : fs::directory_iterator(dir.path)) CHECK(e.path().string().find(".vkcap-") == std::string::npos);
}

TEST_CASE("--write-metadata on a format without metadata fails that image only, keeping its caption") {
  TempDir dir;
  const fs::path bmp = dir / "old.bmp", jpeg = dir / "new.jpg";
  fs::copy_file(kFormats / "palette8.bmp", bmp);
  fs::copy_file(kFormats / "baseline.jpg", jpeg);
  const std::string bmp_bytes = read_text(bmp);
  RunResult r = run_vkcap(
      {"caption", "-m", kModel, "-n", "12", "-f", "jsonl", "--write-metadata", bmp.string(), jpeg.string()}, dir.path);
  CHECK(r.exit_code == 1);
  // The caption was computed: the record keeps it and says what went wrong.
  const nlohmann::json first = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  CHECK(first["image"] == bmp.string());
  CHECK_FALSE(first["caption"].get<std::string>().empty());
  CHECK(first["warning"].get<std::string>().find("cannot hold caption metadata") != std::string::npos);
  CHECK_FALSE(first.contains("error"));
  CHECK(r.err.find(bmp.string() + ": this image format cannot hold caption metadata") != std::string::npos);
  CHECK(read_text(bmp) == bmp_bytes);
  CHECK(!read_fields(jpeg).xmp_description.empty());
}

TEST_CASE("--write-metadata writes WebP (XMP and EXIF) and TIFF (all four, every page kept), pixels untouched") {
  TempDir dir;
  const fs::path webp = dir / "photo.webp", plain_webp = dir / "lossy.webp", tiff = dir / "scan.tif";
  fs::copy_file(kFormats / "exif6.webp", webp);
  fs::copy_file(kFormats / "lossy.webp", plain_webp);  // simple VP8: Exiv2 turns it into VP8X
  fs::copy_file(kFormats / "two_pages.tif", tiff);
  const auto webp_before = pixels(webp), plain_before = pixels(plain_webp), tiff_before = pixels(tiff);
  REQUIRE(read_fields(webp).orientation == 6);

  RunResult r = run_vkcap({"caption", "-m", kModel, "-n", "12", "--write-metadata", webp.string(), plain_webp.string(),
                           tiff.string()},
                          dir.path);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const auto captions = captions_of(r.out);
  for (const fs::path& file : {webp, plain_webp}) {
    CAPTURE(file);
    const Fields f = read_fields(file);
    CHECK(f.xmp_description == captions.at(file.string()));
    CHECK(f.xmp_alt_text == captions.at(file.string()));
    CHECK(f.exif_description == captions.at(file.string()));
    CHECK(f.iptc_caption.empty());  // WebP has no IPTC
  }
  CHECK(read_fields(webp).orientation == 6);
  CHECK(pixels(webp) == webp_before);
  CHECK(pixels(plain_webp) == plain_before);
  // Still upright when read back: the EXIF chunk is where the decoder finds it.
  CHECK(vkcap::image::decode_image(webp).width == 7);

  const Fields t = read_fields(tiff);
  CHECK(t.xmp_description == captions.at(tiff.string()));
  CHECK(t.exif_description == captions.at(tiff.string()));
  CHECK(t.iptc_caption == captions.at(tiff.string()));
  CHECK(pixels(tiff) == tiff_before);
  auto pages = [](const fs::path& p) {
    TIFF* tif = TIFFOpen(p.c_str(), "r");
    REQUIRE(tif != nullptr);
    const int n = TIFFNumberOfDirectories(tif);
    TIFFClose(tif);
    return n;
  };
  CHECK(pages(tiff) == 2);
}

TEST_CASE("--write-metadata on HEIF and AVIF says Exiv2 cannot write them, and leaves them alone") {
  TempDir dir;
  const fs::path heic = dir / "photo.heic", avif = dir / "photo.avif";
  fs::copy_file(kFormats / "photo.heic", heic);
  fs::copy_file(kFormats / "photo.avif", avif);
  const std::string heic_bytes = read_text(heic), avif_bytes = read_text(avif);
  RunResult r = run_vkcap({"caption", "-m", kModel, "-n", "12", "--write-metadata", heic.string(), avif.string()},
                          dir.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(heic.string() + ": cannot write caption metadata into HEIF (Exiv2 only reads it; "
                                   "--write-metadata writes JPEG, PNG, TIFF and WebP)") != std::string::npos);
  CHECK(r.err.find(avif.string() + ": cannot write caption metadata into AVIF") != std::string::npos);
  CHECK(read_text(heic) == heic_bytes);
  CHECK(read_text(avif) == avif_bytes);
}
