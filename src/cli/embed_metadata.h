#pragma once
// --write-metadata: the caption written into the image file's own metadata, where photo
// managers and screen readers look for it: XMP dc:description and Iptc4xmpCore:AltTextAccessibility
// (IPTC's alt text), EXIF ImageDescription and IPTC IIM Caption-Abstract. Exiv2 rewrites only the
// metadata segments; the compressed pixel data is copied byte for byte. The file is edited in
// memory and replaced atomically (replace_file_atomically), so a crash never leaves half an image.
#include <string>
#include <string_view>

namespace vkcap::cli {

// The formats Exiv2 0.27 writes, and what each gets: JPEG and TIFF all four fields; PNG XMP,
// EXIF and IPTC (in iTXt/zTXt chunks); WebP XMP and EXIF (it has no IPTC). BMP and GIF have no
// place for them; HEIF/HEIC and AVIF do, but Exiv2 0.27 only reads those.
inline constexpr std::string_view kMetadataFormats = "JPEG, PNG, TIFF and WebP";

// Throws vkcap::Error naming the file when it cannot hold metadata (BMP, GIF, HEIF, AVIF) or
// cannot be written.
void embed_caption_metadata(const std::string& image_path, const std::string& caption);

}  // namespace vkcap::cli
