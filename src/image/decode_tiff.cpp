// TIFF through libtiff, first page (directory) only.
//
// 8- and 16-bit unsigned gray, RGB and 8-bit palette images (strips or tiles, interleaved or
// planar, any compression libtiff decodes; JPEG-compressed YCbCr converted to RGB by libjpeg)
// are read sample by sample here, so that the rules match the other formats: alpha and other
// extra samples dropped, 16-bit samples keep their high byte (v >> 8, as Pillow's "RGB;16"
// unpackers), 16-bit colour map entries likewise. Everything else libtiff can show (1/2/4-bit,
// CMYK, Lab, uncompressed YCbCr, old-style JPEG) goes through its RGBA reader, which
// premultiplies unassociated alpha and rounds 16-bit samples instead of shifting them.
//
// The Orientation tag is returned for decode_image to apply, as for the EXIF tag of a JPEG;
// the RGBA reader is asked for the stored row and column order so it turns nothing itself.
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "util/error.h"

namespace vkcap::image {
namespace {

// The bytes being read, and the first error libtiff reported about them (libtiff's messages
// go to this handle's handler, not to stderr: it is the only thread-safe way).
struct Source {
  std::span<const uint8_t> bytes;
  uint64_t position = 0;
  std::string first_error;
};

tmsize_t read_proc(thandle_t handle, void* buffer, tmsize_t size) {
  auto* s = static_cast<Source*>(handle);
  if (size <= 0 || s->position >= s->bytes.size()) return 0;
  const size_t n = std::min<uint64_t>(uint64_t(size), s->bytes.size() - s->position);
  std::memcpy(buffer, s->bytes.data() + s->position, n);
  s->position += n;
  return tmsize_t(n);
}
tmsize_t write_proc(thandle_t, void*, tmsize_t) { return -1; }
toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
  auto* s = static_cast<Source*>(handle);
  const uint64_t base = whence == SEEK_CUR ? s->position : whence == SEEK_END ? s->bytes.size() : 0;
  if (offset > UINT64_MAX - base) return toff_t(-1);
  s->position = base + offset;
  return s->position;
}
int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t handle) { return static_cast<Source*>(handle)->bytes.size(); }
int map_proc(thandle_t, void**, toff_t*) { return 0; }
void unmap_proc(thandle_t, void*, toff_t) {}

int on_error(TIFF*, void* user_data, const char* module, const char* format, va_list args) {
  auto* s = static_cast<Source*>(user_data);
  if (s->first_error.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof text, format, args);
    s->first_error = module && *module ? std::string(module) + ": " + text : std::string(text);
  }
  return 1;  // handled: nothing on stderr
}
int on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }  // libtiff copes

using TiffHandle = std::unique_ptr<TIFF, decltype(&TIFFClose)>;

// Everything needed to turn one row of decoded samples into RGB.
struct Layout {
  uint32_t width = 0, height = 0;
  uint16_t bits = 8, samples = 1, photometric = PHOTOMETRIC_MINISBLACK, planar = PLANARCONFIG_CONTIG;
  const uint16_t* map_r = nullptr;  // colour map (palette images)
  const uint16_t* map_g = nullptr;
  const uint16_t* map_b = nullptr;
};

class TiffReader {
 public:
  TiffReader(TIFF* tif, const Layout& layout, Source& source, const std::string& prefix)
      : tif_(tif), l_(layout), source_(source), prefix_(prefix) {}

  Image read() {
    Image image{int(l_.width), int(l_.height), {}};
    image.rgb.resize(size_t(l_.width) * l_.height * 3);
    rgb_ = image.rgb.data();
    const int planes = l_.planar == PLANARCONFIG_SEPARATE ? l_.samples : 1;
    // Separate planes: only those that make the picture (gray or palette: 1, RGB: 3).
    const int needed = l_.photometric == PHOTOMETRIC_RGB || l_.photometric == PHOTOMETRIC_YCBCR ? 3 : 1;
    for (int plane = 0; plane < std::min(planes, needed); ++plane) {
      if (TIFFIsTiled(tif_))
        read_tiles(plane);
      else
        read_strips(plane);
    }
    return image;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw Error(prefix_ + "corrupt or truncated TIFF (" +
                one_line(source_.first_error.empty() ? what : source_.first_error) + ")");
  }

