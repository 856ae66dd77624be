#pragma once
// A GPU text decoder seen through generation's StepModel interface.
#include "generate/step_model.h"
#include "model/caption_model.h"
#include "model/text_decoder.h"

namespace vkcap::api {

class DecoderStepModel : public generate::StepModel {
 public:
  explicit DecoderStepModel(model::TextDecoder& decoder) : decoder_(decoder) {}
  explicit DecoderStepModel(model::CaptionModel& model) : DecoderStepModel(model.decoder()) {}
  int vocab_size() const override { return decoder_.spec().vocab; }
  int max_positions() const override { return decoder_.spec().max_positions; }
  void start(std::span<const int> images, std::span<const int32_t> prompt_ids, std::vector<float>& logits) override {
    decoder_.start({images.begin(), images.end()}, {prompt_ids.begin(), prompt_ids.end()}, logits);
  }
  void step(std::span<const int> parent, std::span<const int32_t> next_token, std::vector<float>& logits) override {
    decoder_.step({parent.begin(), parent.end()}, {next_token.begin(), next_token.end()}, logits);
  }
  // The decoder selects each row's best logits on the device (greedy and beam search read
  // back k values a row, not the vocabulary).
  bool selects_top_logits() const override { return true; }
  void start_top(std::span<const int> images, std::span<const int32_t> prompt_ids, int k, generate::TopLogits& top) override {
    model::TopRows rows;
    decoder_.start({images.begin(), images.end()}, {prompt_ids.begin(), prompt_ids.end()}, k, rows);
    to_top_logits(std::move(rows), top);
  }
  void step_top(std::span<const int> parent, std::span<const int32_t> next_token, int k, generate::TopLogits& top) override {
    model::TopRows rows;
    decoder_.step({parent.begin(), parent.end()}, {next_token.begin(), next_token.end()}, k, rows);
    to_top_logits(std::move(rows), top);
  }

 private:
  static void to_top_logits(model::TopRows&& rows, generate::TopLogits& top) {
    top.k = rows.k;
    top.ids = std::move(rows.ids);
    top.logits = std::move(rows.logits);
    const size_t n = rows.stats.size() / 2;
    top.row_max.resize(n);
    top.row_exp_sum.resize(n);
    for (size_t r = 0; r < n; ++r) {
      top.row_max[r] = rows.stats[2 * r];
      top.row_exp_sum[r] = rows.stats[2 * r + 1];
    }
  }
  model::TextDecoder& decoder_;
};

}  // namespace vkcap::api
