#include "api/cross_attention_recorder.h"

#include <algorithm>

#include "util/error.h"

namespace vkcap::api {

CrossAttentionRecorder::CrossAttentionRecorder(model::CaptionModel& model, StepModel& inner)
    : model_(model), inner_(inner) {
  layers_ = model.decoder().spec().layers;
  heads_ = model.decoder().spec().heads;
  tokens_ = model.image_tokens();
  model_.decoder().keep_cross_attention(true);
}

CrossAttentionRecorder::~CrossAttentionRecorder() { model_.decoder().keep_cross_attention(false); }

void CrossAttentionRecorder::start(std::span<const int> images, std::span<const int32_t> prompt_ids,
                                   std::vector<float>& logits) {
  inner_.start(images, prompt_ids, logits);
  row_image_.assign(images.begin(), images.end());
  row_prefix_.assign(images.size(), std::vector<int32_t>(prompt_ids.begin(), prompt_ids.end()));
  capture();
}

void CrossAttentionRecorder::step(std::span<const int> parent, std::span<const int32_t> next_token,
                                  std::vector<float>& logits) {
  inner_.step(parent, next_token, logits);
  std::vector<int> row_image(parent.size());
  std::vector<std::vector<int32_t>> row_prefix(parent.size());
  for (size_t r = 0; r < parent.size(); ++r) {
    row_image[r] = row_image_.at(size_t(parent[r]));
    row_prefix[r] = row_prefix_.at(size_t(parent[r]));
    row_prefix[r].push_back(next_token[r]);
  }
  row_image_ = std::move(row_image);
  row_prefix_ = std::move(row_prefix);
  capture();
}

void CrossAttentionRecorder::capture() {
  const size_t per_row = size_t(heads_) * tokens_;
  std::vector<std::vector<float>*> slots(row_image_.size());
  for (size_t r = 0; r < row_image_.size(); ++r) {
    auto& w = weights_[{row_image_[r], row_prefix_[r]}];
    w.assign(size_t(layers_) * per_row, 0.0f);
    slots[r] = &w;
  }
  for (int layer = 0; layer < layers_; ++layer) {
    const std::vector<float> probs = model_.decoder().cross_attention(layer);  // [rows, heads, tokens]
    if (probs.size() < row_image_.size() * per_row)
      throw Error("internal: cross-attention of layer " + std::to_string(layer) + " has " +
                  std::to_string(probs.size()) + " values, expected " + std::to_string(row_image_.size() * per_row));
    for (size_t r = 0; r < row_image_.size(); ++r)
      std::copy_n(probs.begin() + ptrdiff_t(r * per_row), per_row, slots[r]->begin() + ptrdiff_t(layer * per_row));
  }
}

CrossAttentionMaps CrossAttentionRecorder::maps_for(const GeneratedSequence& sequence) const {
  CrossAttentionMaps maps;
  maps.steps = int(sequence.new_tokens.size());
  maps.layers = layers_;
  maps.heads = heads_;
  maps.image_tokens = tokens_;
  maps.patch_grid = model_.patch_grid();
  const size_t per_step = size_t(layers_) * heads_ * tokens_;
  maps.weights.reserve(per_step * maps.steps);
  const size_t prompt_len = sequence.tokens.size() - sequence.new_tokens.size();
  for (int k = 0; k < maps.steps; ++k) {
    std::vector<int32_t> prefix(sequence.tokens.begin(), sequence.tokens.begin() + ptrdiff_t(prompt_len + k));
    auto it = weights_.find({sequence.image, prefix});
    if (it == weights_.end())
      throw Error("internal: no cross-attention kept for new token " + std::to_string(k) + " of image " +
                  std::to_string(sequence.image));
    maps.weights.insert(maps.weights.end(), it->second.begin(), it->second.end());
  }
  return maps;
}

}  // namespace vkcap::api
