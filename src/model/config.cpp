#include "model/config.h"

#include <climits>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"
#include "util/json_limits.h"
#include "util/json_parse.h"

namespace vkcap::model {

namespace {

using json = nlohmann::json;

const char* kSupported =
    "supported: BlipForConditionalGeneration, VisionEncoderDecoderModel with vit encoder and gpt2 decoder, "
    "Florence2ForConditionalGeneration";

// One JSON object of the config (the top level, text_config, encoder, ...), read key by key with
// the class default for an absent key.
class Section {
 public:
  Section(const json& object, std::string prefix, const std::string& file)
      : obj_(object), prefix_(std::move(prefix)), file_(file) {}

  [[noreturn]] void fail(const std::string& key, const std::string& expected, const json& got) const {
    throw Error(file_ + ": " + prefix_ + key + ": expected " + expected + ", got " + got.dump());
  }
  const json* find(const std::string& key) const {
    auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }

  int integer(const std::string& key, int def, int min, int max = INT_MAX) const {
    const json* v = find(key);
    if (!v) return def;
    const std::string expected = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    if (!v->is_number_integer()) fail(key, expected, *v);
    const int64_t x = v->get<int64_t>();
    if (x < min || x > max) fail(key, expected, *v);
    return int(x);
  }
  // An integer that may be null (token ids, n_inner, cross_attention_hidden_size).
  std::optional<int> nullable(const std::string& key, std::optional<int> def, int min = 0) const {
    const json* v = find(key);
    if (!v) return def;
    if (v->is_null()) return std::nullopt;
    return integer(key, 0, min);
  }
  float epsilon(const std::string& key, float def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_number() || !(v->get<double>() > 0) || !(v->get<double>() < 1)) fail(key, "a number in (0, 1)", *v);
    return float(v->get<double>());
  }
  bool boolean(const std::string& key, bool def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_boolean()) fail(key, "true or false", *v);
    return v->get<bool>();
  }
  std::string string(const std::string& key, const std::string& def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_string()) fail(key, "a string", *v);
    return v->get<std::string>();
  }
  Activation activation(const std::string& key, Activation def) const {
    const json* v = find(key);
    if (!v) return def;
    if (v->is_string()) {
      const auto s = v->get<std::string>();
      if (s == "gelu") return Activation::Gelu;
      if (s == "gelu_new" || s == "gelu_pytorch_tanh" || s == "gelu_fast") return Activation::GeluTanh;
    }
    fail(key, "a supported activation (gelu, gelu_new)", *v);
  }
  Section object(const std::string& key) const {
    const json* v = find(key);
    static const json empty = json::object();
    if (!v || v->is_null()) return Section(empty, prefix_ + key + ".", file_);
    if (!v->is_object()) fail(key, "an object", *v);
    return Section(*v, prefix_ + key + ".", file_);
  }

  const std::string& file() const { return file_; }
  const std::string& prefix() const { return prefix_; }

 private:
  const json& obj_;
  std::string prefix_;
  const std::string& file_;
};

void check_divides(const Section& s, const char* what, int whole, const char* by_what, int by) {
  if (whole % by != 0)
    throw Error(s.file() + ": " + s.prefix() + what + " " + std::to_string(whole) + " is not divisible by " +
                s.prefix() + by_what + " " + std::to_string(by));
}

void check_token(const Section& s, const char* key, int id, int vocab) {
  if (id < 0 || id >= vocab)
    throw Error(s.file() + ": " + s.prefix() + key + " " + std::to_string(id) + " is outside the vocabulary of " +
                std::to_string(vocab));
}

// BlipVisionConfig or ViTConfig; only the defaults that differ are passed in.
VisionConfig read_vision(const Section& s, int image_size, float eps) {
  VisionConfig v;
  v.hidden_size = s.integer("hidden_size", 768, 1);
  v.intermediate_size = s.integer("intermediate_size", 3072, 1);
  v.num_hidden_layers = s.integer("num_hidden_layers", 12, 1);
  v.num_attention_heads = s.integer("num_attention_heads", 12, 1);
  v.image_size = s.integer("image_size", image_size, 1);
  v.patch_size = s.integer("patch_size", 16, 1);
  v.num_channels = s.integer("num_channels", 3, 3, 3);
  v.hidden_act = s.activation("hidden_act", Activation::Gelu);
  v.layer_norm_eps = s.epsilon("layer_norm_eps", eps);
  v.qkv_bias = s.boolean("qkv_bias", true);
  check_divides(s, "hidden_size", v.hidden_size, "num_attention_heads", v.num_attention_heads);
  check_divides(s, "image_size", v.image_size, "patch_size", v.patch_size);
  return v;
}

