#include "model/florence2_vision.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/channel_attention.h"
#include "kernels/linear_host.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace vkcap::model {

using kernels::BufferRef;

namespace {

constexpr uint64_t kFloat = sizeof(float);

}  // namespace

Florence2Vision::Florence2Vision(const WeightLoader& w, const Florence2VisionConfig& config, int image_height,
                                 int image_width, const Florence2WeightNames& names)
    : config_(config), image_height_(image_height), image_width_(image_width) {
  vk::Context& ctx = const_cast<WeightLoader&>(w).context();
  const float eps = config.layer_norm_eps;
  plan_ = plan_florence2_vision(config, image_height, image_width, ctx.info().max_storage_buffer_range);
  host_steps_ = kernels::host_products_enabled(ctx);

  for (size_t i = 0; i < config.stages.size(); ++i) {
    const DavitStage& spec = config.stages[i];
    const Florence2StagePlan& geometry = plan_.stages[i];
    Stage st;
    st.spec = spec;
    st.conv = geometry.conv;
    st.height = geometry.height;
    st.width = geometry.width;
    const int channels = st.conv.channels, d = spec.dim;
    const std::string conv = names.conv(int(i));
    {
      std::vector<float> weight = w.floats(conv + ".weight", {d, channels, spec.patch_size, spec.patch_size});
      std::vector<float> bias = w.floats(conv + ".bias", {d});
      std::vector<float> matrix =
          kernels::conv_weight_as_linear(weight.data(), d, channels, spec.patch_size, st.conv.layout);
      st.patch_conv = w.pack(matrix.data(), bias.data(), d, int(st.conv.patch_len()), kernels::WeightLayout::OutIn,
                             WeightUse::Encoder);
    }
    st.conv_norm = w.layer_norm(names.conv_norm(int(i)), spec.patch_prenorm ? channels : d, eps);
    for (int j = 0; j < spec.depth; ++j) {
      for (const bool spatial : {true, false}) {
        const Florence2WeightNames::BlockHalf n = names.block(int(i), j, spatial);
        Half h;
        h.conv1_weight = w.buffer(n.conv1 + ".weight", {d, 1, 3, 3});
        h.conv1_bias = w.buffer(n.conv1 + ".bias", {d});
        h.conv2_weight = w.buffer(n.conv2 + ".weight", {d, 1, 3, 3});
        h.conv2_bias = w.buffer(n.conv2 + ".bias", {d});
        h.attn_norm = w.layer_norm(n.attn_norm, d, eps);
        h.qkv = w.linear(n.qkv, 3 * d, d, true, WeightUse::Encoder);
        h.proj = w.linear(n.proj, d, d, true, WeightUse::Encoder);
        h.ffn_norm = w.layer_norm(n.ffn_norm, d, eps);
        h.fc1 = w.linear(n.fc1, config.mlp_ratio * d, d, true, WeightUse::Encoder);
        h.fc2 = w.linear(n.fc2, d, config.mlp_ratio * d, true, WeightUse::Encoder);
        (spatial ? st.spatial : st.channel).push_back(std::move(h));
      }
    }
    stages_.push_back(std::move(st));
  }

  // The projector: 2-D position embedding (column embedding in the first channels, row embedding
  // in the rest) plus the temporal table's row 0, folded into one table at load.
  const int d = config.out_dim(), gh = grid_height(), gw = grid_width();
  if (gh > config.pos_embed_max || gw > config.pos_embed_max)
    throw Error("image_pos_embed: a " + std::to_string(gh) + "x" + std::to_string(gw) +
                " token grid exceeds its " + std::to_string(config.pos_embed_max) + " positions per side");
  const int row_dim = d / 2, column_dim = d - d / 2;
  const std::vector<float> rows = w.floats(names.pos_embed_rows(), {config.pos_embed_max, row_dim});
  const std::vector<float> columns =
      w.floats(names.pos_embed_columns(), {config.pos_embed_max, column_dim});
  std::vector<float> temporal(static_cast<size_t>(d));
  if (w.has(names.temporal_table())) {
    const std::vector<float> table =
        w.floats(names.temporal_table(), {config.temporal_embed_max, d});
    std::copy(table.begin(), table.begin() + d, temporal.begin());
  } else {
    // The cosine table's row 0 (position 0): sin 0 = 0 on even channels, cos 0 = 1 on odd ones.
    for (int c = 0; c < d; ++c) temporal[c] = c % 2 == 1 ? 1.0f : 0.0f;
  }
  std::vector<float> position(size_t(gh) * gw * d);
  for (int y = 0; y < gh; ++y)
    for (int x = 0; x < gw; ++x) {
      float* out = &position[(size_t(y) * gw + x) * d];
      for (int c = 0; c < column_dim; ++c) out[c] = columns[size_t(x) * column_dim + c] + temporal[c];
      for (int c = 0; c < row_dim; ++c) out[column_dim + c] = rows[size_t(y) * row_dim + c] + temporal[column_dim + c];
    }
  position_ = ctx.upload_vector<float>(position);
  {
    const bool out_in = names.image_projection_is_out_in();
    std::vector<float> projection = w.floats(names.image_projection(), out_in ? std::vector<int64_t>{config.projection_dim, d}
                                                                               : std::vector<int64_t>{d, config.projection_dim});
    image_projection_ = w.pack(projection.data(), nullptr, config.projection_dim, d,
                               out_in ? kernels::WeightLayout::OutIn : kernels::WeightLayout::InOut, WeightUse::Encoder);
  }
  image_proj_norm_ = w.layer_norm(names.image_proj_norm(), config.projection_dim, eps);
  for (ImageFeatureSource s : config.feature_sources) feature_rows_ += s == ImageFeatureSource::SpatialAvgPool ? 1 : gh * gw;

  // Buffers, as planned (florence2_memory.h).
  for (vk::Buffer& b : tokens_) b = ctx.create_buffer(plan_.token_floats * kFloat);
  normed_ = ctx.create_buffer(plan_.token_floats * kFloat);
  attended_ = ctx.create_buffer(plan_.token_floats * kFloat);
  scratch_ = ctx.create_buffer(plan_.scratch_floats * kFloat);
  window_rows_ = ctx.create_buffer(plan_.window_floats * kFloat);
  channel_attn_ = ctx.create_buffer(plan_.channel_attn_floats * kFloat);
  pooled_ = ctx.create_buffer(uint64_t(feature_rows_) * d * kFloat);
  projected_ = ctx.create_buffer(uint64_t(feature_rows_) * config.projection_dim * kFloat);
}

