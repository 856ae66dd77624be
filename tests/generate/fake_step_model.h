#pragma once
// A generate::StepModel whose logits are a pure function of (image, whole token history), so that tests
// can write the table by hand. It keeps each row's history the way a KV cache would, follows
// `parent` exactly, and records every call so tests can check what the model was asked to do.
#include <cmath>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "generate/step_model.h"

namespace vkcap::test {

// Logits for the given probabilities (ln p), all other tokens −30 (≈ probability 0).
inline std::vector<float> logits_from_probs(int vocab, const std::vector<std::pair<int, double>>& probs) {
  std::vector<float> row(static_cast<size_t>(vocab), -30.0f);
  for (auto [token, p] : probs) row[static_cast<size_t>(token)] = static_cast<float>(std::log(p));
  return row;
}

class FakeStepModel : public generate::StepModel {
 public:
  using Table = std::function<std::vector<float>(int image, const std::vector<int32_t>& history)>;

  FakeStepModel(int vocab, Table table, int max_positions = 64) : vocab_(vocab), max_positions_(max_positions),
                                                                  table_(std::move(table)) {}

  // Model image i is looked up in the table as table_images[i] (to run one image of a batch alone).
  std::vector<int> table_images;

  struct StepCall {
    std::vector<int> parent;
    std::vector<int32_t> next_token;
  };
  std::vector<int> started_images;
  std::vector<StepCall> steps;

  // Whether generation may ask for top-k selections (start_top/step_top, answered by
  // generate::StepModel's host defaults from the table's whole rows) instead of whole rows.
  bool selects_top = false;
  int top_calls = 0, whole_row_calls = 0;
  bool selects_top_logits() const override { return selects_top; }
  void start_top(std::span<const int> images, std::span<const int32_t> prompt_ids, int k, generate::TopLogits& top) override {
    generate::StepModel::start_top(images, prompt_ids, k, top);
    ++top_calls;
    --whole_row_calls;  // the default went through start()
  }
  void step_top(std::span<const int> parent, std::span<const int32_t> next_token, int k, generate::TopLogits& top) override {
    generate::StepModel::step_top(parent, next_token, k, top);
    ++top_calls;
    --whole_row_calls;
  }

  int vocab_size() const override { return vocab_; }
  int max_positions() const override { return max_positions_; }

  void start(std::span<const int> images, std::span<const int32_t> prompt_ids, std::vector<float>& logits) override {
    started_images.assign(images.begin(), images.end());
    rows_.clear();
    for (int image : images) rows_.push_back({image, {prompt_ids.begin(), prompt_ids.end()}});
    fill(logits);
  }

  void step(std::span<const int> parent, std::span<const int32_t> next_token, std::vector<float>& logits) override {
    steps.push_back({{parent.begin(), parent.end()}, {next_token.begin(), next_token.end()}});
    std::vector<Row> next;
    for (size_t r = 0; r < parent.size(); ++r) {
      Row row = rows_.at(static_cast<size_t>(parent[r]));
      row.history.push_back(next_token[r]);
      next.push_back(std::move(row));
    }
    rows_ = std::move(next);
    fill(logits);
  }

 private:
  struct Row {
    int image;
    std::vector<int32_t> history;
  };

  void fill(std::vector<float>& logits) {
    ++whole_row_calls;
    logits.clear();
    for (const Row& row : rows_) {
      int image = table_images.empty() ? row.image : table_images.at(static_cast<size_t>(row.image));
      std::vector<float> r = table_(image, row.history);
      logits.insert(logits.end(), r.begin(), r.end());
    }
  }

  int vocab_;
  int max_positions_;
  Table table_;
  std::vector<Row> rows_;
};

}  // namespace vkcap::test
