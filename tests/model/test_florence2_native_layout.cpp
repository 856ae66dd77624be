// transformers' own Florence-2 layout (florence-community/*): a golden fixture converted the way
// transformers' conversion script does it — tensors renamed, image_projection transposed to
// [out, in], the token table padded with `<image>` (51289) and rows up to a multiple of 64 (new
// rows the mean of the old, as resize_token_embeddings initialises them), lm_head.weight stored,
// no final_logits_bias, and the port's config.json keys. The port's LM head has no bias, so the
// golden's non-zero final_logits_bias cannot be carried over; the reference is therefore the
// same fixture in Microsoft's layout with that bias zeroed, run by the Microsoft-layout path the
// golden tests hold exact (test_florence2_text.cpp). Both must give the same encoder output,
// first-step logits (plus the padded rows) and greedy and beam tokens.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "api/decoder_step_model.h"
#include "common/gpu/harness.h"
#include "generate/generate.h"
#include "generate/generation_config.h"
#include "image/image.h"
#include "image/preprocess.h"
#include "model/config.h"
#include "model/florence2_model.h"
#include "model/golden_summary.h"
#include "model/weight_store.h"
#include "text/florence2_tasks.h"
#include "text/tokenizer.h"

using namespace vkcap;
using namespace vkcap::model;
using nlohmann::json;

namespace {

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

void write_tensors(const std::filesystem::path& path, const std::vector<Tensor>& tensors) {
  json header = json::object();
  uint64_t at = 0;
  for (const Tensor& t : tensors) {
    const uint64_t bytes = t.values.size() * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {at, at + bytes}}};
    at += bytes;
  }
  const std::string text = header.dump();
  const uint64_t len = text.size();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&len), 8);
  out << text;
  for (const Tensor& t : tensors)
    out.write(reinterpret_cast<const char*>(t.values.data()), std::streamsize(t.values.size() * sizeof(float)));
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

// What convert_florence2_original_pytorch_to_hf.py names a Microsoft tensor ("" = dropped).
std::string native_name(std::string n) {
  if (n == "language_model.final_logits_bias") return "";
  if (n == "language_model.lm_head.weight") return "lm_head.weight";
  if (n == "image_projection") return "model.multi_modal_projector.image_projection.weight";
  if (n.rfind("language_model.model.", 0) == 0) return "model.language_model." + n.substr(21);
  for (const char* p : {"image_proj_norm.", "visual_temporal_embed."})
    if (n.rfind(p, 0) == 0) return "model.multi_modal_projector." + n;
  if (n.rfind("image_pos_embed.", 0) == 0) return "model.multi_modal_projector.image_position_embed." + n.substr(16);
  if (n.rfind("vision_tower.convs.", 0) == 0) replace_all(n, ".proj.", ".conv.");
  replace_all(n, ".fn.dw.", ".");
  replace_all(n, ".window_attn.norm.", ".norm1.");
  replace_all(n, ".channel_attn.norm.", ".norm1.");
  replace_all(n, ".ffn.norm.", ".norm2.");
  replace_all(n, ".ffn.fn.net.", ".ffn.");
  replace_all(n, ".fn.qkv.", ".qkv.");
  replace_all(n, ".fn.proj.", ".proj.");
  return "model." + n;
}

constexpr int kImageToken = 51289, kPaddedVocab = 51328;  // 51,290 tokens padded to a multiple of 64

// Rows [vocab, d] → [kPaddedVocab, d], the new rows the old rows' mean.
void pad_rows(Tensor& t) {
  const int64_t rows = t.shape[0], d = t.shape[1];
  std::vector<double> mean(size_t(d), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < d; ++c) mean[c] += t.values[r * d + c] / double(rows);
  for (int64_t r = rows; r < kPaddedVocab; ++r)
    for (int64_t c = 0; c < d; ++c) t.values.push_back(float(mean[c]));
  t.shape[0] = kPaddedVocab;
}

json native_config(const json& microsoft) {
  const json& v = microsoft.at("vision_config");
  json vision = {{"model_type", "florence_vision"}, {"embed_dim", v.at("dim_embed")}};
  for (const char* k : {"depths", "num_heads", "num_groups", "patch_size", "patch_stride", "patch_padding",
                        "patch_prenorm", "window_size", "projection_dim"})
    vision[k] = v.at(k);
  vision["max_position_embeddings"] = v.at("image_pos_embed").at("max_pos_embeddings");
  vision["max_temporal_embeddings"] = v.at("visual_temporal_embedding").at("max_temporal_embeddings");
  json text = microsoft.at("text_config");
  text["model_type"] = "bart";
  text["vocab_size"] = kPaddedVocab;
  return {{"architectures", {"Florence2ForConditionalGeneration"}}, {"model_type", "florence2"},
          {"image_token_id", kImageToken}, {"vision_config", vision}, {"text_config", text}};
}

std::filesystem::path copy_fixture(const std::filesystem::path& from, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / "vkcap_test_florence2_native" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(from))
    if (e.path().filename() != "model.safetensors") std::filesystem::copy_file(e.path(), dir / e.path().filename());
  return dir;
}

