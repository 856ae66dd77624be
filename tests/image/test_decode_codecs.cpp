// WebP (libwebp), TIFF (libtiff), HEIF and AVIF (libheif): each fixture decodes to the picture it
// was made from (tools/image/make_codec_fixtures.py), orientation applied once, and every bad
// file gives one line naming the file and the problem.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "fixture_files.h"
#include "image/exif.h"
#include "image/header_check.h"
#include "image/image.h"
#include "util/error.h"

using namespace vkcap;
using namespace test_image;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes_of(const std::string& file) { return read_bytes(fixture("formats/" + file)); }

std::string error_decoding(const Bytes& bytes, std::string_view name, const image::DecodeOptions& options = {}) {
  try {
    image::decode_image_memory(bytes, name, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// One line, starting with the file's name.
void check_clean_error(const std::string& message, const std::string& name) {
  CAPTURE(message);
  CHECK(message.rfind(name + ": ", 0) == 0);
  CHECK(message.find('\n') == std::string::npos);
}

struct Difference {
  int max = 0;
  double mean = 0;
};

Difference difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  REQUIRE(a.size() == b.size());
  Difference d;
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const int e = std::abs(int(a[i]) - int(b[i]));
    d.max = std::max(d.max, e);
    sum += e;
  }
  d.mean = a.empty() ? 0 : sum / double(a.size());
  return d;
}

const char* const kCodecFiles[] = {"lossless.webp", "lossy.webp", "alpha.webp", "lossy_alpha.webp", "exif6.webp",
                                   "animated.webp", "rgb8.tif", "rgb16.tif", "gray16.tif", "palette.tif",
                                   "bilevel.tif", "tiled.tif", "planar.tif", "jpeg_ycbcr.tif", "two_pages.tif",
                                   "orientation6.tif", "photo.heic", "photo.avif", "alpha.avif", "irot90.heic"};

}  // namespace

TEST_CASE("WebP, TIFF, HEIF and AVIF files decode to the picture they were made from") {
  const auto manifest = read_json(fixture("formats/codecs.json"));
  CHECK(manifest.size() >= 25);
  for (const auto& entry : manifest) {
    const std::string file = entry.at("file");
    CAPTURE(file);
    const image::Image image = image::decode_image(fixture("formats/" + file));
    CHECK(image.width == entry.at("width").get<int>());
    CHECK(image.height == entry.at("height").get<int>());
    const auto expected = read_bytes(fixture("formats/" + file + ".rgb"));
    const Difference d = difference(image.rgb, expected);
    MESSAGE(file << ": max difference " << d.max << ", mean " << d.mean << " (allowed "
                 << entry.at("max_diff").get<int>() << ", " << entry.at("mean_diff").get<double>() << ")");
    CHECK(d.max <= entry.at("max_diff").get<int>());
    CHECK(d.mean <= entry.at("mean_diff").get<double>());
    // Lossy WebP and JPEG-in-TIFF: exactly what Pillow decodes (the same libwebp / libjpeg).
    if (entry.contains("pillow_rgb"))
      CHECK(image.rgb == read_bytes(fixture("formats/" + entry.at("pillow_rgb").get<std::string>())));
  }
}

