// The tokenizer files of a model directory, read by load_tokenizer from a scratch directory.
// The first byte picks the layout; the rest is the files in this order, separated by
// "--8<--" lines (an empty or absent part means the file is absent):
//   'w' vocab.txt, tokenizer_config.json, added_tokens.json, special_tokens_map.json
//   'b' vocab.json, merges.txt, tokenizer_config.json, added_tokens.json
//   't' tokenizer.json, tokenizer_config.json, special_tokens_map.json
// A tokenizer that loads then encodes and decodes a fixed text.
#include <array>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "text/tokenizer.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<std::string> names;
  switch (data[0]) {
    case 'w': names = {"vocab.txt", "tokenizer_config.json", "added_tokens.json", "special_tokens_map.json"}; break;
    case 'b': names = {"vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"}; break;
    case 't': names = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}; break;
    default: return 0;
  }
  const auto parts = vkcap::fuzz::split_parts({data + 1, size - 1}, names.size());
  const auto dir = vkcap::fuzz::scratch_dir("tokenizer_files");
  for (size_t i = 0; i < parts.size(); ++i)
    if (i == 0 || !parts[i].empty()) vkcap::fuzz::write_file(dir / names[i], parts[i]);
  try {
    const auto tokenizer = vkcap::text::load_tokenizer(dir);
    const auto ids = tokenizer->encode("A dog runs [SEP] on the <|endoftext|> beach, don't it? 狗 ", true);
    (void)tokenizer->decode(ids, true);
    (void)tokenizer->decode(ids, false);
    std::vector<int32_t> all;
    for (int32_t id = -2; id < int32_t(tokenizer->size()) + 2 && id < 512; ++id) all.push_back(id);
    (void)tokenizer->decode(all, false);
    (void)vkcap::text::add_blip_special_tokens(*tokenizer);
  } catch (const vkcap::Error&) {
  }
  return 0;
}
