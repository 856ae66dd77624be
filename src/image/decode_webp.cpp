// WebP through libwebp: lossy (VP8), lossless (VP8L), either with alpha (dropped, as
// convert("RGB") does: the stored colour of each pixel, not blended), and animated files'
// first frame (through libwebpdemux's animation decoder, which also places a frame smaller
// than the canvas; the canvas outside it is transparent black, as libwebp and Pillow start it).
#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>
#include <string>

#include "image/decoders.h"
#include "image/exif.h"
#include "util/error.h"

namespace vkcap::image {
namespace {

// One phrase per libwebp status: what is wrong with the file.
std::string problem(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OK: return "no error";
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory decoding WebP";
    case VP8_STATUS_INVALID_PARAM: return "corrupt WebP (invalid parameter)";
    case VP8_STATUS_BITSTREAM_ERROR: return "corrupt WebP (bitstream error)";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported WebP variant (a feature libwebp does not decode)";
    case VP8_STATUS_SUSPENDED:
    case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated WebP (the data ends early)";
    case VP8_STATUS_USER_ABORT: return "WebP decoding aborted";
  }
  return "corrupt WebP";
}

Image first_animation_frame(const DecodeRequest& request, int width, int height) {
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) throw Error(request.prefix + "libwebp version mismatch");
  options.color_mode = MODE_RGBA;  // not premultiplied: the stored colours
  options.use_threads = 0;
  const WebPData data{request.bytes.data(), request.bytes.size()};
  std::unique_ptr<WebPAnimDecoder, decltype(&WebPAnimDecoderDelete)> decoder(WebPAnimDecoderNew(&data, &options),
                                                                             &WebPAnimDecoderDelete);
  if (!decoder) throw Error(request.prefix + "corrupt or truncated animated WebP (its frames cannot be read)");
  WebPAnimInfo info;
  if (!WebPAnimDecoderGetInfo(decoder.get(), &info)) throw Error(request.prefix + "corrupt animated WebP");
  if (int(info.canvas_width) != width || int(info.canvas_height) != height)
    throw Error(request.prefix + "corrupt animated WebP (canvas size disagrees with its header)");
  uint8_t* rgba = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(decoder.get(), &rgba, &timestamp) || !rgba)
    throw Error(request.prefix + "corrupt or truncated animated WebP (its first frame cannot be decoded)");
  Image image{width, height, {}};
  image.rgb.resize(size_t(width) * height * 3);
  for (size_t i = 0, n = size_t(width) * height; i < n; ++i)
    for (int c = 0; c < 3; ++c) image.rgb[i * 3 + c] = rgba[i * 4 + c];
  return image;
}

}  // namespace

DecodedImage decode_webp(const DecodeRequest& request) {
  WebPBitstreamFeatures features;
  const VP8StatusCode header = WebPGetFeatures(request.bytes.data(), request.bytes.size(), &features);
  if (header != VP8_STATUS_OK) throw Error(request.prefix + problem(header) + " in its header");
  request.check_size(features.width, features.height);

  DecodedImage out;
  if (features.has_animation) {
    out.image = first_animation_frame(request, features.width, features.height);
  } else {
    out.image.width = features.width;
    out.image.height = features.height;
    out.image.rgb.resize(size_t(features.width) * features.height * 3);
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) throw Error(request.prefix + "libwebp version mismatch");
    config.output.colorspace = MODE_RGB;  // alpha, if any, is left out
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = out.image.rgb.data();
    config.output.u.RGBA.stride = features.width * 3;
    config.output.u.RGBA.size = out.image.rgb.size();
    const VP8StatusCode status = WebPDecode(request.bytes.data(), request.bytes.size(), &config);
    WebPFreeDecBuffer(&config.output);  // external memory: frees nothing of ours
    if (status != VP8_STATUS_OK) throw Error(request.prefix + problem(status));
  }
  out.orientation = read_exif_orientation(request.bytes);
  return out;
}

}  // namespace vkcap::image
