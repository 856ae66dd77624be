#include "model/florence2_vision.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/channel_attention.h"
#include "kernels/ops.h"
#include "util/error.h"

namespace vkcap::model {

using kernels::BufferRef;

namespace {

constexpr uint64_t kFloat = sizeof(float);

std::string stage_name(size_t i) { return "vision_tower stage " + std::to_string(i); }

}  // namespace

Florence2Vision::Florence2Vision(const WeightLoader& w, const Florence2VisionConfig& config, int image_height,
                                 int image_width)
    : config_(config), image_height_(image_height), image_width_(image_width) {
  vk::Context& ctx = const_cast<WeightLoader&>(w).context();
  const float eps = config.layer_norm_eps;
  const uint64_t binding = ctx.info().max_storage_buffer_range;
  if (config.stages.empty()) throw Error("Florence-2 vision config has no stages");

  // Geometry and weights, stage by stage.
  int channels = config.in_channels, height = image_height, width = image_width;
  uint64_t token_floats = 0, window_floats = 0, qkv_floats = 0, attn_floats = 0;
  for (size_t i = 0; i < config.stages.size(); ++i) {
    const DavitStage& spec = config.stages[i];
    Stage st;
    st.spec = spec;
    st.conv = {channels, height, width, spec.patch_size, spec.patch_stride, spec.patch_padding,
               i == 0 ? kernels::ImageLayout::Chw : kernels::ImageLayout::Hwc};
    st.height = st.conv.out_height();
    st.width = st.conv.out_width();
    if (st.height < 1 || st.width < 1)
      throw Error(stage_name(i) + ": a " + std::to_string(height) + "x" + std::to_string(width) +
                  " input is too small for its " + std::to_string(spec.patch_size) + "x" +
                  std::to_string(spec.patch_size) + " patch conv");
    const std::string conv = "vision_tower.convs." + std::to_string(i);
    {
      std::vector<float> weight = w.floats(conv + ".proj.weight", {spec.dim, channels, spec.patch_size, spec.patch_size});
      std::vector<float> bias = w.floats(conv + ".proj.bias", {spec.dim});
      std::vector<float> matrix =
          kernels::conv_weight_as_linear(weight.data(), spec.dim, channels, spec.patch_size, st.conv.layout);
      st.patch_conv = kernels::pack_linear(ctx, matrix.data(), bias.data(), spec.dim, int(st.conv.patch_len()),
                                           kernels::WeightLayout::OutIn, w.weight_type());
    }
    st.conv_norm = w.layer_norm(conv + ".norm", spec.patch_prenorm ? channels : spec.dim, eps);
    const int d = spec.dim;
    for (int j = 0; j < spec.depth; ++j) {
      for (const bool spatial : {true, false}) {
        const std::string p = "vision_tower.blocks." + std::to_string(i) + "." + std::to_string(j) +
                              (spatial ? ".spatial_block." : ".channel_block.");
        const std::string attn = p + (spatial ? "window_attn" : "channel_attn");
        Half h;
        h.conv1_weight = w.buffer(p + "conv1.fn.dw.weight", {d, 1, 3, 3});
        h.conv1_bias = w.buffer(p + "conv1.fn.dw.bias", {d});
        h.conv2_weight = w.buffer(p + "conv2.fn.dw.weight", {d, 1, 3, 3});
        h.conv2_bias = w.buffer(p + "conv2.fn.dw.bias", {d});
        h.attn_norm = w.layer_norm(attn + ".norm", d, eps);
        h.qkv = w.linear(attn + ".fn.qkv", 3 * d, d);
        h.proj = w.linear(attn + ".fn.proj", d, d);
        h.ffn_norm = w.layer_norm(p + "ffn.norm", d, eps);
        h.fc1 = w.linear(p + "ffn.fn.net.fc1", config.mlp_ratio * d, d);
        h.fc2 = w.linear(p + "ffn.fn.net.fc2", d, config.mlp_ratio * d);
        (spatial ? st.spatial : st.channel).push_back(std::move(h));
      }
    }
    const uint64_t tokens = uint64_t(st.tokens());
    const kernels::WindowGrid grid{st.height, st.width, config.window_size};
    token_floats = std::max({token_floats, tokens * d, tokens * uint64_t(channels)});
    window_floats = std::max(window_floats, uint64_t(grid.windows()) * grid.window_area() * d);
    qkv_floats = std::max(qkv_floats, tokens * 3 * d);
    attn_floats = std::max(attn_floats, uint64_t(d) * (d / spec.groups));
    // Channel attention reduces over every token, so one stage's q/k/v must be bound whole.
    if (tokens * 3 * d * kFloat > binding)
      throw Error(stage_name(i) + ": the channel attention's q/k/v of " + std::to_string(tokens) + " tokens x " +
                  std::to_string(3 * d) + " floats exceed one storage binding (maxStorageBufferRange " +
                  std::to_string(binding) + " bytes); use a smaller image size");
    stages_.push_back(std::move(st));
    channels = spec.dim, height = stages_.back().height, width = stages_.back().width;
  }
  if (token_floats * kFloat > binding)
    throw Error("vision_tower: " + std::to_string(token_floats * kFloat) +
                " bytes of token activations exceed one storage binding (maxStorageBufferRange " +
                std::to_string(binding) + " bytes); use a smaller image size");

  // The projector: 2-D position embedding (column embedding in the first channels, row embedding
  // in the rest) plus the temporal table's row 0, folded into one table at load.
  const int d = config.out_dim(), gh = grid_height(), gw = grid_width();
  if (gh > config.pos_embed_max || gw > config.pos_embed_max)
    throw Error("image_pos_embed: a " + std::to_string(gh) + "x" + std::to_string(gw) +
                " token grid exceeds its " + std::to_string(config.pos_embed_max) + " positions per side");
  const int row_dim = d / 2, column_dim = d - d / 2;
  const std::vector<float> rows = w.floats("image_pos_embed.row_embeddings.weight", {config.pos_embed_max, row_dim});
  const std::vector<float> columns =
      w.floats("image_pos_embed.column_embeddings.weight", {config.pos_embed_max, column_dim});
  std::vector<float> temporal(static_cast<size_t>(d));
  if (w.has("visual_temporal_embed.pos_idx_to_embed")) {
    const std::vector<float> table =
        w.floats("visual_temporal_embed.pos_idx_to_embed", {config.temporal_embed_max, d});
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
    std::vector<float> projection = w.floats("image_projection", {d, config.projection_dim});
    image_projection_ = kernels::pack_linear(ctx, projection.data(), nullptr, config.projection_dim, d,
                                             kernels::WeightLayout::InOut, w.weight_type());
  }
  image_proj_norm_ = w.layer_norm("image_proj_norm", config.projection_dim, eps);
  for (ImageFeatureSource s : config.feature_sources) feature_rows_ += s == ImageFeatureSource::SpatialAvgPool ? 1 : gh * gw;

  // Buffers. The scratch takes a stage's whole q/k/v (channel attention); the other users (conv
  // patches, MLP hidden rows, window q/k/v) run in blocks of whatever it holds, at least one
  // patch row, one MLP row and one window.
  uint64_t scratch_floats = qkv_floats;
  for (const Stage& st : stages_) {
    scratch_floats = std::max<uint64_t>(scratch_floats, uint64_t(st.conv.patch_len()));
    scratch_floats = std::max<uint64_t>(scratch_floats, uint64_t(config.mlp_ratio) * st.spec.dim);
    scratch_floats = std::max<uint64_t>(scratch_floats, uint64_t(config.window_size) * config.window_size * 3 * st.spec.dim);
  }
  const uint64_t binding_floats = (binding - 256) / kFloat;
  window_floats = std::min(window_floats, binding_floats);
  for (vk::Buffer& b : tokens_) b = ctx.create_buffer(token_floats * kFloat);
  normed_ = ctx.create_buffer(token_floats * kFloat);
  attended_ = ctx.create_buffer(token_floats * kFloat);
  scratch_ = ctx.create_buffer(std::min(scratch_floats, binding_floats) * kFloat);
  window_rows_ = ctx.create_buffer(window_floats * kFloat);
  channel_attn_ = ctx.create_buffer(attn_floats * kFloat);
  pooled_ = ctx.create_buffer(uint64_t(feature_rows_) * d * kFloat);
  projected_ = ctx.create_buffer(uint64_t(feature_rows_) * config.projection_dim * kFloat);
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
    kernels::record_layer_norm(rec, layer_norm_args(st.conv_norm, input, normed_, tokens_in, in_channels));
    input = normed_;
  }
  kernels::record_conv2d(rec, {.input = input, .shape = st.conv, .w = &st.patch_conv, .y = other(), .scratch = scratch_});
  current_ ^= 1;
  if (!st.spec.patch_prenorm)
    kernels::record_layer_norm(rec, layer_norm_args(st.conv_norm, current(), current(), st.tokens(), st.spec.dim));
}

void Florence2Vision::record_dwconv(vk::Recorder& rec, const Stage& st, const vk::Buffer& weight,
                                    const vk::Buffer& bias) {
  kernels::record_depthwise_conv(rec, {.x = current(), .weight = weight, .bias = bias, .y = other(),
                                       .height = st.height, .width = st.width, .channels = st.spec.dim});
  current_ ^= 1;
}

void Florence2Vision::record_half(vk::Recorder& rec, const Stage& st, const Half& h, bool spatial) {
  const int d = st.spec.dim, n = st.tokens();
  record_dwconv(rec, st, h.conv1_weight, h.conv1_bias);
  kernels::record_layer_norm(rec, layer_norm_args(h.attn_norm, current(), normed_, n, d));
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
                                            .attn = channel_attn_, .out = attended_});
  }
  kernels::record_linear(rec, {.w = &h.proj, .x = attended_, .m = n, .y = current(), .residual = current()});
  record_dwconv(rec, st, h.conv2_weight, h.conv2_bias);
  kernels::record_layer_norm(rec, layer_norm_args(h.ffn_norm, current(), normed_, n, d));
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
