// Florence-2's cross-attention maps on the tiny golden fixtures. Its BART decoder attends to the
// encoder's rows [pooled image token ; image grid ; task prompt]; the maps keep all of them.
// Checked on both kernel variants: the shape (layers × heads × steps × (1 + grid² + prompt)),
// every row a probability distribution, and the first step's weights in layer 0 against a plain
// C++ recomputation from the checkpoint's weights and the encoder output (embeddings → self-
// attention over the one start position → LayerNorm → cross query; keys from the encoder rows).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "api/api_test_util.h"
#include "api/cross_attention_recorder.h"
#include "api/decoder_step_model.h"
#include "api/generation_settings.h"
#include "generate/generate.h"
#include "image/image.h"
#include "model/caption_model.h"
#include "model/tensor_view.h"
#include "model/weight_store.h"
#include "vk/context.h"

namespace fs = std::filesystem;
using namespace vkcap;

namespace {

const fs::path kModel = api_test::fixture("florence2_tiny_a");
const std::vector<fs::path> kImages = {kModel / "img0_120x80.png", kModel / "img1_64x64.png"};
const std::string kDecoder = "language_model.model.decoder.";

vk::Context checked_context(vk::KernelVariant variant) {
  vk::ContextOptions o;
  o.validation = true;
  o.kernels = variant == vk::KernelVariant::Cpu ? "cpu" : "gpu";
  o.pipeline_cache_dir = test::test_cache_dir();
  o.on_validation_message = [](std::string_view m) { api_test::fail_on_validation_message(std::string(m)); };
  return vk::Context(o);
}

// The checkpoint's tensors as doubles, read straight from its file.
struct Checkpoint {
  model::WeightStore store{kModel};
  std::vector<double> operator()(const std::string& name) const {
    const std::optional<model::TensorView> view = store.find(name);
    REQUIRE_MESSAGE(view.has_value(), name);
    const std::vector<float> values = model::to_f32(*view);
    return {values.begin(), values.end()};
  }
};

// torch's Linear: W [out, in] row-major, y = W·x + b.
std::vector<double> linear(const Checkpoint& w, const std::string& name, const std::vector<double>& x) {
  const std::vector<double> weight = w(name + ".weight"), bias = w(name + ".bias");
  std::vector<double> y(bias);
  for (size_t o = 0; o < y.size(); ++o)
    for (size_t i = 0; i < x.size(); ++i) y[o] += weight[o * x.size() + i] * x[i];
  return y;
}

std::vector<double> layer_norm(const Checkpoint& w, const std::string& name, const std::vector<double>& x) {
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / double(x.size());
  double var = 0;
  for (double v : x) var += (v - mean) * (v - mean);
  var /= double(x.size());
  const std::vector<double> gain = w(name + ".weight"), bias = w(name + ".bias");
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = (x[i] - mean) / std::sqrt(var + 1e-5) * gain[i] + bias[i];
  return y;
}

std::vector<double> plus(std::vector<double> a, const std::vector<double>& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  return a;
}

// Layer 0's cross-attention weights [heads, keys] when the decoder is fed its start token at
// position 0 over the encoder output `encoder` ([keys, d]). With one position, self-attention
// returns that position's own value.
std::vector<double> first_step_layer0(const Checkpoint& w, const std::vector<float>& encoder, int d, int heads,
                                      int start_token) {
  const std::vector<double> table = w("language_model.model.shared.weight");
  const std::vector<double> positions = w(kDecoder + "embed_positions.weight");
  std::vector<double> x(static_cast<size_t>(d), 0.0);
  for (int i = 0; i < d; ++i) x[size_t(i)] = table[size_t(start_token) * d + i] + positions[size_t(2) * d + i];
  x = layer_norm(w, kDecoder + "layernorm_embedding", x);
  const std::string layer = kDecoder + "layers.0.";
  const std::vector<double> self = linear(w, layer + "self_attn.out_proj", linear(w, layer + "self_attn.v_proj", x));
  const std::vector<double> h = layer_norm(w, layer + "self_attn_layer_norm", plus(x, self));
  const std::vector<double> q = linear(w, layer + "encoder_attn.q_proj", h);
  const size_t keys = encoder.size() / size_t(d), hd = size_t(d / heads);
  std::vector<std::vector<double>> k(keys);
  for (size_t j = 0; j < keys; ++j)
    k[j] = linear(w, layer + "encoder_attn.k_proj",
                  {encoder.begin() + ptrdiff_t(j * d), encoder.begin() + ptrdiff_t((j + 1) * d)});
  std::vector<double> p(size_t(heads) * keys);
  for (size_t head = 0; head < size_t(heads); ++head) {
    double top = -INFINITY, sum = 0;
    for (size_t j = 0; j < keys; ++j) {
      double dot = 0;
      for (size_t e = head * hd; e < (head + 1) * hd; ++e) dot += q[e] * k[j][e];
      p[head * keys + j] = dot / std::sqrt(double(hd));
      top = std::max(top, p[head * keys + j]);
    }
    for (size_t j = 0; j < keys; ++j) sum += (p[head * keys + j] = std::exp(p[head * keys + j] - top));
    for (size_t j = 0; j < keys; ++j) p[head * keys + j] /= sum;
  }
  return p;
}

std::vector<std::vector<float>> fixture_pixels(const model::CaptionModel& m) {
  std::vector<std::vector<float>> pixels;
  for (const fs::path& p : kImages) pixels.push_back(m.pixel_values(image::decode_image(p)));
  return pixels;
}

// Every (step, layer, head) row of `maps` is a distribution over its keys.
void check_rows_are_distributions(const CrossAttentionMaps& maps) {
  for (int s = 0; s < maps.steps; ++s)
    for (int l = 0; l < maps.layers; ++l)
      for (int h = 0; h < maps.heads; ++h) {
        double sum = 0, smallest = 1;
        for (int j = 0; j < maps.keys(); ++j) {
          sum += maps.at(s, l, h, j);
          smallest = std::min(smallest, double(maps.at(s, l, h, j)));
        }
        CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
        CHECK(smallest >= 0.0);
      }
}

}  // namespace