  // Samples of pixels [x0, x0 + count) of row y, starting at `data`; with separate planes the
  // data holds only sample `plane` of each pixel.
  void put_row(const uint8_t* data, uint32_t y, uint32_t x0, uint32_t count, int plane) {
    const int stride = l_.planar == PLANARCONFIG_SEPARATE ? 1 : l_.samples;
    const auto sample = [&](size_t index) -> unsigned {
      if (l_.bits == 8) return data[index];
      uint16_t v;
      std::memcpy(&v, data + index * 2, 2);  // libtiff gives host byte order
      return v >> 8;
    };
    uint8_t* out = rgb_ + (size_t(y) * l_.width + x0) * 3;
    for (uint32_t i = 0; i < count; ++i, out += 3) {
      const size_t at = size_t(i) * stride;
      switch (l_.photometric) {
        case PHOTOMETRIC_MINISBLACK:
          out[0] = out[1] = out[2] = uint8_t(sample(at));
          break;
        case PHOTOMETRIC_MINISWHITE:
          out[0] = out[1] = out[2] = uint8_t(255 - sample(at));
          break;
        case PHOTOMETRIC_PALETTE: {
          const unsigned index = data[at];  // 8-bit palettes only reach here
          out[0] = uint8_t(l_.map_r[index] >> 8);
          out[1] = uint8_t(l_.map_g[index] >> 8);
          out[2] = uint8_t(l_.map_b[index] >> 8);
          break;
        }
        default:  // RGB (JPEG YCbCr arrives as RGB)
          if (l_.planar == PLANARCONFIG_SEPARATE) {
            out[plane] = uint8_t(sample(at));
          } else {
            out[0] = uint8_t(sample(at));
            out[1] = uint8_t(sample(at + 1));
            out[2] = uint8_t(sample(at + 2));
          }
      }
    }
  }

  void read_strips(int plane) {
    uint32_t rows_per_strip = 0;
    TIFFGetFieldDefaulted(tif_, TIFFTAG_ROWSPERSTRIP, &rows_per_strip);
    rows_per_strip = std::clamp<uint32_t>(rows_per_strip, 1, l_.height);
    const tmsize_t row_bytes = TIFFScanlineSize(tif_), strip_bytes = TIFFStripSize(tif_);
    if (row_bytes <= 0 || strip_bytes <= 0 || strip_bytes / row_bytes < tmsize_t(rows_per_strip))
      fail("strip size");
    std::vector<uint8_t> buffer(static_cast<size_t>(strip_bytes));
    for (uint32_t y0 = 0; y0 < l_.height; y0 += rows_per_strip) {
      const uint32_t strip = TIFFComputeStrip(tif_, y0, uint16_t(plane));
      const tmsize_t got = TIFFReadEncodedStrip(tif_, strip, buffer.data(), strip_bytes);
      const uint32_t rows = std::min(rows_per_strip, l_.height - y0);
      if (got < tmsize_t(rows) * row_bytes) fail("strip " + std::to_string(strip) + " cannot be read");
      for (uint32_t r = 0; r < rows; ++r) put_row(buffer.data() + size_t(r) * row_bytes, y0 + r, 0, l_.width, plane);
    }
  }

  void read_tiles(int plane) {
    uint32_t tile_w = 0, tile_h = 0;
    TIFFGetField(tif_, TIFFTAG_TILEWIDTH, &tile_w);
    TIFFGetField(tif_, TIFFTAG_TILELENGTH, &tile_h);
    const tmsize_t row_bytes = TIFFTileRowSize(tif_), tile_bytes = TIFFTileSize(tif_);
    if (tile_w == 0 || tile_h == 0 || row_bytes <= 0 || tile_bytes / row_bytes < tmsize_t(tile_h)) fail("tile size");
    std::vector<uint8_t> buffer(static_cast<size_t>(tile_bytes));
    for (uint64_t y0 = 0; y0 < l_.height; y0 += tile_h) {
      for (uint64_t x0 = 0; x0 < l_.width; x0 += tile_w) {
        const uint32_t tile = TIFFComputeTile(tif_, uint32_t(x0), uint32_t(y0), 0, uint16_t(plane));
        if (TIFFReadEncodedTile(tif_, tile, buffer.data(), tile_bytes) < 0)
          fail("tile " + std::to_string(tile) + " cannot be read");
        const uint32_t rows = uint32_t(std::min<uint64_t>(tile_h, l_.height - y0));
        const uint32_t cols = uint32_t(std::min<uint64_t>(tile_w, l_.width - x0));
        for (uint32_t r = 0; r < rows; ++r)
          put_row(buffer.data() + size_t(r) * row_bytes, uint32_t(y0) + r, uint32_t(x0), cols, plane);
      }
    }
  }

  TIFF* tif_;
  const Layout& l_;
  Source& source_;
  const std::string& prefix_;
  uint8_t* rgb_ = nullptr;
};

