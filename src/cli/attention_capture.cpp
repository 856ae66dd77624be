#include "cli/attention_capture.h"

#include <algorithm>
#include <charconv>

#include "util/error.h"

namespace vkcap::cli {

int parse_attention_layer(const std::string& text, int layers) {
  if (text == "mean") return kMeanOverLayers;
  if (text == "last") return layers - 1;
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value >= layers || value < -layers)
    throw Error("--attention-layer " + text + ": expected mean, last or a layer index 0.." +
                std::to_string(layers - 1) + " (negative counts from the end)");
  return value < 0 ? layers + value : value;
}

std::string attention_layer_name(int layer) { return layer == kMeanOverLayers ? "mean" : std::to_string(layer); }

AttentionCapture::AttentionCapture(model::CaptionModel& model, StepModel& inner, int layer)
    : model_(model), inner_(inner), layer_(layer) {
  const model::DecoderSpec& spec = model.decoder().spec();
  layers_ = spec.layers;
  heads_ = spec.heads;
  tokens_ = model.image_tokens();
  grid_ = model.patch_grid();
  if (layer_ != kMeanOverLayers && (layer_ < 0 || layer_ >= layers_))
    throw Error("--attention-layer " + std::to_string(layer_) + ": the decoder has layers 0.." +
                std::to_string(layers_ - 1));
  if (tokens_ != 1 + grid_ * grid_)
    throw Error(model.directory().string() + ": " + std::to_string(tokens_) + " image tokens are not a class token + " +
                std::to_string(grid_) + "x" + std::to_string(grid_) + " patches; cannot draw attention maps");
  model_.decoder().keep_cross_attention(true);
}

AttentionCapture::~AttentionCapture() { model_.decoder().keep_cross_attention(false); }

void AttentionCapture::start(std::span<const int> images, std::span<const int32_t> prompt_ids,
                             std::vector<float>& logits) {
  inner_.start(images, prompt_ids, logits);
  calls_.clear();
  Call call;
  call.image.assign(images.begin(), images.end());
  capture(call);
  calls_.push_back(std::move(call));
}

void AttentionCapture::step(std::span<const int> parent, std::span<const int32_t> next_token,
                            std::vector<float>& logits) {
  inner_.step(parent, next_token, logits);
  if (calls_.empty()) throw Error("internal: AttentionCapture::step before start");
  const Call& before = calls_.back();
  Call call;
  call.parent.assign(parent.begin(), parent.end());
  call.token.assign(next_token.begin(), next_token.end());
  for (int p : parent) call.image.push_back(before.image.at(size_t(p)));
  capture(call);
  calls_.push_back(std::move(call));
}

// Reads the probabilities [rows, heads, tokens] of the chosen layer(s) and averages them into
// [rows, tokens]. The mean over layers weighs every layer and head alike.
void AttentionCapture::capture(Call& call) const {
  const size_t rows = call.image.size(), per_row = size_t(heads_) * tokens_;
  call.maps.assign(rows * tokens_, 0.0f);
  const int first = layer_ == kMeanOverLayers ? 0 : layer_;
  const int last = layer_ == kMeanOverLayers ? layers_ - 1 : layer_;
  const float scale = 1.0f / float(heads_ * (last - first + 1));
  for (int l = first; l <= last; ++l) {
    const std::vector<float> probs = model_.decoder().cross_attention(l);
    if (probs.size() < rows * per_row)
      throw Error("internal: cross-attention of layer " + std::to_string(l) + " has " + std::to_string(probs.size()) +
                  " values, expected " + std::to_string(rows * per_row));
    for (size_t r = 0; r < rows; ++r)
      for (int h = 0; h < heads_; ++h) {
        const float* p = probs.data() + r * per_row + size_t(h) * tokens_;
        float* m = call.maps.data() + r * tokens_;
        for (int j = 0; j < tokens_; ++j) m[j] += scale * p[j];
      }
  }
}

std::vector<TokenAttention> AttentionCapture::maps_for(const GeneratedSequence& sequence) const {
  const size_t n = sequence.new_tokens.size();
  if (n == 0) return {};
  if (n > calls_.size())
    throw Error("internal: a sequence of " + std::to_string(n) + " new tokens but only " +
                std::to_string(calls_.size()) + " decoder calls were captured");
  // New token k was chosen from the logits of call k; call c >= 1 fed new token c-1. Walk back
  // from each row of call n-1 to find the one whose history is this sequence.
  std::vector<int> rows(n);
  bool found = false;
  for (size_t candidate = 0; candidate < calls_[n - 1].image.size() && !found; ++candidate) {
    int row = int(candidate);
    bool match = true;
    for (size_t c = n - 1; c >= 1 && match; --c) {
      rows[c] = row;
      match = calls_[c].token[size_t(row)] == sequence.new_tokens[c - 1];
      row = calls_[c].parent[size_t(row)];
    }
    rows[0] = row;
    found = match && calls_[0].image[size_t(row)] == sequence.image;
  }
  if (!found)
    throw Error("internal: no captured decoder row generated the tokens of image " + std::to_string(sequence.image));

  std::vector<TokenAttention> out(n);
  for (size_t k = 0; k < n; ++k) {
    const float* m = calls_[k].maps.data() + size_t(rows[k]) * tokens_;
    out[k].token = sequence.new_tokens[k];
    out[k].cls = m[0];
    out[k].patches.assign(m + 1, m + tokens_);
  }
  return out;
}

}  // namespace vkcap::cli
