#pragma once
// config.json → plain structs, with transformers' class defaults applied to every key the file
// omits (transformers 4.40 writes BLIP sub-configs as a diff against those defaults; see
// docs/parity.md). Unknown keys are ignored; a present key of the wrong type or out of range
// is an error naming the file, the key path and the value:
//   "<dir>/config.json: text_config.num_attention_heads: expected an integer ≥ 1, got "eight""
#include <filesystem>
#include <optional>
#include <string>

#include "model/florence2_config.h"

namespace vkcap::model {

enum class Architecture {
  Blip,     // BlipForConditionalGeneration: BLIP ViT + BERT-style text decoder
  VitGpt2,  // VisionEncoderDecoderModel with a `vit` encoder and a `gpt2` decoder
  Florence2,  // Florence2ForConditionalGeneration: DaViT + BART encoder-decoder (florence2_config.h)
};

enum class Activation {
  Gelu,      // "gelu": exact, 0.5·x·(1 + erf(x/√2))
  GeluTanh,  // "gelu_new" (also "gelu_pytorch_tanh", "gelu_fast"): 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
};

// The image encoder: BLIP's vision model or ViT (both pre-LN ViTs; names as in the configs).
struct VisionConfig {
  int hidden_size = 768;
  int intermediate_size = 3072;
  int num_hidden_layers = 12;
  int num_attention_heads = 12;
  int image_size = 384;  // BLIP's default; ViT's is 224
  int patch_size = 16;
  int num_channels = 3;
  Activation hidden_act = Activation::Gelu;
  float layer_norm_eps = 1e-5f;  // BLIP's default; ViT's is 1e-12
  bool qkv_bias = true;

  int head_dim() const { return hidden_size / num_attention_heads; }
  int patches_per_side() const { return image_size / patch_size; }
  int num_patches() const { return patches_per_side() * patches_per_side(); }
  int num_positions() const { return num_patches() + 1; }  // + the class token
};

// BLIP's text decoder (BlipTextConfig defaults).
struct BlipTextConfig {
  int vocab_size = 30524;
  int hidden_size = 768;
  int encoder_hidden_size = 768;  // always the vision hidden size (BlipConfig overwrites it)
  int intermediate_size = 3072;
  int num_hidden_layers = 12;
  int num_attention_heads = 8;
  int max_position_embeddings = 512;
  Activation hidden_act = Activation::Gelu;
  float layer_norm_eps = 1e-12f;
  int bos_token_id = 30522;  // [DEC], the first decoder input
  int eos_token_id = 2;      // unused by captioning (it stops at sep_token_id)
  int pad_token_id = 0;
  int sep_token_id = 102;    // [SEP]: the token that ends a caption

  int head_dim() const { return hidden_size / num_attention_heads; }
};

// GPT-2 with cross-attention (GPT2Config defaults).
struct Gpt2Config {
  int vocab_size = 50257;
  int n_positions = 1024;
  int n_embd = 768;
  int n_layer = 12;
  int n_head = 12;
  int n_inner = 0;  // resolved: null in the file means 4·n_embd
  Activation activation_function = Activation::GeluTanh;
  float layer_norm_epsilon = 1e-5f;
  bool add_cross_attention = true;  // required: a captioning decoder attends to the image
  bool scale_attn_weights = true;   // divide scores by √head_dim
  std::optional<int> bos_token_id = 50256;
  std::optional<int> eos_token_id = 50256;

  int head_dim() const { return n_embd / n_head; }
};

struct ModelConfig {
  Architecture arch = Architecture::Blip;
  std::filesystem::path file;  // the config.json this came from

  VisionConfig vision;
  BlipTextConfig blip_text;  // meaningful when arch == Blip
  Gpt2Config gpt2;           // meaningful when arch == VitGpt2
  Florence2Config florence2; // meaningful when arch == Florence2 (`vision` is then unused)

  // What generation uses, resolved the way transformers 4.40 does:
  //  BLIP: start = text bos ([DEC]), stop = text sep ([SEP]), pad = text pad.
  //  ViT-GPT2: top-level decoder_start/eos/pad, else the decoder's own values, else (start) bos;
  //  a missing pad becomes eos, as generate() does.
  //  Florence-2: text_config's (its generate() is the language model's).
  int decoder_start_token_id = 0;
  int eos_token_id = 0;
  int pad_token_id = 0;

  // ViT-GPT2: a Linear (encoder hidden → n_embd) between encoder and decoder, present iff the
  // widths differ and cross_attention_hidden_size is null.
  bool has_enc_to_dec_proj = false;

  int decoder_vocab_size() const {
    return arch == Architecture::Blip ? blip_text.vocab_size
         : arch == Architecture::Florence2 ? florence2.text.vocab_size : gpt2.vocab_size;
  }
  int decoder_hidden_size() const {
    return arch == Architecture::Blip ? blip_text.hidden_size
         : arch == Architecture::Florence2 ? florence2.text.d_model : gpt2.n_embd;
  }
  int max_positions() const {
    return arch == Architecture::Blip ? blip_text.max_position_embeddings
         : arch == Architecture::Florence2 ? florence2.text.max_position_embeddings : gpt2.n_positions;
  }
};

// Reads `<dir>/config.json`.
ModelConfig load_model_config(const std::filesystem::path& dir);
// Reads a config file by its own path (e.g. a re-saved copy with another name).
ModelConfig load_model_config_file(const std::filesystem::path& config_json);
// Parses config text; `file_label` names it in errors.
ModelConfig parse_model_config(const std::string& json_text, const std::string& file_label);

}  // namespace vkcap::model
