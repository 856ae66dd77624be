// record_gather_rows (declared in kernels/attention.h): KV-cache reorder by beam parent.
#include <algorithm>
#include <string>

#include "kernels/attention.h"
#include "util/error.h"
#include "vk/context.h"

namespace vkcap::kernels {

namespace {
[[noreturn]] void fail(const std::string& what) { throw Error("record_gather_rows: " + what); }
}  // namespace

void record_gather_rows(vk::Recorder& rec, BufferRef src, BufferRef dst, BufferRef parent_i32, int rows,
                        int64_t row_elems, int64_t row_stride) {
  if (src.buffer == nullptr || dst.buffer == nullptr || parent_i32.buffer == nullptr) fail("a buffer is missing");
  if (src.buffer == dst.buffer) fail("dst must not alias src (gather into a second cache buffer)");
  if (rows < 1 || row_elems < 1) fail("rows " + std::to_string(rows) + " and row_elems " + std::to_string(row_elems) + " must be >= 1");
  if (row_stride < row_elems)
    fail("row_stride " + std::to_string(row_stride) + " is less than row_elems " + std::to_string(row_elems));
  // Parents index the same `rows` rows of src (a beam picks one of the previous beams).
  const uint64_t span = uint64_t(rows - 1) * row_stride + row_elems;
  if (src.available() < span || dst.available() < span)
    fail("rows*row_stride needs " + std::to_string(span) + " floats but src holds " +
         std::to_string(src.available()) + " and dst " + std::to_string(dst.available()));
  if (parent_i32.available() < uint64_t(rows)) fail("parent holds fewer than rows = " + std::to_string(rows) + " entries");
  if (src.offset + span > (uint64_t(1) << 32) || dst.offset + span > (uint64_t(1) << 32))
    fail("rows reach past 2^32 elements");
  struct Push {
    uint32_t src_off, dst_off, parent_off, row_elems, row_stride;
  } push{uint32_t(src.offset), uint32_t(dst.offset), uint32_t(parent_i32.offset), uint32_t(row_elems),
         uint32_t(row_stride)};
  constexpr uint32_t kGroup = 64;
  const vk::Kernel& kernel = rec.context().kernel({"gather_rows", 3, sizeof(Push), {kGroup}});
  const uint32_t groups = uint32_t(std::min<int64_t>((row_elems + kGroup - 1) / kGroup, 256));
  rec.dispatch(kernel, {vk::reads(*src.buffer), vk::writes(*dst.buffer), vk::reads(*parent_i32.buffer)}, push,
               groups, uint32_t(rows));
}

}  // namespace vkcap::kernels
