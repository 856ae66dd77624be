#include "cli/embed_metadata.h"

#include <exiv2/exiv2.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "cli/platform.h"
#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

void write_fields(Exiv2::Image& image, const std::string& caption) {
  image.readMetadata();
  if (image.supportsMetadata(Exiv2::mdExif)) image.exifData()["Exif.Image.ImageDescription"] = caption;
  if (image.supportsMetadata(Exiv2::mdIptc)) {
    // IIM text is limited to 2000 bytes for Caption-Abstract.
    image.iptcData()["Iptc.Application2.Caption"] = caption.substr(0, 2000);
  }
  if (image.supportsMetadata(Exiv2::mdXmp)) {
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
    if (!image->supportsMetadata(Exiv2::mdExif) && !image->supportsMetadata(Exiv2::mdXmp))
      throw Error(image_path + ": this image format cannot hold caption metadata (JPEG, PNG, TIFF and WebP can)");
    write_fields(*image, caption);
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