// libtiff's own conversion, for the variants not read above.
Image read_through_rgba(TIFF* tif, const Layout& l, Source& source, const std::string& prefix) {
  char message[1024] = "";
  if (!TIFFRGBAImageOK(tif, message))
    throw Error(prefix + "unsupported TIFF variant (" + one_line(message) + ")");
  TIFFRGBAImage reader;
  if (!TIFFRGBAImageBegin(&reader, tif, 0, message))
    throw Error(prefix + "unsupported or corrupt TIFF (" + one_line(message) + ")");
  reader.req_orientation = reader.orientation;  // rows and columns as stored: no flips
  std::vector<uint32_t> raster(size_t(l.width) * l.height);
  const int ok = TIFFRGBAImageGet(&reader, raster.data(), l.width, l.height);
  TIFFRGBAImageEnd(&reader);
  if (!ok)
    throw Error(prefix + "corrupt or truncated TIFF (" +
                one_line(source.first_error.empty() ? "pixel data cannot be read" : source.first_error) + ")");
  Image image{int(l.width), int(l.height), {}};
  image.rgb.resize(raster.size() * 3);
  for (size_t i = 0; i < raster.size(); ++i) {
    image.rgb[i * 3] = uint8_t(TIFFGetR(raster[i]));
    image.rgb[i * 3 + 1] = uint8_t(TIFFGetG(raster[i]));
    image.rgb[i * 3 + 2] = uint8_t(TIFFGetB(raster[i]));
  }
  return image;
}

}  // namespace

DecodedImage decode_tiff(const DecodeRequest& request) {
  const std::string& prefix = request.prefix;
  Source source{request.bytes};
  std::unique_ptr<TIFFOpenOptions, decltype(&TIFFOpenOptionsFree)> options(TIFFOpenOptionsAlloc(),
                                                                           &TIFFOpenOptionsFree);
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), on_error, &source);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), on_warning, &source);
  // No single buffer of a picture within the pixel limit needs more (a 100 MP 16-bit RGBA
  // strip is 800 MB); a corrupt strip size asking for more is refused by libtiff.
  TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), tmsize_t(1) << 30);
  // "m": no memory mapping (the bytes are read through read_proc from our buffer).
  TiffHandle tif(TIFFClientOpenExt("tiff", "rm", &source, read_proc, write_proc, seek_proc, close_proc, size_proc,
                                   map_proc, unmap_proc, options.get()),
                 &TIFFClose);
  if (!tif)
    throw Error(prefix + "corrupt or truncated TIFF header (" +
                one_line(source.first_error.empty() ? "unreadable" : source.first_error) + ")");

  Layout l;
  if (!TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &l.width) || !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &l.height))
    throw Error(prefix + "corrupt TIFF (no image width or length)");
  request.check_size(l.width, l.height);
  uint16_t sample_format = SAMPLEFORMAT_UINT, compression = COMPRESSION_NONE;
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_BITSPERSAMPLE, &l.bits);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLESPERPIXEL, &l.samples);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_PLANARCONFIG, &l.planar);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLEFORMAT, &sample_format);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_COMPRESSION, &compression);
  if (!TIFFGetField(tif.get(), TIFFTAG_PHOTOMETRIC, &l.photometric))
    l.photometric = l.samples >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  if (sample_format == SAMPLEFORMAT_IEEEFP || sample_format == SAMPLEFORMAT_INT ||
      sample_format == SAMPLEFORMAT_COMPLEXINT || sample_format == SAMPLEFORMAT_COMPLEXIEEEFP)
    throw Error(prefix + "unsupported TIFF variant (" + std::to_string(l.bits) + "-bit " +
                (sample_format == SAMPLEFORMAT_INT ? "signed integer" : "floating-point or complex") +
                " samples; 8 and 16-bit unsigned are read)");

  // JPEG-compressed YCbCr: let libjpeg turn it into RGB, as every viewer does.
  if (l.photometric == PHOTOMETRIC_YCBCR && compression == COMPRESSION_JPEG && l.planar == PLANARCONFIG_CONTIG &&
      l.bits == 8 && l.samples == 3) {
    TIFFSetField(tif.get(), TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    l.photometric = PHOTOMETRIC_RGB;
  }
  const bool depth_ok = l.bits == 8 || (l.bits == 16 && l.photometric != PHOTOMETRIC_PALETTE);
  const bool colour_ok = ((l.photometric == PHOTOMETRIC_MINISBLACK || l.photometric == PHOTOMETRIC_MINISWHITE ||
                           l.photometric == PHOTOMETRIC_PALETTE) && l.samples >= 1) ||
                         (l.photometric == PHOTOMETRIC_RGB && l.samples >= 3);
  if (l.photometric == PHOTOMETRIC_PALETTE &&
      !TIFFGetField(tif.get(), TIFFTAG_COLORMAP, &l.map_r, &l.map_g, &l.map_b))
    throw Error(prefix + "corrupt TIFF (a palette image without a colour map)");

  DecodedImage out;
  if (depth_ok && colour_ok)
    out.image = TiffReader(tif.get(), l, source, prefix).read();
  else
    out.image = read_through_rgba(tif.get(), l, source, prefix);
  uint16_t orientation = ORIENTATION_TOPLEFT;
  TIFFGetField(tif.get(), TIFFTAG_ORIENTATION, &orientation);
  out.orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
  return out;
}

}  // namespace vkcap::image