TEST_CASE("the lossy files are close to the PNG of the same picture, the lossless ones equal it") {
  const image::Image png = image::decode_image(fixture("formats/photo.png"));
  REQUIRE(png.width == 40);
  // Tolerances: what the encoders lose at quality 90 on this picture, with a margin
  // (measured by make_codec_fixtures.py: WebP max 14, HEIC 6, AVIF 8; TIFF-in-JPEG 21).
  for (const char* file : {"lossy.webp", "lossy_alpha.webp", "photo.heic", "photo.avif", "alpha.avif", "jpeg_ycbcr.tif"}) {
    CAPTURE(file);
    const image::Image image = image::decode_image(fixture(std::string("formats/") + file));
    REQUIRE(image.width == png.width);
    REQUIRE(image.height == png.height);
    const Difference d = difference(image.rgb, png.rgb);
    CAPTURE(d.max);
    CAPTURE(d.mean);
    CHECK(d.max <= 24);
    CHECK(d.mean <= 3.0);
    CHECK(d.max > 0);  // really lossy: the comparison is not against the file itself
  }
  for (const char* file : {"tiled.tif", "planar.tif"}) {
    CAPTURE(file);
    CHECK(image::decode_image(fixture(std::string("formats/") + file)).rgb == png.rgb);
  }
  const image::Image small_png = image::decode_image(fixture("formats/rgb8.png"));
  for (const char* file : {"lossless.webp", "alpha.webp", "animated.webp", "rgb8.tif", "rgba8.tif", "two_pages.tif"}) {
    CAPTURE(file);
    CHECK(image::decode_image(fixture(std::string("formats/") + file)).rgb == small_png.rgb);
  }
}

TEST_CASE("16-bit TIFF samples keep their high byte, as the 16-bit PNGs") {
  CHECK(image::decode_image(fixture("formats/rgb16.tif")).rgb == image::decode_image(fixture("formats/rgb16.png")).rgb);
  CHECK(image::decode_image(fixture("formats/gray16.tif")).rgb == image::decode_image(fixture("formats/gray16.png")).rgb);
}

TEST_CASE("WebP EXIF and the TIFF Orientation tag turn the picture, once; --no-exif-rotate keeps it as stored") {
  const image::DecodeOptions raw{.apply_exif_orientation = false};
  const image::Image upright_webp = image::decode_image(fixture("formats/lossless.webp"));
  for (const char* file : {"exif6.webp", "exif3_prefixed.webp"}) {
    CAPTURE(file);
    CHECK(image::decode_image_memory(bytes_of(file), file, raw).rgb == upright_webp.rgb);
  }
  CHECK(image::read_exif_orientation(bytes_of("exif6.webp")) == 6);
  CHECK(image::read_exif_orientation(bytes_of("exif3_prefixed.webp")) == 3);
  CHECK(image::read_exif_orientation(bytes_of("lossy.webp")) == 1);
  const image::Image turned = image::decode_image(fixture("formats/exif6.webp"));
  CHECK(turned.width == 7);
  CHECK(turned.height == 13);
  CHECK(turned.rgb == image::apply_exif_orientation(upright_webp, 6).rgb);

  const image::Image stored_tiff = image::decode_image(fixture("formats/rgb8.tif"));
  for (int orientation : {6, 8}) {
    const std::string file = "orientation" + std::to_string(orientation) + ".tif";
    CAPTURE(file);
    const image::Image image = image::decode_image(fixture("formats/" + file));
    CHECK(image.width == 7);
    CHECK(image.height == 13);
    CHECK(image.rgb == image::apply_exif_orientation(stored_tiff, orientation).rgb);
    CHECK(image::decode_image_memory(bytes_of(file), file, raw).rgb == stored_tiff.rgb);
  }
}

TEST_CASE("HEIF: irot is applied by libheif, an EXIF orientation inside HEIF is not applied on top") {
  const image::Image photo = image::decode_image(fixture("formats/photo.heic"));
  const image::Image rotated = image::decode_image(fixture("formats/irot90.heic"));
  CHECK(rotated.width == 24);
  CHECK(rotated.height == 40);
  // irot 1 = 90 degrees anti-clockwise = EXIF orientation 8's turn; same coded picture.
  CHECK(rotated.rgb == image::apply_exif_orientation(photo, 8).rgb);
  // irot belongs to the HEIF picture: --no-exif-rotate keeps it.
  const image::DecodeOptions raw{.apply_exif_orientation = false};
  CHECK(image::decode_image_memory(bytes_of("irot90.heic"), "irot90.heic", raw).rgb == rotated.rgb);
  const image::Image exif6 = image::decode_image(fixture("formats/exif6.heic"));
  CHECK(exif6.width == 40);
  CHECK(exif6.height == 24);
}

