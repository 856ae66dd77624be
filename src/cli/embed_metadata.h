#pragma once
// --write-metadata: the caption written into the image file's own metadata, where photo
// managers and screen readers look for it: XMP dc:description and Iptc4xmpCore:AltTextAccessibility
// (IPTC's alt text), EXIF ImageDescription and IPTC IIM Caption-Abstract. Exiv2 rewrites only the
// metadata segments; the compressed pixel data is copied byte for byte. The file is edited in
// memory and replaced atomically (replace_file_atomically), so a crash never leaves half an image.
#include <string>

namespace vkcap::cli {

// Throws vkcap::Error naming the file when it cannot hold metadata (BMP, GIF) or cannot be written.
void embed_caption_metadata(const std::string& image_path, const std::string& caption);

}  // namespace vkcap::cli
