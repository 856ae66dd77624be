#include "api/cross_attention_recorder.h"

#include <algorithm>

#include "model/florence2_config.h"
#include "util/error.h"

namespace vkcap::api {

CrossAttentionRecorder::CrossAttentionRecorder(model::CaptionModel& model, generate::StepModel& inner)
    : model_(model), inner_(inner) {
  layers_ = model.decoder().spec().layers;
  heads_ = model.decoder().spec().heads;
  image_tokens_ = model.image_tokens();
  const int grid = model.patch_grid();
  // Florence-2's image rows are whatever image_feature_source lists; every released config
  // (and the default) gives [mean over the grid ; the grid], the layout the maps assume.
  const bool pooled_first = !model.is_florence2() || model.config().florence2.vision.feature_sources.front() ==
                                                         model::ImageFeatureSource::SpatialAvgPool;
  if (image_tokens_ != 1 + grid * grid || !pooled_first)
    throw Error(model.directory().string() + ": " + std::to_string(image_tokens_) +
                " image tokens are not a class (or pooled) token + " + std::to_string(grid) + "x" +
                std::to_string(grid) + " patches; cannot map attention onto the image");
  model_.decoder().keep_cross_attention(true);
}

CrossAttentionRecorder::~CrossAttentionRecorder() { model_.decoder().keep_cross_attention(false); }

void CrossAttentionRecorder::start(std::span<const int> images, std::span<const int32_t> prompt_ids,
                                   std::vector<float>& logits) {
  inner_.start(images, prompt_ids, logits);
  record_start(images);
}

void CrossAttentionRecorder::start_top(std::span<const int> images, std::span<const int32_t> prompt_ids, int k,
                                       generate::TopLogits& top) {
  inner_.start_top(images, prompt_ids, k, top);
  record_start(images);
}

void CrossAttentionRecorder::step(std::span<const int> parent, std::span<const int32_t> next_token,
                                  std::vector<float>& logits) {
  inner_.step(parent, next_token, logits);
  record_step(parent, next_token);
}

void CrossAttentionRecorder::step_top(std::span<const int> parent, std::span<const int32_t> next_token, int k,
                                      generate::TopLogits& top) {
  inner_.step_top(parent, next_token, k, top);
  record_step(parent, next_token);
}

void CrossAttentionRecorder::record_start(std::span<const int> images) {
  calls_.clear();
  keys_ = model_.decoder().cross_keys();
  if (keys_ < image_tokens_)
    throw Error("internal: the decoder attends to " + std::to_string(keys_) + " keys, fewer than the " +
                std::to_string(image_tokens_) + " image tokens");
  Call call;
  call.image.assign(images.begin(), images.end());
  capture(call);
  calls_.push_back(std::move(call));
}

void CrossAttentionRecorder::record_step(std::span<const int> parent, std::span<const int32_t> next_token) {
  if (calls_.empty()) throw Error("internal: CrossAttentionRecorder::step before start");
  const Call& before = calls_.back();
  Call call;
  call.parent.assign(parent.begin(), parent.end());
  call.token.assign(next_token.begin(), next_token.end());
  for (int p : parent) call.image.push_back(before.image.at(size_t(p)));
  capture(call);
  calls_.push_back(std::move(call));
}

void CrossAttentionRecorder::capture(Call& call) const {
  const size_t rows = call.image.size(), per_layer = size_t(heads_) * keys_;
  call.weights.assign(rows * layers_ * per_layer, 0.0f);
  for (int layer = 0; layer < layers_; ++layer) {
    const std::vector<float> probs = model_.decoder().cross_attention(layer);  // [rows, heads, keys]
    if (probs.size() < rows * per_layer)
      throw Error("internal: cross-attention of layer " + std::to_string(layer) + " has " +
                  std::to_string(probs.size()) + " values, expected " + std::to_string(rows * per_layer));
    for (size_t r = 0; r < rows; ++r)
      std::copy_n(probs.begin() + ptrdiff_t(r * per_layer), per_layer,
                  call.weights.begin() + ptrdiff_t((r * layers_ + layer) * per_layer));
  }
}

std::vector<int> CrossAttentionRecorder::rows_of(const generate::GeneratedSequence& sequence) const {
  const size_t n = sequence.new_tokens.size();
  if (n > calls_.size())
    throw Error("internal: a sequence of " + std::to_string(n) + " new tokens but only " +
                std::to_string(calls_.size()) + " decoder calls were recorded");
  // New token k was chosen from the logits of call k; call c >= 1 fed new token c-1. Walk back
  // from each row of call n-1 to find the one whose history is this sequence.
  std::vector<int> rows(n);
  for (size_t candidate = 0; candidate < calls_[n - 1].image.size(); ++candidate) {
    int row = int(candidate);
    bool match = true;
    for (size_t c = n - 1; c >= 1 && match; --c) {
      rows[c] = row;
      match = calls_[c].token[size_t(row)] == sequence.new_tokens[c - 1];
      row = calls_[c].parent[size_t(row)];
    }
    rows[0] = row;
    if (match && calls_[0].image[size_t(row)] == sequence.image) return rows;
  }
  throw Error("internal: no recorded decoder row generated the tokens of image " + std::to_string(sequence.image));
}

CrossAttentionMaps CrossAttentionRecorder::maps_for(const generate::GeneratedSequence& sequence) const {
  CrossAttentionMaps maps;
  maps.steps = int(sequence.new_tokens.size());
  maps.layers = layers_;
  maps.heads = heads_;
  maps.image_tokens = image_tokens_;
  maps.patch_grid = model_.patch_grid();
  maps.prompt_tokens = keys_ - image_tokens_;
  if (maps.steps == 0) return maps;
  const size_t per_row = size_t(layers_) * heads_ * keys_;
  maps.weights.reserve(per_row * maps.steps);
  const std::vector<int> rows = rows_of(sequence);
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto first = calls_[k].weights.begin() + ptrdiff_t(size_t(rows[k]) * per_row);
    maps.weights.insert(maps.weights.end(), first, first + ptrdiff_t(per_row));
  }
  return maps;
}

}  // namespace vkcap::api
