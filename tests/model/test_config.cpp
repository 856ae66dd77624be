// config.json: fixtures and real hub configs load with transformers' defaults filled in; bad
// values and unsupported models are refused with the file, key and value in the message.
#include <doctest/doctest.h>

#include <filesystem>

#include "model/config.h"
#include "util/error.h"

using namespace vkcap;
using namespace vkcap::model;

namespace {

const std::filesystem::path kFixtures = VKCAP_FIXTURES_DIR;

std::string config_error(const std::string& text) {
  try {
    parse_model_config(text, "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kVed = R"({"architectures":["VisionEncoderDecoderModel"],
  "encoder":{"model_type":"vit","hidden_size":48,"num_attention_heads":4,"image_size":48,"patch_size":16},
  "decoder":{"model_type":"gpt2","n_embd":64,"n_head":4,"vocab_size":300,"add_cross_attention":true,"bos_token_id":299,"eos_token_id":299}})";

}  // namespace

TEST_CASE("BLIP fixtures: sub-config diffs get BlipTextConfig / BlipVisionConfig defaults") {
  ModelConfig a = load_model_config(kFixtures / "blip_tiny_a");
  CHECK(a.arch == Architecture::Blip);
  CHECK(a.vision.hidden_size == 32);
  CHECK(a.vision.num_attention_heads == 2);
  CHECK(a.vision.num_hidden_layers == 2);
  CHECK(a.vision.intermediate_size == 64);
  CHECK(a.vision.image_size == 32);
  CHECK(a.vision.patch_size == 8);
  CHECK(a.vision.num_positions() == 17);
  CHECK(a.vision.layer_norm_eps == 1e-5f);
  CHECK(a.vision.hidden_act == Activation::Gelu);
  CHECK(a.blip_text.hidden_size == 32);
  CHECK(a.blip_text.vocab_size == 122);
  CHECK(a.blip_text.max_position_embeddings == 64);
  CHECK(a.blip_text.layer_norm_eps == 1e-12f);  // omitted in the file: default
  CHECK(a.blip_text.eos_token_id == 2);          // omitted: default
  CHECK(a.blip_text.pad_token_id == 0);          // omitted: default
  CHECK(a.decoder_start_token_id == 120);        // [DEC]
  CHECK(a.eos_token_id == 5);                    // captions stop at [SEP]
  CHECK(a.pad_token_id == 0);

  ModelConfig b = load_model_config(kFixtures / "blip_tiny_b");
  CHECK(b.vision.hidden_size == 48);
  CHECK(b.vision.num_patches() == 9);
  CHECK(b.blip_text.hidden_size == 40);
  CHECK(b.blip_text.encoder_hidden_size == 48);
  CHECK(b.blip_text.head_dim() == 20);
  CHECK(b.decoder_vocab_size() == 168);
}

TEST_CASE("ViT-GPT2 fixtures: n_inner null means 4·n_embd, enc_to_dec_proj iff widths differ") {
  ModelConfig a = load_model_config(kFixtures / "vitgpt2_tiny_a");
  CHECK(a.arch == Architecture::VitGpt2);
  CHECK(a.vision.layer_norm_eps == 1e-12f);
  CHECK(a.vision.qkv_bias);
  CHECK(a.gpt2.n_embd == 32);
  CHECK(a.gpt2.n_inner == 128);
  CHECK(a.gpt2.activation_function == Activation::GeluTanh);
  CHECK(a.gpt2.layer_norm_epsilon == 1e-5f);
  CHECK(a.gpt2.n_positions == 64);
  CHECK(a.decoder_start_token_id == 279);
  CHECK(a.eos_token_id == 279);
  CHECK(a.pad_token_id == 279);
  CHECK_FALSE(a.has_enc_to_dec_proj);

  ModelConfig b = load_model_config(kFixtures / "vitgpt2_tiny_b");
  CHECK(b.vision.hidden_size == 48);
  CHECK(b.gpt2.n_embd == 64);
  CHECK(b.gpt2.n_inner == 256);
  CHECK(b.has_enc_to_dec_proj);
  CHECK(b.max_positions() == 64);
}

TEST_CASE("real hub configs load with their full sizes") {
  ModelConfig base = load_model_config(kFixtures / "real_configs/blip-image-captioning-base");
  CHECK(base.vision.hidden_size == 768);
  CHECK(base.vision.image_size == 384);
  CHECK(base.vision.num_positions() == 577);
  CHECK(base.blip_text.num_attention_heads == 12);
  CHECK(base.blip_text.vocab_size == 30524);
  CHECK(base.decoder_start_token_id == 30522);
  CHECK(base.eos_token_id == 102);

  // transformers 5 writes every key (and "dtype" for "torch_dtype"); the values are what count.
  ModelConfig large = load_model_config_file(
      kFixtures / "real_configs/blip-image-captioning-large/config.transformers-5.5.4-resave.json");
  CHECK(large.vision.hidden_size == 1024);
  CHECK(large.vision.num_hidden_layers == 24);
  CHECK(large.vision.num_attention_heads == 16);
  CHECK(large.vision.intermediate_size == 4096);
  CHECK(large.blip_text.hidden_size == 768);
  CHECK(large.blip_text.encoder_hidden_size == 1024);
  CHECK(large.blip_text.num_attention_heads == 12);

  ModelConfig vg = load_model_config(kFixtures / "real_configs/vit-gpt2-image-captioning");
  CHECK(vg.vision.image_size == 224);
  CHECK(vg.vision.num_positions() == 197);
  CHECK(vg.gpt2.vocab_size == 50257);
  CHECK(vg.gpt2.n_positions == 1024);
  CHECK(vg.gpt2.n_inner == 3072);
  CHECK(vg.decoder_start_token_id == 50256);
  CHECK(vg.pad_token_id == 50256);
  CHECK_FALSE(vg.has_enc_to_dec_proj);
}

TEST_CASE("an almost empty config is the class defaults") {
  ModelConfig c = parse_model_config(R"({"architectures":["BlipForConditionalGeneration"],"some_new_key":[1,2]})", "cfg.json");
  CHECK(c.vision.hidden_size == 768);
  CHECK(c.vision.intermediate_size == 3072);
  CHECK(c.vision.num_hidden_layers == 12);
  CHECK(c.vision.num_attention_heads == 12);
  CHECK(c.vision.image_size == 384);
  CHECK(c.vision.patch_size == 16);
  CHECK(c.blip_text.vocab_size == 30524);
  CHECK(c.blip_text.num_attention_heads == 8);
  CHECK(c.blip_text.max_position_embeddings == 512);
  CHECK(c.blip_text.sep_token_id == 102);
  CHECK(c.blip_text.bos_token_id == 30522);

  ModelConfig v = parse_model_config(
      R"({"model_type":"vision-encoder-decoder","encoder":{"model_type":"vit"},"decoder":{"model_type":"gpt2","add_cross_attention":true}})",
      "cfg.json");
  CHECK(v.arch == Architecture::VitGpt2);
  CHECK(v.vision.image_size == 224);
  CHECK(v.gpt2.n_layer == 12);
  CHECK(v.gpt2.n_inner == 3072);
  CHECK(v.decoder_start_token_id == 50256);  // falls back to bos
  CHECK(v.pad_token_id == 50256);            // falls back to eos
}

TEST_CASE("wrong types, out-of-range values and unsupported models are refused") {
  CHECK(config_error(R"({"architectures":["BlipForConditionalGeneration"],"text_config":{"num_attention_heads":"eight"}})") ==
        "cfg.json: text_config.num_attention_heads: expected an integer in [1, 2147483647], got \"eight\"");
  CHECK(config_error(R"({"architectures":["BlipForConditionalGeneration"],"vision_config":{"hidden_size":-5}})") ==
        "cfg.json: vision_config.hidden_size: expected an integer in [1, 2147483647], got -5");
  CHECK(config_error(R"({"architectures":["BlipForConditionalGeneration"],"vision_config":{"layer_norm_eps":0}})") ==
        "cfg.json: vision_config.layer_norm_eps: expected a number in (0, 1), got 0");
  CHECK(config_error(R"({"architectures":["BlipForConditionalGeneration"],"text_config":{"hidden_act":"relu"}})") ==
        "cfg.json: text_config.hidden_act: expected a supported activation (gelu, gelu_new), got \"relu\"");
  CHECK(config_error(R"({"architectures":["BlipForConditionalGeneration"],"text_config":{"hidden_size":30}})") ==
        "cfg.json: text_config.hidden_size 30 is not divisible by text_config.num_attention_heads 8");
  CHECK(config_error(R"({"architectures":["BlipForConditionalGeneration"],"text_config":{"sep_token_id":40000}})") ==
        "cfg.json: text_config.sep_token_id 40000 is outside the vocabulary of 30524");
  CHECK(config_error(R"({"architectures":["BlipForQuestionAnswering"]})") ==
        "cfg.json: architecture 'BlipForQuestionAnswering' is not supported (supported: BlipForConditionalGeneration, "
        "VisionEncoderDecoderModel with vit encoder and gpt2 decoder, Florence2ForConditionalGeneration)");
  CHECK(config_error(R"({"architectures":["VisionEncoderDecoderModel"],"encoder":{"model_type":"deit"},"decoder":{"model_type":"trocr"}})")
            .find("architecture 'VisionEncoderDecoderModel' with encoder 'deit' and decoder 'trocr' is not supported") !=
        std::string::npos);
  CHECK(config_error("[1]") == "cfg.json: expected a JSON object at the top level");
  CHECK(config_error("{").find("cfg.json: not valid JSON") == 0);
  CHECK(config_error(R"({"architectures":"Blip"})").find("cfg.json: architectures: expected a list of class names") == 0);

  std::string ved = kVed;
  CHECK(config_error(ved) == "(no error)");
  CHECK(config_error(std::string(ved).replace(ved.find("\"add_cross_attention\":true"), 26, "\"add_cross_attention\":false"))
            .find("decoder.add_cross_attention is false") != std::string::npos);
  CHECK(config_error(std::string(ved).replace(ved.find("\"n_head\":4"), 10, "\"n_head\":5")) ==
        "cfg.json: decoder.n_embd 64 is not divisible by decoder.n_head 5");
  CHECK(config_error(R"({"architectures":["VisionEncoderDecoderModel"],"decoder_start_token_id":1e3,)" + ved.substr(ved.find("\"encoder\"")))
            .find("cfg.json: decoder_start_token_id: expected an integer") == 0);

  CHECK_THROWS_WITH_AS(load_model_config("/nonexistent-dir"), doctest::Contains("/nonexistent-dir/config.json: cannot open"),
                       Error);
}
