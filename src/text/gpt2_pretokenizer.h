#pragma once
// GPT-2's pre-tokenizer: re.findall of
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (the `regex` module; \s = Unicode White_Space), matched by hand over code points.
#include <string>
#include <string_view>
#include <vector>

namespace vkcap::text {

// Pieces of `text` (code points) in order; their concatenation is `text`.
std::vector<std::u32string_view> gpt2_pretokenize(std::u32string_view text);

}  // namespace vkcap::text