TEST_CASE("the new formats are recognised by their bytes, whatever the name") {
  CHECK(image::sniff_image_format(bytes_of("lossy.webp")) == image::ImageFormat::webp);
  CHECK(image::sniff_image_format(bytes_of("rgb8.tif")) == image::ImageFormat::tiff);
  CHECK(image::sniff_image_format(bytes_of("photo.heic")) == image::ImageFormat::heif);
  CHECK(image::sniff_image_format(bytes_of("photo.avif")) == image::ImageFormat::avif);
  const image::Image image = image::decode_image_memory(bytes_of("photo.avif"), "holiday.jpg");
  CHECK(image.width == 40);
  // Big-endian TIFF and a generic mif1 HEIF brand with heic among the compatible brands.
  using namespace std::string_view_literals;
  const auto with = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
  CHECK(image::sniff_image_format(with("MM\0*\0\0\0\x08"sv)) == image::ImageFormat::tiff);
  CHECK(image::sniff_image_format(with("\0\0\0\x18" "ftypmif1\0\0\0\0mif1heic"sv)) == image::ImageFormat::heif);
  CHECK(image::sniff_image_format(with("\0\0\0\x18" "ftypisom\0\0\0\0isommp41"sv)) == std::nullopt);
}

TEST_CASE("unsupported variants say which") {
  const std::string message = error_decoding(bytes_of("float32.tif"), "float32.tif");
  check_clean_error(message, "float32.tif");
  CHECK(message == "float32.tif: unsupported TIFF variant (32-bit floating-point or complex samples; 8 and 16-bit "
                   "unsigned are read)");
}

TEST_CASE("truncated and corrupt WebP, TIFF, HEIF and AVIF files give one line naming the file") {
  // Cut in the middle of the compressed data.
  struct Case {
    const char* file;
    const char* starts;
  };
  for (const Case c : {Case{"lossy.webp", "truncated WebP"}, Case{"lossless.webp", "truncated WebP"},
                       Case{"rgb8.tif", "corrupt or truncated TIFF"}, Case{"tiled.tif", "corrupt or truncated TIFF"},
                       Case{"photo.heic", "corrupt or truncated HEIF"}, Case{"photo.avif", "corrupt or truncated AVIF"}}) {
    CAPTURE(c.file);
    Bytes bytes = bytes_of(c.file);
    const std::string name = std::string("cut_") + c.file;
    bytes.resize(bytes.size() * 2 / 3);
    const std::string message = error_decoding(bytes, name);
    check_clean_error(message, name);
    CHECK(message.find(c.starts) != std::string::npos);
  }
  // Header-only pieces.
  for (const char* file : {"lossy.webp", "rgb8.tif", "photo.heic", "photo.avif"}) {
    CAPTURE(file);
    Bytes bytes = bytes_of(file);
    bytes.resize(16);
    check_clean_error(error_decoding(bytes, file), file);
  }
}