kernels::LayerNormArgs Florence2Vision::norm(const LayerNormWeights& weights, BufferRef x, BufferRef y, int rows,
                                              int d) const {
  kernels::LayerNormArgs args = layer_norm_args(weights, x, y, rows, d);
  args.on_host = host_steps_;
  return args;
}

void Florence2Vision::record(vk::Recorder& rec, BufferRef pixels, BufferRef features) {
  current_ = 0;
  for (size_t i = 0; i < stages_.size(); ++i) {
    const Stage& st = stages_[i];
    record_stage(rec, st, i == 0 ? pixels : BufferRef(current()));
    for (size_t j = 0; j < st.spatial.size(); ++j) {
      record_half(rec, st, st.spatial[j], true);
      record_half(rec, st, st.channel[j], false);
    }
  }
  tower_output_ = &current();
  record_projector(rec, features);
}

void Florence2Vision::record_stage(vk::Recorder& rec, const Stage& st, BufferRef input) {
  const int in_channels = st.conv.channels, tokens_in = st.conv.height * st.conv.width;
  if (st.spec.patch_prenorm) {  // LayerNorm over the input channels of the token rows, then the conv
    kernels::record_layer_norm(rec, norm(st.conv_norm, input, normed_, tokens_in, in_channels));
    input = normed_;
  }
  kernels::record_conv2d(rec, {.input = input, .shape = st.conv, .w = &st.patch_conv, .y = other(), .scratch = scratch_});
  current_ ^= 1;
  if (!st.spec.patch_prenorm)
    kernels::record_layer_norm(rec, norm(st.conv_norm, current(), current(), st.tokens(), st.spec.dim));
}

void Florence2Vision::record_dwconv(vk::Recorder& rec, const Stage& st, const vk::Buffer& weight,
                                    const vk::Buffer& bias) {
  kernels::record_depthwise_conv(rec, {.x = current(), .weight = weight, .bias = bias, .y = other(),
                                       .height = st.height, .width = st.width, .channels = st.spec.dim,
                                       .on_host = host_steps_});
  current_ ^= 1;
}