void read_blip(const Section& top, ModelConfig& c) {
  const Section vs = top.object("vision_config");
  c.vision = read_vision(vs, 384, 1e-5f);
  c.vision.qkv_bias = true;  // BLIP's fused qkv always has a bias

  const Section ts = top.object("text_config");
  BlipTextConfig& t = c.blip_text;
  t.vocab_size = ts.integer("vocab_size", 30524, 1);
  t.hidden_size = ts.integer("hidden_size", 768, 1);
  t.encoder_hidden_size = c.vision.hidden_size;  // BlipConfig.__init__ overwrites the file's value
  t.intermediate_size = ts.integer("intermediate_size", 3072, 1);
  t.num_hidden_layers = ts.integer("num_hidden_layers", 12, 1);
  t.num_attention_heads = ts.integer("num_attention_heads", 8, 1);
  t.max_position_embeddings = ts.integer("max_position_embeddings", 512, 2);
  t.hidden_act = ts.activation("hidden_act", Activation::Gelu);
  t.layer_norm_eps = ts.epsilon("layer_norm_eps", 1e-12f);
  t.bos_token_id = ts.integer("bos_token_id", 30522, 0);
  t.eos_token_id = ts.integer("eos_token_id", 2, 0);
  t.pad_token_id = ts.integer("pad_token_id", 0, 0);
  t.sep_token_id = ts.integer("sep_token_id", 102, 0);
  check_divides(ts, "hidden_size", t.hidden_size, "num_attention_heads", t.num_attention_heads);
  check_token(ts, "bos_token_id", t.bos_token_id, t.vocab_size);
  check_token(ts, "sep_token_id", t.sep_token_id, t.vocab_size);
  check_token(ts, "pad_token_id", t.pad_token_id, t.vocab_size);

  c.decoder_start_token_id = t.bos_token_id;
  c.eos_token_id = t.sep_token_id;
  c.pad_token_id = t.pad_token_id;
}

