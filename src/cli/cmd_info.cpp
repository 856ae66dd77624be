// `vkcap info MODEL`: what a checkpoint is before anything runs — architecture, sizes, the
// parameters and dtypes stored in its files, and the device memory it needs. Reads config.json
// and the weight file headers only; `--load` also loads it on the device and measures. A model
// directory without the files captioning needs (tokenizer, image processor config) is reported
// incomplete, and the exit code is 1.
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_files.h"
#include "cli/model_location.h"
#include "cli/notice.h"
#include "kernels/linear_host.h"
#include "model/caption_model.h"
#include "model/config.h"
#include "model/weight_store.h"

namespace vkcap::cli {

namespace {

struct InfoOptions {
  DeviceOptions device;
  std::string model;
  bool json = false, load = false, fp16 = false, quiet = false;
};

// The architecture and its sizes, as `info --json` reports them.
nlohmann::json architecture_json(const model::ModelConfig& config) {
  if (config.arch == model::Architecture::Florence2) {
    const model::Florence2VisionConfig& v = config.florence2.vision;
    const model::Florence2TextConfig& t = config.florence2.text;
    nlohmann::json dims = nlohmann::json::array(), depths = nlohmann::json::array();
    for (const model::DavitStage& s : v.stages) dims.push_back(s.dim), depths.push_back(s.depth);
    return {{"architecture", "Florence2ForConditionalGeneration (davit + bart)"},
            {"vision", {{"dims", dims}, {"depths", depths}, {"window_size", v.window_size},
                        {"projection_dim", v.projection_dim}}},
            {"text", {{"hidden_size", t.d_model}, {"encoder_layers", t.encoder_layers},
                      {"layers", t.decoder_layers}, {"heads", t.decoder_attention_heads},
                      {"intermediate_size", t.decoder_ffn_dim}, {"vocab_size", t.vocab_size},
                      {"max_positions", t.max_position_embeddings}}}};
  }
  const bool blip = config.arch == model::Architecture::Blip;
  const model::VisionConfig& v = config.vision;
  return {
      {"architecture", blip ? "BlipForConditionalGeneration" : "VisionEncoderDecoderModel (vit + gpt2)"},
      {"vision", {{"hidden_size", v.hidden_size}, {"intermediate_size", v.intermediate_size},
                  {"layers", v.num_hidden_layers}, {"heads", v.num_attention_heads}, {"image_size", v.image_size},
                  {"patch_size", v.patch_size}, {"image_tokens", v.num_positions()}}},
      {"text", blip ? nlohmann::json{{"hidden_size", config.blip_text.hidden_size},
                                     {"intermediate_size", config.blip_text.intermediate_size},
                                     {"layers", config.blip_text.num_hidden_layers},
                                     {"heads", config.blip_text.num_attention_heads},
                                     {"vocab_size", config.blip_text.vocab_size},
                                     {"max_positions", config.blip_text.max_position_embeddings}}
                    : nlohmann::json{{"hidden_size", config.gpt2.n_embd},
                                     {"intermediate_size", config.gpt2.n_inner},
                                     {"layers", config.gpt2.n_layer},
                                     {"heads", config.gpt2.n_head},
                                     {"vocab_size", config.gpt2.vocab_size},
                                     {"max_positions", config.gpt2.n_positions}}}};
}

void print_sizes(const model::ModelConfig& config) {
  if (config.arch == model::Architecture::Florence2) {
    const model::Florence2VisionConfig& v = config.florence2.vision;
    const model::Florence2TextConfig& t = config.florence2.text;
    std::string stages;
    for (const model::DavitStage& s : v.stages)
      stages += (stages.empty() ? "" : ", ") + std::to_string(s.dim) + "x" + std::to_string(s.depth);
    std::printf("  vision        DaViT stages (channels x depth) %s, window %d, projection %d\n", stages.c_str(),
                v.window_size, v.projection_dim);
    std::printf("  text          BART hidden %d, %d+%d layers, %d heads, mlp %d, vocab %d, positions %d\n", t.d_model,
                t.encoder_layers, t.decoder_layers, t.decoder_attention_heads, t.decoder_ffn_dim, t.vocab_size,
                t.max_position_embeddings);
    return;
  }
  const model::VisionConfig& v = config.vision;
  const nlohmann::json t = architecture_json(config)["text"];
  std::printf("  vision        hidden %d, %d layers, %d heads, mlp %d, image %dx%d, patch %d (%d tokens)\n",
              v.hidden_size, v.num_hidden_layers, v.num_attention_heads, v.intermediate_size, v.image_size,
              v.image_size, v.patch_size, v.num_positions());
  std::printf("  text          hidden %d, %d layers, %d heads, mlp %d, vocab %d, positions %d\n",
              t["hidden_size"].get<int>(), t["layers"].get<int>(), t["heads"].get<int>(),
              t["intermediate_size"].get<int>(), t["vocab_size"].get<int>(), t["max_positions"].get<int>());
}

std::string mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / (1 << 20));
  return text;
}

