// HEIF (HEIC: HEVC-coded) and AVIF (AV1-coded) through libheif: the primary image, colour
// converted to 8-bit RGB by libheif (10/12-bit images reduced to 8 bits), alpha dropped.
//
// Orientation: libheif applies the file's irot (rotation), imir (mirror) and clap (crop)
// transformations while decoding, which is what HEIF defines the picture to be (and what
// pillow-heif gives Pillow). The EXIF Orientation tag a HEIF file may carry is not applied on
// top: the standard makes irot/imir the normative orientation and the EXIF tag informative
// (iPhones write both, equal; applying both would turn a photo twice). So the orientation this
// decoder returns is always 1, and --no-exif-rotate does not undo irot/imir.
#include <libheif/heif.h>

#include <memory>
#include <string>
#include <string_view>

#include "image/decoders.h"
#include "util/error.h"

namespace vkcap::image {
namespace {

[[noreturn]] void fail(const DecodeRequest& request, const heif_error& error, const char* while_doing) {
  const std::string format(format_name(request.format));
  const std::string detail = one_line(error.message ? error.message : "unknown error");
  if (error.code == heif_error_Unsupported_feature || error.code == heif_error_Unsupported_filetype) {
    std::string hint;
    if (error.subcode == heif_suberror_Unsupported_codec)
      hint = request.format == ImageFormat::avif ? "; libheif has no AV1 decoder here (Debian: libheif-plugin-dav1d)"
                                                 : "; libheif has no HEVC decoder here (Debian: libheif-plugin-libde265)";
    throw Error(request.prefix + "unsupported " + format + " variant (" + detail + hint + ")");
  }
  if (error.code == heif_error_Memory_allocation_error)
    throw Error(request.prefix + "out of memory " + while_doing + " " + format + " (" + detail + ")");
  throw Error(request.prefix + "corrupt or truncated " + format + " (" + detail + ", " + while_doing + ")");
}

// dav1d, libheif's first choice for AV1, logs every problem of a corrupt file on stderr (libheif
// 1.15 leaves dav1d's default logger on), which would break the one-line error rule; libaom's
// decoder reports through return codes only. So libaom when libheif has it, else the default.
const char* quiet_av1_decoder() {
  static const char* const id = [] {
    const heif_decoder_descriptor* decoders[16];
    const int n = heif_get_decoder_descriptors(heif_compression_AV1, decoders, 16);
    for (int i = 0; i < n; ++i) {
      const char* name = heif_decoder_descriptor_get_id_name(decoders[i]);
      if (name && std::string_view(name).starts_with("aom")) return name;
    }
    return static_cast<const char*>(nullptr);
  }();
  return id;
}

}  // namespace

DecodedImage decode_heif(const DecodeRequest& request) {
  std::unique_ptr<heif_context, decltype(&heif_context_free)> context(heif_context_alloc(), &heif_context_free);
  if (!context) throw Error(request.prefix + "out of memory");
  heif_error error = heif_context_read_from_memory_without_copy(context.get(), request.bytes.data(),
                                                                request.bytes.size(), nullptr);
  if (error.code != heif_error_Ok) fail(request, error, "reading the boxes of");

  heif_image_handle* raw_handle = nullptr;
  error = heif_context_get_primary_image_handle(context.get(), &raw_handle);
  if (error.code != heif_error_Ok) fail(request, error, "finding the primary image of");
  std::unique_ptr<heif_image_handle, decltype(&heif_image_handle_release)> handle(raw_handle,
                                                                                  &heif_image_handle_release);
  // The size after irot/clap, from the ispe property: checked before anything is decoded.
  request.check_size(heif_image_handle_get_width(handle.get()), heif_image_handle_get_height(handle.get()));

  std::unique_ptr<heif_decoding_options, decltype(&heif_decoding_options_free)> options(
      heif_decoding_options_alloc(), &heif_decoding_options_free);
  options->ignore_transformations = 0;
  options->convert_hdr_to_8bit = 1;
  if (request.format == ImageFormat::avif) options->decoder_id = quiet_av1_decoder();
  heif_image* raw_image = nullptr;
  error = heif_decode_image(handle.get(), &raw_image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, options.get());
  if (error.code != heif_error_Ok) fail(request, error, "decoding");
  std::unique_ptr<heif_image, decltype(&heif_image_release)> image(raw_image, &heif_image_release);

  const int width = heif_image_get_width(image.get(), heif_channel_interleaved);
  const int height = heif_image_get_height(image.get(), heif_channel_interleaved);
  request.check_size(width, height);
  int stride = 0;
  const uint8_t* plane = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
  if (!plane || stride < width * 3)
    throw Error(request.prefix + "corrupt " + std::string(format_name(request.format)) + " (no RGB picture decoded)");

  DecodedImage out;
  out.image.width = width;
  out.image.height = height;
  out.image.rgb.resize(size_t(width) * height * 3);
  for (int y = 0; y < height; ++y)
    std::copy(plane + size_t(y) * stride, plane + size_t(y) * stride + size_t(width) * 3,
              out.image.rgb.begin() + size_t(y) * width * 3);
  return out;
}

}  // namespace vkcap::image
