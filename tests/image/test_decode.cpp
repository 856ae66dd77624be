// Decoding: every supported format gives Pillow's RGB (ImageOps.exif_transpose + convert("RGB")),
// and every bad file gives one clean line naming the file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "fixture_files.h"
#include "image/exif.h"
#include "image/image.h"
#include "util/error.h"

using namespace vkcap;
using namespace test_image;

namespace {

// stb_image's JPEG IDCT/upsampling differs from libjpeg-turbo's by a few levels at most.
constexpr int kJpegTolerance = 3;  // measured: 2 (colour), 1 (gray)

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string error_decoding(const std::vector<uint8_t>& bytes, std::string_view name = "photo.dat") {
  return error_of([&] { image::decode_image_memory(bytes, name); });
}

}  // namespace

TEST_CASE("every supported format and variant decodes to Pillow's RGB") {
  const auto manifest = read_json(fixture("formats/formats.json"));
  CHECK(manifest.size() >= 20);
  for (const auto& entry : manifest) {
    const std::string file = entry.at("file");
    CAPTURE(file);
    const image::Image image = image::decode_image(fixture("formats/" + file));
    CHECK(image.width == entry.at("width").get<int>());
    CHECK(image.height == entry.at("height").get<int>());
    const auto expected = read_bytes(fixture("formats/" + file + ".rgb"));
    REQUIRE(image.rgb.size() == expected.size());
    int max_diff = 0;
    for (size_t i = 0; i < expected.size(); ++i) max_diff = std::max(max_diff, std::abs(int(image.rgb[i]) - int(expected[i])));
    CAPTURE(max_diff);
    MESSAGE(file << ": max difference from Pillow " << max_diff);
    if (entry.at("exact").get<bool>())
      CHECK(max_diff == 0);
    else
      CHECK(max_diff <= kJpegTolerance);
  }
}

TEST_CASE("the format comes from the bytes, not the file name") {
  const auto png = read_bytes(fixture("formats/rgb8.png"));
  const image::Image image = image::decode_image_memory(png, "holiday.jpg");
  CHECK(image.width == 13);
  CHECK(image.height == 7);
}

TEST_CASE("EXIF orientation turns JPEG and PNG pictures upright, and can be turned off") {
  const auto upright = image::decode_image(fixture("formats/baseline.jpg"));
  for (const char* file : {"exif6.jpg", "exif8.jpg"}) {
    CAPTURE(file);
    const auto bytes = read_bytes(fixture(std::string("formats/") + file));
    const image::Image turned = image::decode_image_memory(bytes, file);
    CHECK(turned.width == upright.height);
    CHECK(turned.height == upright.width);
    const image::Image raw = image::decode_image_memory(bytes, file, image::DecodeOptions{.apply_exif_orientation = false});
    CHECK(raw.width == upright.width);
    CHECK(raw.rgb == upright.rgb);  // same encoder input, same pixels as stored
  }
  CHECK(image::read_exif_orientation(read_bytes(fixture("formats/exif3.jpg"))) == 3);
  CHECK(image::read_exif_orientation(read_bytes(fixture("formats/exif6.png"))) == 6);
  CHECK(image::read_exif_orientation(read_bytes(fixture("formats/baseline.jpg"))) == 1);
  CHECK(image::read_exif_orientation(read_bytes(fixture("formats/rgb8.png"))) == 1);
}

