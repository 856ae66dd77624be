// record_embedding: see shaders/embedding.comp (out-of-range ids or positions give zero rows).
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
  // Without positions the table and ids stand in for the unused bindings.
  const vk::Buffer& pos_table = p.has_positions ? *positions.buffer : *table.buffer;
  const vk::Buffer& pos_ids = p.has_positions ? *pos_i32.buffer : *ids_i32.buffer;
  Grid g = row_grid(p.rows);
  rec.dispatch(kernel(rec, "embedding", 5, sizeof(p)),
               {vk::reads(*table.buffer), vk::reads(*ids_i32.buffer), vk::reads(pos_table), vk::reads(pos_ids),
                vk::writes(*y.buffer)},
               p, g.x, g.y);
}

}  // namespace vkcap::kernels