void read_vit_gpt2(const Section& top, ModelConfig& c) {
  const Section es = top.object("encoder");
  const Section ds = top.object("decoder");
  const std::string enc_type = es.string("model_type", "");
  const std::string dec_type = ds.string("model_type", "");
  if (enc_type != "vit" || dec_type != "gpt2")
    throw Error(top.file() + ": architecture 'VisionEncoderDecoderModel' with encoder '" + enc_type + "' and decoder '" +
                dec_type + "' is not supported (" + kSupported + ")");
  c.vision = read_vision(es, 224, 1e-12f);

  Gpt2Config& g = c.gpt2;
  g.vocab_size = ds.integer("vocab_size", 50257, 1);
  g.n_positions = ds.integer("n_positions", 1024, 2);
  g.n_embd = ds.integer("n_embd", 768, 1);
  g.n_layer = ds.integer("n_layer", 12, 1);
  g.n_head = ds.integer("n_head", 12, 1);
  g.n_inner = ds.nullable("n_inner", std::nullopt, 1).value_or(4 * g.n_embd);
  g.activation_function = ds.activation("activation_function", Activation::GeluTanh);
  g.layer_norm_epsilon = ds.epsilon("layer_norm_epsilon", 1e-5f);
  g.add_cross_attention = ds.boolean("add_cross_attention", false);
  g.scale_attn_weights = ds.boolean("scale_attn_weights", true);
  g.bos_token_id = ds.nullable("bos_token_id", 50256);
  g.eos_token_id = ds.nullable("eos_token_id", 50256);
  check_divides(ds, "n_embd", g.n_embd, "n_head", g.n_head);
  if (!g.add_cross_attention)
    throw Error(top.file() + ": decoder.add_cross_attention is false: a captioning decoder must attend to the image");
  if (ds.boolean("scale_attn_by_inverse_layer_idx", false))
    throw Error(top.file() + ": decoder.scale_attn_by_inverse_layer_idx true is not supported");

  const auto cross = ds.nullable("cross_attention_hidden_size", std::nullopt, 1);
  c.has_enc_to_dec_proj = c.vision.hidden_size != g.n_embd && !cross;
  if (cross && (*cross != c.vision.hidden_size || *cross != g.n_embd))
    throw Error(top.file() + ": decoder.cross_attention_hidden_size " + std::to_string(*cross) +
                " is not supported (GPT-2 cross-attention needs encoder.hidden_size == decoder.n_embd)");

  // Token ids: the top level first, then the decoder's own (GenerationConfig.from_model_config).
  const auto start = top.nullable("decoder_start_token_id", std::nullopt);
  const auto eos = top.nullable("eos_token_id", std::nullopt);
  const auto pad = top.nullable("pad_token_id", std::nullopt);
  const auto dec_start = ds.nullable("decoder_start_token_id", std::nullopt);
  const auto dec_pad = ds.nullable("pad_token_id", std::nullopt);
  const auto resolved_start = start ? start : dec_start ? dec_start : top.nullable("bos_token_id", g.bos_token_id);
  const auto resolved_eos = eos ? eos : g.eos_token_id;
  if (!resolved_start)
    throw Error(top.file() + ": decoder_start_token_id: missing, and there is no bos_token_id to fall back on");
  if (!resolved_eos) throw Error(top.file() + ": eos_token_id: missing (top level and decoder)");
  c.decoder_start_token_id = *resolved_start;
  c.eos_token_id = *resolved_eos;
  c.pad_token_id = pad ? *pad : dec_pad ? *dec_pad : c.eos_token_id;
  check_token(top, "decoder_start_token_id", c.decoder_start_token_id, g.vocab_size);
  check_token(top, "eos_token_id", c.eos_token_id, g.vocab_size);
  check_token(top, "pad_token_id", c.pad_token_id, g.vocab_size);
}

}  // namespace

ModelConfig parse_model_config(const std::string& text, const std::string& file) {
  const json root = parse_json_text(text, file);
  if (!root.is_object()) throw Error(file + ": expected a JSON object at the top level");
  const Section top(root, "", file);

  // `architectures` names the class; older files may carry only `model_type`.
  std::string arch;
  if (const json* a = top.find("architectures"); a && !a->is_null()) {
    if (!a->is_array() || a->empty() || !(*a)[0].is_string())
      top.fail("architectures", "a list of class names", *a);
    arch = (*a)[0].get<std::string>();
  } else {
    const std::string type = top.string("model_type", "");
    arch = type == "blip" ? "BlipForConditionalGeneration"
         : type == "vision-encoder-decoder" ? "VisionEncoderDecoderModel"
         : type == "florence2" ? "Florence2ForConditionalGeneration" : type;
  }

  ModelConfig c;
  c.file = file;
  if (arch == "BlipForConditionalGeneration") {
    c.arch = Architecture::Blip;
    read_blip(top, c);
  } else if (arch == "VisionEncoderDecoderModel") {
    c.arch = Architecture::VitGpt2;
    read_vit_gpt2(top, c);
  } else if (arch == "Florence2ForConditionalGeneration") {
    c.arch = Architecture::Florence2;
    c.florence2 = parse_florence2_config(root, file);
    c.decoder_start_token_id = c.florence2.text.decoder_start_token_id;
    c.eos_token_id = c.florence2.text.eos_token_id;
    c.pad_token_id = c.florence2.text.pad_token_id;
  } else {
    throw Error(file + ": architecture '" + arch + "' is not supported (" + kSupported + ")");
  }
  return c;
}

ModelConfig load_model_config_file(const std::filesystem::path& path) {
  return parse_model_config(read_config_text(path, " (is this a Hugging Face model directory?)"), path.string());
}

ModelConfig load_model_config(const std::filesystem::path& dir) {
  return load_model_config_file(dir / "config.json");
}

}  // namespace vkcap::model