TEST_CASE("apply_exif_orientation: each of the 8 values maps the corners as Pillow's exif_transpose") {
  // 3x2 image whose pixels are numbered 0..5 in row-major order.
  image::Image image{3, 2, {}};
  for (int i = 0; i < 6; ++i) image.rgb.insert(image.rgb.end(), {uint8_t(i), 0, 0});
  const auto order = [](const image::Image& im) {
    std::vector<int> v;
    for (size_t i = 0; i < im.rgb.size(); i += 3) v.push_back(im.rgb[i]);
    return v;
  };
  // Image:  0 1 2
  //         3 4 5
  CHECK(order(image::apply_exif_orientation(image, 1)) == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(order(image::apply_exif_orientation(image, 2)) == std::vector<int>{2, 1, 0, 5, 4, 3});
  CHECK(order(image::apply_exif_orientation(image, 3)) == std::vector<int>{5, 4, 3, 2, 1, 0});
  CHECK(order(image::apply_exif_orientation(image, 4)) == std::vector<int>{3, 4, 5, 0, 1, 2});
  CHECK(order(image::apply_exif_orientation(image, 5)) == std::vector<int>{0, 3, 1, 4, 2, 5});
  CHECK(order(image::apply_exif_orientation(image, 6)) == std::vector<int>{3, 0, 4, 1, 5, 2});
  CHECK(order(image::apply_exif_orientation(image, 7)) == std::vector<int>{5, 2, 4, 1, 3, 0});
  CHECK(order(image::apply_exif_orientation(image, 8)) == std::vector<int>{2, 5, 1, 4, 0, 3});
  CHECK(image::apply_exif_orientation(image, 6).width == 2);
  CHECK(order(image::apply_exif_orientation(image, 9)) == order(image));
}

TEST_CASE("an empty file is refused with its name") {
  const auto path = std::filesystem::temp_directory_path() / "vkcap_test_empty.png";
  std::ofstream(path).close();
  const std::string message = error_of([&] { image::decode_image(path); });
  CHECK(message.find(path.string()) == 0);
  CHECK(message.find("not a supported image") != std::string::npos);
  std::filesystem::remove(path);
  CHECK(error_decoding({}) ==
        "photo.dat: not a supported image (empty file; supported: PNG, JPEG, BMP, GIF, WebP, TIFF, HEIF/HEIC, AVIF)");
}

TEST_CASE("a missing file is refused with its name") {
  const std::string message = error_of([] { image::decode_image("/nonexistent/cat.png"); });
  CHECK(message.find("/nonexistent/cat.png: ") == 0);
}

TEST_CASE("formats we do not decode are named in the error") {
  using Bytes = std::vector<uint8_t>;
  const auto with = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
  using namespace std::string_view_literals;
  CHECK(error_decoding(with("8BPS\0\x01\0\0"sv)).find("(Photoshop PSD;") != std::string::npos);
  CHECK(error_decoding(with("P6\n13 7\n255\n"sv)).find("(Netpbm;") != std::string::npos);
  // An MP4 video is ISO media too, but without an image brand.
  CHECK(error_decoding(with("\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2"sv)).find("a video?") != std::string::npos);
  CHECK(error_decoding(with("hello, world"sv)) ==
        "photo.dat: not a supported image (unknown format; supported: PNG, JPEG, BMP, GIF, WebP, TIFF, HEIF/HEIC, AVIF)");
}

TEST_CASE("every truncation of a PNG, JPEG, GIF and BMP gives a clean error or a picture, never a crash") {
  for (const char* file : {"rgb8.png", "progressive.jpg", "baseline.jpg", "still.gif", "rgb24.bmp", "palette.png"}) {
    CAPTURE(file);
    const auto bytes = read_bytes(fixture(std::string("formats/") + file));
    int refused = 0;
    for (size_t n = 0; n < bytes.size(); n += std::max<size_t>(1, bytes.size() / 97)) {
      const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
      try {
        const image::Image image = image::decode_image_memory(cut, file);
        CHECK(image.rgb.size() == size_t(image.width) * image.height * 3);
      } catch (const Error& e) {
        CHECK(std::string(e.what()).find(std::string(file) + ": ") == 0);
        ++refused;
      }
    }
    CHECK(refused > 0);
  }
}

TEST_CASE("a PNG cut in its pixel data is refused as corrupt or truncated") {
  auto bytes = read_bytes(fixture("formats/rgb8.png"));
  bytes.resize(bytes.size() - 40);
  CHECK(error_decoding(bytes, "cut.png").find("cut.png: corrupt or truncated PNG") == 0);
}

TEST_CASE("flipped bytes in the middle give a clean error or a picture, never a crash") {
  for (const char* file : {"rgb8.png", "baseline.jpg", "still.gif", "rgb24.bmp"}) {
    const auto original = read_bytes(fixture(std::string("formats/") + file));
    for (size_t at = 8; at < original.size(); at += 7) {
      auto bytes = original;
      bytes[at] ^= 0xA5;
      try {
        image::decode_image_memory(bytes, file);
      } catch (const Error&) {
      }
    }
  }
}

namespace {

// A PNG header (signature + IHDR) claiming the given size; no pixel data needed.
std::vector<uint8_t> png_claiming(uint32_t width, uint32_t height) {
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (uint32_t v : {width, height})
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
  b.insert(b.end(), {8, 2, 0, 0, 0});
  b.insert(b.end(), {0, 0, 0, 0});  // CRC (stb_image does not check it)
  b.insert(b.end(), {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82});
  return b;
}

}  // namespace

TEST_CASE("decompression bombs are refused from the header, before decoding") {
  CHECK(error_decoding(png_claiming(15000, 15000), "bomb.png") ==
        "bomb.png: image is 15000x15000 = 225000000 pixels, over the limit of 100000000 (100 megapixels)");
  CHECK(error_decoding(png_claiming(60000, 60000), "huge.png") ==
        "huge.png: image is 60000x60000 = 3600000000 pixels, over the limit of 100000000 (100 megapixels)");
  CHECK(error_decoding(png_claiming(10001, 10000), "b.png").find("over the limit") != std::string::npos);
  // Just under the limit passes the size check (and then fails only for missing pixel data).
  CHECK(error_decoding(png_claiming(10000, 10000), "ok.png").find("over the limit") == std::string::npos);
  CHECK(error_decoding(png_claiming(1u << 21, 1), "wide.png").find("is out of range") != std::string::npos);
  CHECK(error_decoding(png_claiming(0, 5), "zero.png") ==
        "zero.png: image size 0x5 is out of range (each side must be 1..1048576)");
}

TEST_CASE("JPEG and GIF headers claiming huge sizes are refused the same way") {
  // SOI, then a baseline SOF0: length 17, precision 8, height 60000, width 50000, 3 components.
  const std::vector<uint8_t> jpeg = {0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0xEA, 0x60, 0xC3, 0x50, 3,
                                     1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9};
  CHECK(error_decoding(jpeg, "big.jpg") ==
        "big.jpg: image is 50000x60000 = 3000000000 pixels, over the limit of 100000000 (100 megapixels)");
  const std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 0x10, 0x27, 0x20, 0x4E, 0, 0, 0, 0x3B};
  CHECK(error_decoding(gif, "big.gif") ==
        "big.gif: image is 10000x20000 = 200000000 pixels, over the limit of 100000000 (100 megapixels)");
}

