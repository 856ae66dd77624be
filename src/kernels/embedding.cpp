// record_embedding: see shaders/embedding.comp (out-of-range ids or positions give zero rows).
#include <algorithm>

#include "kernels/ops.h"
#include "kernels/ops_checks.h"

namespace vkcap::kernels {

void record_embedding(vk::Recorder& rec, BufferRef table, int vocab, BufferRef ids_i32, BufferRef positions,
                      int max_positions, BufferRef pos_i32, BufferRef y, int rows, int d) {
  using namespace ops_detail;
  const std::string op = "embedding";
  struct {
    uint32_t table_offset, vocab, ids_offset;
    uint32_t positions_offset, max_positions, pos_offset;
    uint32_t y_offset, rows, d, has_positions;
    uint32_t id_base, total_vocab;
  } p{};
  p.rows = dim(op, "rows", rows);
  p.d = dim(op, "d", d);
  p.vocab = dim(op, "vocab", vocab);
  p.table_offset = operand(op, "table", table, uint64_t(p.vocab) * p.d);
  p.ids_offset = operand(op, "ids", ids_i32, p.rows);
  p.y_offset = operand(op, "y", y, uint64_t(p.rows) * p.d);
  p.has_positions = positions.buffer ? 1 : 0;
  if (p.has_positions) {
    p.max_positions = dim(op, "max_positions", max_positions);
    p.positions_offset = operand(op, "positions", positions, uint64_t(p.max_positions) * p.d);
    p.pos_offset = operand(op, "pos", pos_i32, p.rows);
  }
  // Without positions the ids stand in for the unused bindings (not the table: a table over the
  // binding limit, windowed below, must not be bound whole there either).
  const vk::Buffer& pos_table = p.has_positions ? *positions.buffer : *ids_i32.buffer;
  const vk::Buffer& pos_ids = p.has_positions ? *pos_i32.buffer : *ids_i32.buffer;
  Grid g = row_grid(p.rows);
  // Tables over the binding limit (GPT-2's 50257×768 fp32 is 154 MB; lavapipe binds 128 MiB) are
  // bound one window of whole rows at a time.
  const vk::DeviceInfo& info = rec.context().info();
  const uint64_t row_bytes = uint64_t(p.d) * 4;
  const uint64_t align = std::max<uint64_t>(info.min_storage_buffer_offset_alignment, 4);
  uint64_t window_rows = std::max<uint64_t>(1, (info.max_storage_buffer_range - align) / row_bytes);
  const uint64_t table_bytes = uint64_t(p.vocab) * row_bytes;
  p.total_vocab = p.vocab;
  const uint64_t base_bytes = table.offset * 4;
  if (base_bytes + table_bytes <= info.max_storage_buffer_range) window_rows = p.vocab;
  for (uint64_t first = 0; first < p.vocab; first += window_rows) {
    const uint64_t rows_here = std::min<uint64_t>(window_rows, p.vocab - first);
    // Start the window at an aligned byte offset at or below the first row; the shader skips the
    // slack through table_offset.
    const uint64_t start = base_bytes + first * row_bytes;
    const uint64_t window_offset = start / align * align;
    const uint64_t slack = start - window_offset;
    const bool whole = window_rows == p.vocab;
    p.id_base = uint32_t(first);
    p.vocab = uint32_t(rows_here);
    p.table_offset = whole ? uint32_t(table.offset) : uint32_t(slack / 4);
    const vk::Use table_use = whole ? vk::reads(*table.buffer)
                                    : vk::reads_window(*table.buffer, window_offset, slack + rows_here * row_bytes);
    rec.dispatch(kernel(rec, "embedding", 5, sizeof(p)),
                 {table_use, vk::reads(*ids_i32.buffer), vk::reads(pos_table), vk::reads(pos_ids), vk::writes(*y.buffer)},
                 p, g.x, g.y);
    p.vocab = p.total_vocab;
  }
}

}  // namespace vkcap::kernels
