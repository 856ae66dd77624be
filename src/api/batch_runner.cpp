#include "api/batch_runner.h"

#include <algorithm>

#include "image/image.h"
#include "util/error.h"

namespace vkcap::api {

BatchRunner::BatchRunner(CaptionEngine& engine, const PreparedGeneration& generation,
                         const GenerationOptions& options, const RunOptions& run)
    : engine_(engine), generation_(generation), options_(options), run_(run) {
  summary_.batch = std::max(1, run.batch);
}

RunSummary BatchRunner::run(std::span<const std::filesystem::path> images) {
  for (size_t next = 0; next < images.size();) {
    if (run_.stop_requested && run_.stop_requested()) {
      summary_.stopped = true;
      summary_.not_started = images.size() - next;
      break;
    }
    const size_t n = std::min(images.size() - next, size_t(summary_.batch));
    std::vector<Pending> batch(n);
    std::vector<Pending*> ready;
    for (size_t i = 0; i < n; ++i) {
      Pending& p = batch[i];
      p.result.index = next + i;
      p.result.image = images[next + i];
      if (summary_.device_lost) {
        p.result.error = p.result.image.string() + ": not run (device lost)";
        continue;
      }
      prepare(p);
      if (p.result.error.empty()) ready.push_back(&p);
    }
    if (!ready.empty()) {
      try {
        caption_group(ready);
      } catch (const Error& e) {
        // After a lost device nothing more can run: the rest are reported as not run.
        summary_.device_lost = dynamic_cast<const DeviceLostError*>(&e) != nullptr;
        for (Pending* p : ready)
          if (!p->result.caption) p->result.error = p->result.image.string() + ": " + e.what();
      }
    }
    for (Pending& p : batch) deliver(p);
    next += n;
  }
  return summary_;
}

void BatchRunner::prepare(Pending& p) const {
  try {
    image::DecodeOptions decode;
    decode.apply_exif_orientation = options_.apply_exif_orientation;
    const image::Image image = image::decode_image(p.result.image, decode);
    p.size = {image.width, image.height};
    p.pixels = engine_.model().pixel_values(image);
  } catch (const Error& e) {
    p.result.error = e.what();
  }
}

void BatchRunner::caption_group(const std::vector<Pending*>& group) {
  try {
    caption_batch(group);
  } catch (const OutOfMemoryError& e) {
    if (group.size() == 1) {
      group[0]->result.error = group[0]->result.image.string() + ": " + e.what();
      return;
    }
    const int half = int(group.size() + 1) / 2;
    if (half < summary_.batch) {
      engine_.notice("out of device memory with " + std::to_string(group.size()) +
                     " images at once; continuing with batches of " + std::to_string(half));
      summary_.batch = half;
    }
    caption_group({group.begin(), group.begin() + half});
    caption_group({group.begin() + half, group.end()});
  }
}

void BatchRunner::caption_batch(const std::vector<Pending*>& group) {
  std::vector<std::vector<float>> pixels;
  std::vector<ImageSize> sizes;
  pixels.reserve(group.size());
  for (const Pending* p : group) pixels.push_back(p->pixels), sizes.push_back(p->size);
  BatchTimes times;
  std::vector<Caption> captions =
      engine_.caption_pixels(pixels, sizes, generation_, options_.keep_cross_attention, &times);
  summary_.encode_ms += times.encode_ms;
  summary_.decode_ms += times.decode_ms;
  for (size_t i = 0; i < group.size(); ++i) {
    ImageResult& r = group[i]->result;
    r.encode_ms = times.encode_ms / double(group.size());  // the image's share of its batch
    r.decode_ms = times.decode_ms / double(group.size());
    summary_.new_tokens += captions[i].new_tokens.size();
    r.caption = std::move(captions[i]);
  }
}

void BatchRunner::deliver(Pending& p) {
  if (p.result.caption)
    ++summary_.captioned;
  else
    ++summary_.failed;
  if (run_.on_result) run_.on_result(std::move(p.result));
}

}  // namespace vkcap::api