TEST_CASE("Florence-2 cross-attention: keys are the pooled token, the image grid and the prompt rows, and equal "
          "a plain recomputation") {
  const Checkpoint checkpoint;
  // Not test::kernel_variants(): it keeps the harness's shared context until exit, which must not
  // outlive the validation layer's state after these contexts came and went.
  bool cpu_variant = false;  // whether the device runs the Cpu-shaped kernels, learnt on the first pass
  for (vk::KernelVariant variant : {vk::KernelVariant::Gpu, vk::KernelVariant::Cpu}) {
    if (variant == vk::KernelVariant::Cpu && !cpu_variant) continue;
    CAPTURE(test::variant_name(variant));
    vk::Context ctx = checked_context(variant);
    cpu_variant = ctx.info().supports_cpu_variant();
    model::CaptionModel m(ctx, kModel);
    REQUIRE(m.is_florence2());
    GenerationOptions options;
    options.task = "detailed-caption";
    options.num_beams = 1;
    options.no_repeat_ngram_size = 0;
    options.max_new_tokens = 6;
    const api::PreparedGeneration generation = api::prepare_generation(m, options);
    m.encode(fixture_pixels(m), generation.encoder_prompt);

    // The last DaViT stage's side, from the convolutions' sizes (96 → 24 → 12 → 6 → 3 here).
    int grid = m.preprocess_config().size.height;
    REQUIRE(m.preprocess_config().size.width == grid);
    for (const model::DavitStage& stage : m.config().florence2.vision.stages)
      grid = (grid + 2 * stage.patch_padding - stage.patch_size) / stage.patch_stride + 1;
    CHECK(m.patch_grid() == grid);
    const int prompt = int(generation.encoder_prompt.size()), keys = 1 + grid * grid + prompt;
    CHECK(m.decoder().cross_keys() == keys);

    api::DecoderStepModel inner(m);
    api::CrossAttentionRecorder recorder(m, inner);
    const std::vector<generate::GeneratedSequence> out =
        generate::generate(recorder, generation.prompt, int(kImages.size()), generation.config);
    REQUIRE(out.size() == kImages.size());
    const auto& spec = m.decoder().spec();
    for (const generate::GeneratedSequence& s : out) {
      CAPTURE(s.image);
      const CrossAttentionMaps maps = recorder.maps_for(s);
      REQUIRE(maps.steps == int(s.new_tokens.size()));
      CHECK(maps.layers == spec.layers);
      CHECK(maps.heads == spec.heads);
      CHECK(maps.patch_grid == grid);
      CHECK(maps.image_tokens == 1 + grid * grid);
      CHECK(maps.prompt_tokens == prompt);
      REQUIRE(maps.weights.size() == size_t(maps.steps) * spec.layers * spec.heads * keys);
      check_rows_are_distributions(maps);

      const std::vector<double> want = first_step_layer0(checkpoint, m.encoder_output(s.image), spec.hidden, spec.heads,
                                                         generation.prompt.at(0));
      double worst = 0, prompt_share = 0;
      for (int h = 0; h < spec.heads; ++h)
        for (int j = 0; j < keys; ++j) {
          worst = std::max(worst, std::abs(maps.at(0, 0, h, j) - want[size_t(h) * keys + j]));
          if (j > grid * grid) prompt_share += maps.at(0, 0, h, j);
        }
      CHECK(worst <= 1e-5);
      CHECK(prompt_share > 0.0);  // the prompt rows are really there (and not a grid's tail)
    }
  }
}

TEST_CASE("Florence-2 cross-attention through the Captioner: beam search, the same answer as without maps") {
  Captioner captioner(kModel.string(), api_test::checked_captioner_options());
  GenerationOptions plain;
  plain.task = "od";
  plain.max_new_tokens = 10;  // the checkpoint's own 3 beams, no repeated 3-grams
  GenerationOptions recorded = plain;
  recorded.keep_cross_attention = true;
  for (const fs::path& image : kImages) {
    CAPTURE(image);
    const Caption without = captioner.caption(image, plain);
    const Caption with = captioner.caption(image, recorded);
    CHECK(with.tokens == without.tokens);
    CHECK_FALSE(without.cross_attention.has_value());
    REQUIRE(with.cross_attention.has_value());
    const CrossAttentionMaps& maps = *with.cross_attention;
    CHECK(maps.steps == int(with.new_tokens.size()));
    CHECK(maps.image_tokens == captioner.image_tokens());
    CHECK(maps.image_tokens == 1 + captioner.patch_grid() * captioner.patch_grid());
    CHECK(maps.prompt_tokens > 0);
    check_rows_are_distributions(maps);
    for (int k = 0; k < maps.steps; ++k) {
      const std::vector<float> all = maps.token_map(k), patches = maps.patch_map(k);
      CHECK(all.size() == size_t(maps.keys()));
      REQUIRE(patches.size() == size_t(maps.patch_grid) * maps.patch_grid);
      // The grid is the keys after the pooled token, before the prompt rows.
      CHECK(std::equal(patches.begin(), patches.end(), all.begin() + 1));
    }
  }
}
