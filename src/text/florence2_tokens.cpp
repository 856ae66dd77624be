// The tokens Florence2Processor adds to BartTokenizer every time it is built, and how a model
// directory says it is Florence-2. Checkpoints differ in whether their tokenizer files already
// list these tokens; adding the missing ones in the processor's order gives the same ids either way.
#include <algorithm>
#include <string>
#include <vector>

#include "text/tokenizer.h"
#include "text/vocab_files.h"

namespace vkcap::text {
namespace fs = std::filesystem;

const std::vector<std::string>& florence2_processor_tokens() {
  static const std::vector<std::string> tokens = [] {
    std::vector<std::string> list = {"<od>", "</od>", "<ocr>", "</ocr>"};
    for (int bin = 0; bin < 1000; ++bin) list.push_back("<loc_" + std::to_string(bin) + ">");
    // "desciption" is spelled so in the processor, and the ids depend on the exact strings.
    for (const char* token : {"<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>", "<grounding>",
                              "</grounding>", "<seg>", "</seg>", "<sep>", "<region_cap>", "</region_cap>",
                              "<region_to_desciption>", "</region_to_desciption>", "<proposal>", "</proposal>",
                              "<poly>", "</poly>", "<and>"}) {
      list.push_back(token);
    }
    return list;
  }();
  return tokens;
}

void add_florence2_tokens(Tokenizer& tokenizer) { tokenizer.append_additional_special_tokens(florence2_processor_tokens()); }

namespace {

std::string string_field(const nlohmann::json& root, const char* key) {
  return root.is_object() && root.contains(key) && root[key].is_string() ? root[key].get<std::string>() : "";
}

}  // namespace

bool is_florence2_directory(const fs::path& model_dir) {
  auto read = [&](const char* name) {
    std::error_code ec;
    const fs::path path = model_dir / name;
    return fs::is_regular_file(path, ec) ? read_json_file(path) : nlohmann::json::object();
  };
  const nlohmann::json config = read("config.json");
  if (string_field(config, "model_type") == "florence2") return true;
  if (config.is_object() && config.contains("architectures") && config["architectures"].is_array()) {
    for (const auto& name : config["architectures"]) {
      if (name == "Florence2ForConditionalGeneration") return true;
    }
  }
  for (const char* name : {"processor_config.json", "preprocessor_config.json", "tokenizer_config.json"}) {
    if (string_field(read(name), "processor_class") == "Florence2Processor") return true;
  }
  return false;
}

}  // namespace vkcap::text
