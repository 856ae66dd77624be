// record_im2col: see shaders/im2col.comp for the layout.
#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

void record_im2col(vk::Recorder& rec, BufferRef pixels, int channels, int height, int width, int patch,
                   BufferRef patches) {
  using namespace ops_detail;
  const std::string op = "im2col";
  struct {
    uint32_t pixels_offset, channels, height, width, patch, patches_offset, gh, gw;
  } p{};
  p.channels = dim(op, "channels", channels);
  p.patch = dim(op, "patch", patch);
  p.height = dim(op, "height", height, patch);
  p.width = dim(op, "width", width, patch);
  p.gh = p.height / p.patch;
  p.gw = p.width / p.patch;
  uint64_t total = uint64_t(p.gh) * p.gw * p.channels * p.patch * p.patch;
  p.pixels_offset = operand(op, "pixels", pixels, uint64_t(p.channels) * p.height * p.width);
  p.patches_offset = operand(op, "patches", patches, total);
  rec.dispatch(kernel(rec, "im2col", 2, sizeof(p)), {vk::reads(*pixels.buffer), vk::writes(*patches.buffer)}, p,
               flat_groups(total));
}

}  // namespace vkcap::kernels
