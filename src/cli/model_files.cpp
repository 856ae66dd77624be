#include "cli/model_files.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

std::vector<std::string> missing_model_files(const fs::path& dir) {
  std::error_code ec;
  auto has = [&](const char* name) { return fs::is_regular_file(dir / name, ec); };
  std::vector<std::string> missing;
  if (!has("config.json")) missing.push_back("no config.json");
  // The choices the loaders accept (model/weight_store.cpp, text/load_tokenizer.cpp).
  if (!has("model.safetensors") && !has("model.safetensors.index.json") && !has("pytorch_model.bin") &&
      !has("pytorch_model.bin.index.json"))
    missing.push_back("no weights (model.safetensors, pytorch_model.bin or their .index.json)");
  if (!has("vocab.txt") && !(has("vocab.json") && has("merges.txt")) && !has("tokenizer.json"))
    missing.push_back("no tokenizer (vocab.txt, vocab.json with merges.txt, or tokenizer.json)");
  if (!has("preprocessor_config.json")) missing.push_back("no preprocessor_config.json (the image processor)");
  return missing;
}

std::string join_missing(const std::vector<std::string>& missing) {
  std::string text;
  for (const std::string& m : missing) text += (text.empty() ? "" : "; ") + m;
  return text;
}

}  // namespace vkcap::cli