TEST_CASE("headers claiming huge sizes are refused before decoding") {
  // VP8L: 14-bit width-1 and height-1 after the 0x2F signature byte.
  Bytes webp = bytes_of("lossless.webp");
  const uint32_t bits = (16383u) | (16383u << 14);
  for (int i = 0; i < 4; ++i) webp[21 + i] = uint8_t((bits >> (8 * i)) | (i == 3 ? webp[24] & 0xF0 : 0));
  CHECK(error_decoding(webp, "big.webp") ==
        "big.webp: image is 16384x16384 = 268435456 pixels, over the limit of 100000000 (100 megapixels)");

  // TIFF: ImageWidth / ImageLength of the first directory, patched where the header says.
  Bytes tiff = bytes_of("rgb8.tif");
  REQUIRE(tiff[0] == 'I');
  const auto le = [&](size_t at, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | tiff[at + i];
    return v;
  };
  const uint32_t ifd = le(4, 4);
  int patched = 0;
  for (uint32_t i = 0, n = le(ifd, 2); i < n; ++i) {
    const size_t at = ifd + 2 + 12 * i;
    const uint32_t tag = le(at, 2), type = le(at + 2, 2);
    if ((tag == 256 || tag == 257) && (type == 3 || type == 4)) {
      tiff[at + 8] = 0x30;  // 30000 = 0x7530
      tiff[at + 9] = 0x75;
      if (type == 4) tiff[at + 10] = tiff[at + 11] = 0;
      ++patched;
    }
  }
  REQUIRE(patched == 2);
  CHECK(error_decoding(tiff, "big.tif") ==
        "big.tif: image is 30000x30000 = 900000000 pixels, over the limit of 100000000 (100 megapixels)");

  // HEIF and AVIF: the primary item's ispe property (40x24 here; photo.heic is a grid of 64x64
  // tiles with ispe of their own), which libheif reports before decoding.
  for (const char* file : {"photo.heic", "photo.avif"}) {
    CAPTURE(file);
    Bytes heif = bytes_of(file);
    const uint8_t ispe_40x24[] = {'i', 's', 'p', 'e', 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 24};
    const auto ispe = std::search(heif.begin(), heif.end(), std::begin(ispe_40x24), std::end(ispe_40x24));
    REQUIRE(ispe != heif.end());
    const size_t at = size_t(ispe - heif.begin()) + 8;  // after the type and version/flags
    heif[at + 2] = heif[at + 6] = 0x4E;  // 20000 x 20000 (under libheif's own limit of 32768^2)
    heif[at + 3] = heif[at + 7] = 0x20;
    const std::string name = std::string("big_") + file;
    CHECK(error_decoding(heif, name) ==
          name + ": image is 20000x20000 = 400000000 pixels, over the limit of 100000000 (100 megapixels)");
  }

  // The limit is an option (the fuzz target lowers it).
  image::DecodeOptions small_limit;
  small_limit.max_pixels = 40 * 24 - 1;
  CHECK(error_decoding(bytes_of("photo.avif"), "a.avif", small_limit) ==
        "a.avif: image is 40x24 = 960 pixels, over the limit of 959");
}

TEST_CASE("every truncation of the new formats gives a clean error or a picture, never a crash") {
  for (const char* file : kCodecFiles) {
    CAPTURE(file);
    const Bytes bytes = bytes_of(file);
    int refused = 0;
    for (size_t n = 0; n < bytes.size(); n += std::max<size_t>(1, bytes.size() / 61)) {
      const Bytes cut(bytes.begin(), bytes.begin() + n);
      try {
        const image::Image image = image::decode_image_memory(cut, file);
        CHECK(image.rgb.size() == size_t(image.width) * image.height * 3);
      } catch (const Error& e) {
        check_clean_error(e.what(), file);
        ++refused;
      }
    }
    CHECK(refused > 0);
  }
}

TEST_CASE("random corruptions of the new formats give a clean error or a picture, never a crash") {
  uint64_t state = 0x2545F4914F6CDD1Dull;  // deterministic xorshift, as in test_decode.cpp
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (const char* file : kCodecFiles) {
    CAPTURE(file);
    const Bytes original = bytes_of(file);
    for (int round = 0; round < 150; ++round) {
      Bytes bytes = original;
      const int flips = 1 + int(next() % 4);
      for (int f = 0; f < flips; ++f) bytes[12 + next() % (bytes.size() - 12)] = uint8_t(next());
      if (next() % 4 == 0) bytes.resize(12 + next() % (bytes.size() - 12));
      try {
        const image::Image image = image::decode_image_memory(bytes, file);
        CHECK(image.rgb.size() == size_t(image.width) * image.height * 3);
      } catch (const Error& e) {
        check_clean_error(e.what(), file);
      }
    }
  }
}
