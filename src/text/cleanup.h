#pragma once
// Small string helpers shared by the tokenizers' decode paths.
#include <string>
#include <string_view>

namespace vkcap::text {

// transformers' clean_up_tokenization (tokenization_utils_base.py): undo the spaces that
// joining tokens put before punctuation and English contractions, in this order:
// " ." " ?" " !" " ," " ' " -> "'", " n't" " 'm" " 's" " 've" " 're".
std::string clean_up_tokenization(std::string text);

// Python str.strip() / lstrip() / rstrip() with no argument (Unicode whitespace), on UTF-8.
std::string_view python_strip(std::string_view text);
std::string_view python_lstrip(std::string_view text);
std::string_view python_rstrip(std::string_view text);

}  // namespace vkcap::text