void Florence2Vision::record_half(vk::Recorder& rec, const Stage& st, const Half& h, bool spatial) {
  const int d = st.spec.dim, n = st.tokens();
  record_dwconv(rec, st, h.conv1_weight, h.conv1_bias);
  kernels::record_layer_norm(rec, norm(h.attn_norm, current(), normed_, n, d));
  if (spatial) {
    kernels::WindowAttentionArgs wa;
    wa.x = normed_;
    wa.grid = {st.height, st.width, config_.window_size};
    wa.channels = d;
    wa.heads = st.spec.heads;
    wa.qkv = &h.qkv;
    wa.out = attended_;
    wa.window_rows = window_rows_;
    wa.window_qkv = scratch_;
    kernels::record_window_attention(rec, wa);
  } else {
    kernels::record_linear(rec, {.w = &h.qkv, .x = normed_, .m = n, .y = scratch_});
    kernels::record_channel_attention(rec, {.qkv = scratch_, .tokens = n, .channels = d, .groups = st.spec.groups,
                                            .attn = channel_attn_, .out = attended_,
                                            .on_host = host_steps_});
  }
  kernels::record_linear(rec, {.w = &h.proj, .x = attended_, .m = n, .y = current(), .residual = current()});
  record_dwconv(rec, st, h.conv2_weight, h.conv2_bias);
  kernels::record_layer_norm(rec, norm(h.ffn_norm, current(), normed_, n, d));
  record_mlp(rec, st, h);
}

void Florence2Vision::record_mlp(vk::Recorder& rec, const Stage& st, const Half& h) {
  // The hidden rows (4·dim floats each) go through the scratch in row blocks.
  const int d = st.spec.dim, n = st.tokens(), hidden = h.fc1.n;
  const int block = int(std::min<uint64_t>(uint64_t(n), scratch_.size() / kFloat / uint64_t(hidden)));
  for (int first = 0; first < n; first += block) {
    const int rows = std::min(block, n - first);
    const uint64_t at = uint64_t(first) * d;
    kernels::record_linear(rec, {.w = &h.fc1, .x = BufferRef(normed_, at), .m = rows, .y = scratch_,
                                 .activation = kernels::Activation::GeluErf});
    kernels::record_linear(rec, {.w = &h.fc2, .x = scratch_, .m = rows, .y = BufferRef(current(), at),
                                 .residual = BufferRef(current(), at)});
  }
}

void Florence2Vision::record_projector(vk::Recorder& rec, BufferRef features) {
  const int d = config_.out_dim(), n = grid_height() * grid_width();
  // t = tokens + position (into normed_), then the feature rows in the configured order.
  kernels::record_add(rec, current(), position_, normed_, int64_t(n) * d);
  uint64_t row = 0;
  for (ImageFeatureSource s : config_.feature_sources) {
    if (s == ImageFeatureSource::SpatialAvgPool) {
      kernels::record_mean_rows(rec, normed_, n, d, 0, BufferRef(pooled_, row * d));
      row += 1;
    } else {  // one frame: the temporal mean and the last frame are the tokens themselves
      rec.copy(normed_, pooled_, uint64_t(n) * d * kFloat, 0, row * d * kFloat);
      row += uint64_t(n);
    }
  }
  kernels::record_linear(rec, {.w = &image_projection_, .x = pooled_, .m = feature_rows_, .y = projected_});
  kernels::record_layer_norm(
      rec, layer_norm_args(image_proj_norm_, projected_, features, feature_rows_, config_.projection_dim));
}

double Florence2Vision::flops() const {
  double total = 0;
  for (const Stage& st : stages_) {
    const double n = st.tokens(), d = st.spec.dim, mlp = config_.mlp_ratio * d;
    const double windows = kernels::WindowGrid{st.height, st.width, config_.window_size}.windows();
    const double area = double(config_.window_size) * config_.window_size;
    total += 2 * n * d * double(st.conv.patch_len());
    const double half_common = 2 * n * d * (d + 2 * mlp) + 2 * 2 * n * d * 9;  // proj, fc1, fc2, two dwconvs
    const double spatial = 2 * windows * area * d * 3 * d + 4 * windows * area * area * d;
    const double channel = 2 * n * d * 3 * d + 4 * n * d * (d / st.spec.groups);
    total += st.spec.depth * (2 * half_common + spatial + channel);
  }
  const double n = double(grid_height()) * grid_width();
  return total + 2 * (n + 1) * config_.out_dim() * config_.projection_dim;
}

}  // namespace vkcap::model
