#include "cli/embed_metadata.h"

#include <exiv2/exiv2.hpp>
#include <unistd.h>

#include <filesystem>

#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

// Removes the temporary copy unless it was renamed into place.
struct TempCopy {
  fs::path path;
  bool kept = false;
  ~TempCopy() {
    std::error_code ec;
    if (!kept) fs::remove(path, ec);
  }
};

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
  const fs::path original(image_path);
  std::string temp_name = original.filename().string();
  temp_name.insert(0, 1, '.');
  temp_name += ".vkcap-" + std::to_string(::getpid());
  TempCopy temp{original.parent_path() / temp_name};
  std::error_code ec;
  fs::copy_file(original, temp.path, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(image_path + ": cannot copy the image to write its metadata (" + ec.message() + ")");
  try {
    auto image = Exiv2::ImageFactory::open(temp.path.string());
    if (!image.get()) throw Error(image_path + ": cannot open it to write metadata");
    if (!image->supportsMetadata(Exiv2::mdExif) && !image->supportsMetadata(Exiv2::mdXmp))
      throw Error(image_path + ": this image format cannot hold caption metadata (JPEG, PNG, TIFF and WebP can)");
    write_fields(*image, caption);
  } catch (const Exiv2::AnyError& e) {
    throw Error(image_path + ": cannot write the caption metadata (" + e.what() + ")");
  }
  // Keep the original's permissions on the replacement.
  fs::permissions(temp.path, fs::status(original, ec).permissions(), ec);
  fs::rename(temp.path, original, ec);
  if (ec) throw Error(image_path + ": cannot replace the image with its captioned copy (" + ec.message() + ")");
  temp.kept = true;
}

}  // namespace vkcap::cli
