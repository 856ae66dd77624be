#pragma once
// Checks of the row-wise and element-wise kernels (kernels/ops.h) against plain double
// references: layer norm (both variants), softmax / log-softmax, GELU, add, embedding,
// column means, and top-k, on awkward shapes.
#include <cstdint>
#include <vector>

#include "checks/check_result.h"
#include "kernels/ops.h"

namespace vkcap::checks {

// torch.nn.LayerNorm in double: biased variance, eps inside the sqrt.
std::vector<double> layer_norm_reference(const std::vector<float>& x, const std::vector<float>* residual, int rows,
                                         int d, int stride, const std::vector<float>& gamma,
                                         const std::vector<float>& beta, double eps);
// Row softmax or log-softmax in double.
std::vector<double> softmax_reference(const std::vector<float>& x, int rows, int n, bool log);
// Stable order by value descending (ties: lower index), NaN last.
std::vector<int32_t> order_reference(const float* row, int n);

// Layer norm: rows of d floats read with row stride d + stride_pad (odd pads make the Cpu
// variant read single floats, even ones 64-bit pairs).
struct LayerNormShape {
  int rows, d, stride_pad;
};
std::vector<LayerNormShape> layer_norm_shapes();
// on_host: as a host step (a CPU device's mapped buffers; kernels/host_ops.h).
CheckResult check_layer_norm(const CheckRun& run, vk::KernelVariant variant, const LayerNormShape& s,
                             bool on_host = false);
// A large mean (1e4), tiny (1e-4) and huge (1e4 spread) rows.
CheckResult check_layer_norm_magnitudes(const CheckRun& run, vk::KernelVariant variant);
// The residual added first (post-LN), y written into x or into the residual.
CheckResult check_layer_norm_residual(const CheckRun& run, vk::KernelVariant variant, bool into_residual);

struct RowsShape {
  int rows, n;
};
std::vector<RowsShape> softmax_shapes();
CheckResult check_softmax(const CheckRun& run, const RowsShape& s, bool log);
// The statistics mode (each row's max and Σ e^(x − max), what greedy and beam search read back
// beside the top-k), with a -inf logit in each row of more than one column.
std::vector<RowsShape> softmax_stats_shapes();
CheckResult check_softmax_stats(const CheckRun& run, const RowsShape& s);
// Magnitudes 1e4 and 1e-4, in place.
CheckResult check_softmax_magnitudes(const CheckRun& run, bool log);

// A masked logit (−inf) gives 0 (log: −inf); a row of only −inf gives NaN, as in torch.
CheckResult check_softmax_masked(const CheckRun& run, bool log);




// y = a + b (exactly float addition) for n elements; in_place: a += b then b += a.
CheckResult check_add(const CheckRun& run, size_t n);
CheckResult check_add_in_place(const CheckRun& run);

// Table rows plus position rows, out-of-range ids and positions giving zero rows.
CheckResult check_embedding(const CheckRun& run);

// Column means of rows (compensated), row stride 0 = cols.
struct MeanRowsShape {
  int rows, cols, stride;
};
std::vector<MeanRowsShape> mean_rows_shapes();
CheckResult check_mean_rows(const CheckRun& run, const MeanRowsShape& s);

// Top-k: indices exactly the reference order, values the inputs at those indices.
struct TopKShape {
  int rows, n, k;
};
std::vector<TopKShape> topk_shapes();
CheckResult check_topk(const CheckRun& run, const TopKShape& s);
// Ties broken by lower index, NaN ranked last (4 rows of 200, k = 64).
CheckResult check_topk_ties(const CheckRun& run);
struct TopK {
  std::vector<float> values;
  std::vector<int32_t> indices;
};
// Runs top-k on given rows, compares with the reference, and returns the device's output.
TopK run_topk(const CheckRun& run, CheckResult& result, const std::vector<float>& x, int rows, int n, int k);

}  // namespace vkcap::checks