int run_info(const InfoOptions& o) {
  const std::filesystem::path dir = locate_model(o.model);
  const std::vector<std::string> missing = missing_model_files(dir);
  const model::ModelConfig config = model::load_model_config(dir);
  const model::WeightStore weights(dir);

  // Parameters as stored (tied weights count once, as the file holds them once).
  uint64_t parameters = 0, stored_bytes = 0;
  std::map<std::string, uint64_t> by_dtype;
  for (const std::string& name : weights.names()) {
    const std::optional<model::TensorView> t = weights.find(name);
    parameters += uint64_t(t->element_count());
    stored_bytes += t->bytes.size();
    by_dtype[std::string(model::dtype_name(t->dtype))] += uint64_t(t->element_count());
  }
  std::string dtype;
  for (const auto& [name, count] : by_dtype) dtype += (dtype.empty() ? "" : "+") + name;

  nlohmann::json j = {{"model", dir.string()}, {"weights_file", weights.source()}};
  j.update(architecture_json(config));
  j.update({
      {"parameters", parameters},
      {"stored_dtype", dtype},
      {"stored_bytes", stored_bytes},
      // Weights only; activations, KV caches and the cross K/V add a little per image and beam.
      {"estimated_device_bytes", {{"f32", parameters * 4}, {"f16", parameters * 2}}},
  });
  j["complete"] = missing.empty();
  if (!missing.empty()) j["missing"] = missing;
  if (o.load && missing.empty()) {
    vk::ContextOptions options = context_options(o.device);
    options.notice = [notices = o.quiet ? nullptr : stderr](const std::string& text) {
      print_notice(notices, "%s", text.c_str());
    };
    vk::Context ctx(options);
    model::ModelOptions model_options;
    model_options.weights = o.fp16 ? kernels::WeightType::F16 : kernels::WeightType::F32;
    auto m = std::make_unique<model::CaptionModel>(ctx, dir, model_options);
    // What the model's buffers hold, not the memory blocks the allocator reserved around them.
    j["device_bytes_after_load"] = ctx.allocator().stats().used_bytes;
    j["device_bytes_reserved"] = ctx.allocator().stats().allocated_bytes;
    // On a CPU device the encoders' weights live in host memory for OpenBLAS (kernels/linear_host.h).
    j["host_weight_bytes"] = kernels::host_weight_bytes_in_use();
    j["loaded_weights"] = o.fp16 ? "f16" : "f32";
    j["parameters_loaded"] = m->parameter_count();
  }

  // A model that cannot caption is reported, then the exit code says it failed.
  const int exit_code = missing.empty() ? 0 : 1;
  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return exit_code;
  }
  std::printf("%s\n  architecture  %s\n", dir.c_str(), j["architecture"].get<std::string>().c_str());
  print_sizes(config);
  std::printf("  parameters    %.2f M stored as %s in %s (%s)\n", double(parameters) / 1e6, dtype.c_str(),
              weights.source().c_str(), mib(stored_bytes).c_str());
  std::printf("  memory        about %s (f32) or %s (--fp16) of device memory for the weights\n",
              mib(parameters * 4).c_str(), mib(parameters * 2).c_str());
  if (j.contains("device_bytes_after_load")) {
    const uint64_t host = j["host_weight_bytes"].get<uint64_t>();
    const std::string host_part = host ? ", + " + mib(host) + " of host memory (encoder weights for OpenBLAS)" : "";
    std::printf("  loaded        %s of device memory in the model's buffers (%s weights; %s reserved)%s\n",
                mib(j["device_bytes_after_load"].get<uint64_t>()).c_str(), o.fp16 ? "f16" : "f32",
                mib(j["device_bytes_reserved"].get<uint64_t>()).c_str(),
                host_part.c_str());
  }
  if (!missing.empty())
    std::printf("  incomplete    cannot caption: %s\n", join_missing(missing).c_str());
  return exit_code;
}

}  // namespace

Run add_info_command(CLI::App& app) {
  auto o = std::make_shared<InfoOptions>();
  auto* c = app.add_subcommand("info", "what a model is: architecture, sizes, parameters, memory");
  c->add_option("model,-m,--model", o->model, "model directory or Hugging Face id in the local cache (default: bundled)");
  c->add_flag("--json", o->json, "one JSON object");
  c->add_flag("--load", o->load, "load it on the device and report the memory actually used");
  c->add_flag("--fp16", o->fp16, "with --load: fp16 weights");
  c->add_flag("-q,--quiet", o->quiet, "no notices on stderr");
  add_device_options(*c, o->device);
  return [o] { return run_info(*o); };
}

}  // namespace vkcap::cli