// The fixture twice: Microsoft's layout with final_logits_bias zeroed, and the port's layout.
std::pair<std::filesystem::path, std::filesystem::path> convert(const std::string& fixture) {
  const auto source = test::fixture_dir(fixture);
  const auto microsoft = copy_fixture(source, fixture + "_microsoft"), native = copy_fixture(source, fixture + "_native");
  WeightStore store(source);
  std::vector<Tensor> zero_bias, renamed;
  for (const std::string& name : store.names()) {
    const TensorView view = *store.find(name);
    Tensor t{name, view.shape, to_f32(view)};
    if (name == "language_model.final_logits_bias") std::fill(t.values.begin(), t.values.end(), 0.0f);
    zero_bias.push_back(t);
    t.name = native_name(name);
    if (t.name.empty()) continue;
    if (name == "image_projection") {  // [in, out] → [out, in]
      std::vector<float> out(t.values.size());
      const int64_t in = t.shape[0], n = t.shape[1];
      for (int64_t i = 0; i < in; ++i)
        for (int64_t o = 0; o < n; ++o) out[o * in + i] = t.values[i * n + o];
      t.values = std::move(out);
      t.shape = {n, in};
    }
    if (t.shape.size() == 2 && t.shape[0] == 51289) pad_rows(t);
    renamed.push_back(std::move(t));
  }
  write_tensors(microsoft / "model.safetensors", zero_bias);
  write_tensors(native / "model.safetensors", renamed);
  std::ofstream(native / "config.json") << native_config(test::load_json(source / "config.json")).dump(2);
  json added = test::load_json(source / "added_tokens.json");
  added["<image>"] = kImageToken;
  std::ofstream(native / "added_tokens.json") << added.dump(2);
  return {microsoft, native};
}

struct Run {
  std::vector<float> encoder, logits;
  std::vector<int32_t> greedy, beams;
};

std::vector<Run> run_all(vk::Context& ctx, const std::filesystem::path& dir, const json& expected,
                         model::Florence2Layout want_layout) {
  const ModelConfig config = load_model_config(dir);
  REQUIRE(config.arch == Architecture::Florence2);
  const image::PreprocessConfig pre = image::load_preprocess_config(dir / "preprocessor_config.json");
  const auto tokenizer = text::load_tokenizer(dir);
  WeightStore store(dir);
  model::WeightLoader weights(
      ctx, [&](std::string_view n) { return store.find(n); }, store.source(), kernels::WeightType::F32);
  model::Florence2Model model(weights, config.florence2, pre.size.height, pre.size.width);
  CHECK(model.layout() == want_layout);
  api::DecoderStepModel stepper(model.decoder());
  const Florence2TextConfig& t = config.florence2.text;
  std::vector<Run> runs;
  for (const json& record : expected.at("images")) {
    const std::vector<float> pixels = image::preprocess(image::decode_image(dir / record.at("file").get<std::string>()), pre);
    for (const auto& [key, golden] : record.at("tasks").items()) {
      const std::string token = key.substr(0, key.find('>') + 1);
      const std::vector<int32_t> prompt =
          text::florence2_prompt_ids(*tokenizer, *text::find_florence2_task(token), key.substr(token.size()));
      CHECK(prompt == golden.at("input_ids").get<std::vector<int32_t>>());
      Run run;
      model.encode({pixels}, prompt);
      run.encoder = model.encoder_output(0);
      stepper.start(std::vector<int>{0}, std::vector<int32_t>{t.decoder_start_token_id}, run.logits);
      for (const bool greedy : {true, false}) {
        generate::GenerationConfig c;
        c.eos_token_id = {t.eos_token_id};
        c.pad_token_id = t.pad_token_id;
        c.forced_bos_token_id = t.forced_bos_token_id;
        c.forced_eos_token_id = t.forced_eos_token_id;
        c.num_beams = greedy ? 1 : t.num_beams;
        c.no_repeat_ngram_size = greedy ? 0 : t.no_repeat_ngram_size;
        c.early_stopping = generate::EarlyStopping::kTrue;
        c.max_new_tokens = 16;
        const auto out = generate::generate(stepper, std::vector<int32_t>{t.decoder_start_token_id}, 1, c);
        (greedy ? run.greedy : run.beams) = out.at(0).tokens;
      }
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

float max_diff(const std::vector<float>& a, const std::vector<float>& b, size_t n) {
  float worst = 0;
  for (size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

}  // namespace

TEST_CASE("transformers' Florence-2 layout (florence-community) loads and runs as Microsoft's") {
  for (const char* fixture : {"florence2_tiny_a", "florence2_tiny_b"}) {
    INFO(fixture);
    const json expected = test::load_json(test::fixture_dir(fixture) / "expected.json");
    const auto [microsoft, native] = convert(fixture);
    const ModelConfig config = load_model_config(native);
    CHECK(config.florence2.text.vocab_size == kPaddedVocab);
    CHECK(config.florence2.vision.out_dim() == load_model_config(microsoft).florence2.vision.out_dim());
    const std::vector<Run> want = run_all(test::gpu(), microsoft, expected, model::Florence2Layout::Microsoft);
    const std::vector<Run> got = run_all(test::gpu(), native, expected, model::Florence2Layout::Native);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("run " << i);
      REQUIRE(got[i].encoder.size() == want[i].encoder.size());
      CHECK(max_diff(got[i].encoder, want[i].encoder, want[i].encoder.size()) <= 1e-5f);
      REQUIRE(want[i].logits.size() == 51289);
      REQUIRE(got[i].logits.size() == size_t(kPaddedVocab));
      CHECK(max_diff(got[i].logits, want[i].logits, want[i].logits.size()) <= 1e-4f);
      CHECK(got[i].greedy == want[i].greedy);
      CHECK(got[i].beams == want[i].beams);
      CHECK(got[i].greedy.size() > 2);
    }
  }
}