TEST_CASE("a JPEG Huffman table with more than 256 codes is refused (stb_image would overflow)") {
  auto bytes = read_bytes(fixture("formats/baseline.jpg"));
  size_t dht = 0;
  for (size_t i = 2; i + 1 < bytes.size(); ++i)
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xC4) {
      dht = i;
      break;
    }
  REQUIRE(dht != 0);
  for (int i = 0; i < 16; ++i) bytes[dht + 5 + i] = 200;  // 16 × 200 code lengths
  CHECK(error_decoding(bytes, "evil.jpg") == "evil.jpg: corrupt JPEG (a Huffman table has more than 256 codes)");
}

TEST_CASE("thousands of random corruptions give a clean error or a picture, never a crash") {
  // Deterministic xorshift so a failure reproduces; run under VKCAP_SANITIZE to see memory errors.
  uint64_t state = 0x9E3779B97F4A7C15ull;
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (const char* file : {"baseline.jpg", "progressive.jpg", "gray.jpg", "exif6.jpg", "rgb8.png",
                           "palette_trns.png", "rgb16.png", "exif6.png", "still.gif", "animated.gif",
                           "rgb24.bmp", "palette8.bmp"}) {
    CAPTURE(file);
    const auto original = read_bytes(fixture(std::string("formats/") + file));
    for (int round = 0; round < 400; ++round) {
      auto bytes = original;
      const int flips = 1 + int(next() % 4);
      for (int f = 0; f < flips; ++f) bytes[2 + next() % (bytes.size() - 2)] = uint8_t(next());
      if (next() % 4 == 0) bytes.resize(2 + next() % (bytes.size() - 2));
      try {
        const image::Image image = image::decode_image_memory(bytes, file);
        CHECK(image.rgb.size() == size_t(image.width) * image.height * 3);
      } catch (const Error& e) {
        CHECK(std::string(e.what()).find(std::string(file) + ": ") == 0);
      }
    }
  }
}
