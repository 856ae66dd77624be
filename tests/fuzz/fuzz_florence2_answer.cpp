// Florence-2 post-processing of arbitrary generated text, for every task. Bytes 0-1 and 2-3
// are the image width and height (little-endian, 1..65536), byte 4 picks the task; the rest is
// the text. A region must come out well formed: 4 box or 8 quad coordinates, polygons of pairs,
// every coordinate finite.
#include <cmath>
#include <string_view>

#include "text/florence2_postprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  using vkcap::text::Florence2Region;
  const int width = 1 + (data[0] | data[1] << 8), height = 1 + (data[2] | data[3] << 8);
  const auto tasks = vkcap::text::florence2_tasks();
  const std::string_view task = tasks[data[4] % tasks.size()].token;
  const std::string_view text(reinterpret_cast<const char*>(data + 5), size - 5);

  const vkcap::text::Florence2Result result = vkcap::text::florence2_post_process(text, task, width, height);
  auto check = [](const std::vector<float>& values) {
    for (float v : values)
      if (!std::isfinite(v)) __builtin_trap();
  };
  for (const Florence2Region& region : result.regions) {
    if (region.shape == Florence2Region::Shape::kPolygons) {
      if (region.polygons.empty()) __builtin_trap();
      for (const auto& polygon : region.polygons) {
        if (polygon.size() % 2 != 0) __builtin_trap();
        check(polygon);
      }
    } else {
      if (region.points.size() != (region.shape == Florence2Region::Shape::kQuad ? 8u : 4u)) __builtin_trap();
      check(region.points);
    }
  }
  (void)vkcap::text::florence2_result_json(result).dump();
  (void)vkcap::text::florence2_processor_json(result).dump();
  return 0;
}
