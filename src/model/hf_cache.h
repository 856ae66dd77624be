#pragma once
// Where a model lives: `--model` accepts a directory, or a Hugging Face model id (ORG/NAME) that
// is found in the local Hugging Face cache the way huggingface_hub lays it out:
//   <cache>/models--ORG--NAME/refs/main            (the revision "main" points at)
//   <cache>/models--ORG--NAME/snapshots/<rev>/...  (the files of each downloaded revision)
// vkcap never downloads; when the model is missing the error says how to get it.
#include <filesystem>
#include <string>

namespace vkcap {

// The hub cache directory: $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
std::filesystem::path hf_hub_cache_dir();

// An existing directory is returned as is. Otherwise `spec` must be a model id found in the
// cache: the snapshot refs/main names, else the most recently written snapshot. Throws
// vkcap::Error with instructions (huggingface-cli download / git clone) when it is not there.
std::filesystem::path resolve_model(const std::string& spec);

}  // namespace vkcap
