#pragma once
// Whether a model directory holds everything captioning reads, checked by name before anything
// loads: `vkcap caption` refuses an incomplete one as a usage error, `vkcap info` reports it.
#include <filesystem>
#include <string>
#include <vector>

namespace vkcap::cli {

// What is missing, one entry per need ("no tokenizer (vocab.txt, ...)"); empty when complete.
std::vector<std::string> missing_model_files(const std::filesystem::path& dir);

// "a; b; c".
std::string join_missing(const std::vector<std::string>& missing);

}  // namespace vkcap::cli
