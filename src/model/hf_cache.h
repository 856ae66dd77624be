#pragma once
// Where a model lives: `--model` accepts a directory, or a Hugging Face model id (ORG/NAME) that
// is found in the local Hugging Face cache the way huggingface_hub lays it out:
//   <cache>/models--ORG--NAME/refs/main            (the revision "main" points at)
//   <cache>/models--ORG--NAME/snapshots/<rev>/...  (the files of each downloaded revision)
// vkcap never downloads; when the model is missing the error says how to get it. Which cache
// directory to look in is the caller's choice (the vkcap tool follows huggingface_hub's
// HF_HUB_CACHE / HF_HOME rules: cli/model_location.h).
#include <filesystem>
#include <string>

namespace vkcap::model {

// An existing directory is returned as is. Otherwise `spec` must be a model id found in
// `hub_cache`: the snapshot refs/main names, else the most recently written snapshot. Throws
// vkcap::Error with instructions (huggingface-cli download / git clone) when it is not there,
// or when `hub_cache` is empty (no cache to look in).
std::filesystem::path resolve_model(const std::string& spec, const std::filesystem::path& hub_cache);

}  // namespace vkcap::model
