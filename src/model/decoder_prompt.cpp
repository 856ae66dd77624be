#include "model/decoder_prompt.h"

namespace vkcap::model {

std::vector<int32_t> decoder_prompt_for_blip(std::span<const int32_t> processor_input_ids, int32_t bos_token_id) {
  // [bos, eos] → [bos] is the same rule as the text case, so only the text case needs code.
  if (processor_input_ids.size() < 2) return {bos_token_id};
  std::vector<int32_t> ids(processor_input_ids.begin(), processor_input_ids.end() - 1);
  ids[0] = bos_token_id;
  return ids;
}

std::vector<int32_t> decoder_prompt_for_vitgpt2(std::span<const int32_t> prompt_ids, int32_t decoder_start_token_id) {
  std::vector<int32_t> ids;
  if (prompt_ids.empty() || prompt_ids.front() != decoder_start_token_id) ids.push_back(decoder_start_token_id);
  ids.insert(ids.end(), prompt_ids.begin(), prompt_ids.end());
  return ids;
}

}  // namespace vkcap::model
