#include "cli/embed_metadata.h"

#include <exiv2/exiv2.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "cli/platform.h"
#include "image/header_check.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

// Which kinds of metadata the file can take. Exiv2 0.27's WebP class declares no metadata
// support (supportsMetadata is false for all) yet reads and writes EXIF and XMP chunks (no IPTC:
// WebP has no place for it); every other class declares what it writes.
struct Writable {
  bool exif = false, iptc = false, xmp = false;
};

Writable writable(const Exiv2::Image& image, std::optional<image::ImageFormat> format) {
  if (format == image::ImageFormat::webp) return {true, false, true};
  // Exiv2 0.27 reads HEIF/AVIF (ISO media) but cannot write them.
  if (format == image::ImageFormat::heif || format == image::ImageFormat::avif) return {};
  return {image.supportsMetadata(Exiv2::mdExif), image.supportsMetadata(Exiv2::mdIptc),
          image.supportsMetadata(Exiv2::mdXmp)};
}

void write_fields(Exiv2::Image& image, const Writable& can, const std::string& caption) {
  image.readMetadata();
  if (can.exif) image.exifData()["Exif.Image.ImageDescription"] = caption;
  if (can.iptc) {
    // IIM text is limited to 2000 bytes for Caption-Abstract.
    image.iptcData()["Iptc.Application2.Caption"] = caption.substr(0, 2000);
  }
  if (can.xmp) {
    Exiv2::XmpData& xmp = image.xmpData();
    const Exiv2::LangAltValue alt("lang=x-default " + caption);
    // Through a Value pointer: Xmpdatum's templated operator= would store the text of the
    // value, and Exiv2 0.27 does not know AltTextAccessibility (IPTC 2021) to re-type it.
    for (const char* name : {"Xmp.dc.description", "Xmp.iptc.AltTextAccessibility"}) {
      const Exiv2::XmpKey key(name);
      if (auto old = xmp.findKey(key); old != xmp.end()) xmp.erase(old);
      xmp.add(key, &alt);
    }
  }
  image.writeMetadata();
}

}  // namespace

void embed_caption_metadata(const std::string& image_path, const std::string& caption) {
  // Exiv2 warns on stderr about oddities it copes with (maker notes and the like); only vkcap's
  // own one-line errors belong there.
  Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
  std::ifstream in(image_path, std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in) throw Error(image_path + ": cannot read the image to write its metadata");
  std::string edited;
  try {
    // Edited in memory, then written the way sidecars are: temporary file, fsync, rename.
    auto image = Exiv2::ImageFactory::open(reinterpret_cast<const Exiv2::byte*>(original.data()),
                                           static_cast<long>(original.size()));
    if (!image.get()) throw Error(image_path + ": cannot open it to write metadata");
    const auto format = image::sniff_image_format(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(original.data()), original.size()));
    const Writable can = writable(*image, format);
    if (!can.exif && !can.xmp) {
      const std::string name = format ? std::string(image::format_name(*format)) : "unknown format";
      const std::string writes = "--write-metadata writes " + std::string(kMetadataFormats);
      if (format == image::ImageFormat::heif || format == image::ImageFormat::avif)
        throw Error(image_path + ": cannot write caption metadata into " + name + " (Exiv2 only reads it; " + writes + ")");
      throw Error(image_path + ": this image format cannot hold caption metadata (" + name + "; " + writes + ")");
    }
    write_fields(*image, can, caption);
    Exiv2::BasicIo& io = image->io();
    io.seek(0, Exiv2::BasicIo::beg);
    const Exiv2::DataBuf bytes = io.read(static_cast<long>(io.size()));
    edited.assign(reinterpret_cast<const char*>(bytes.pData_), static_cast<size_t>(bytes.size_));
  } catch (const Exiv2::AnyError& e) {
    throw Error(image_path + ": cannot write the caption metadata (" + e.what() + ")");
  }
  std::error_code ec;
  const auto permissions = fs::status(image_path, ec).permissions();
  replace_file_atomically(image_path, edited, ec ? 0644u : static_cast<unsigned>(permissions));
}

}  // namespace vkcap::cli
