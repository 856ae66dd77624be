#include "model/florence2_config.h"

#include <climits>
#include <optional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"
#include "util/json_parse.h"

namespace vkcap::model {

namespace {

using json = nlohmann::json;

// One sub-config object (vision_config, text_config), read key by key; absent or null keys take
// the class default.
class Section {
 public:
  Section(const json& obj, const std::string& file, std::string name)
      : obj_(obj), file_(file), prefix_(std::move(name) + ".") {}

  [[noreturn]] void fail(const std::string& key, const std::string& expected, const json& got) const {
    throw Error(file_ + ": " + prefix_ + key + ": expected " + expected + ", got " + got.dump());
  }
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw Error(file_ + ": " + prefix_ + key + ": " + problem);
  }
  const json* find(const std::string& key) const {
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }

  int integer(const json& v, const std::string& key, int min, int max = INT_MAX) const {
    const std::string expected = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) fail(key, expected, v);
    return int(v.get<int64_t>());
  }
  int integer(const std::string& key, int def, int min, int max = INT_MAX) const {
    const json* v = find(key);
    return v ? integer(*v, key, min, max) : def;
  }
  // A per-stage list; `count` = 0 takes the length from the file.
  std::vector<int> integers(const std::string& key, std::vector<int> def, size_t count, int min) const {
    const json* v = find(key);
    if (!v) {
      if (count && def.size() != count) fail(key, "missing, and its default has " + std::to_string(def.size()) +
                                                      " stages where the config has " + std::to_string(count));
      return def;
    }
    const std::string expected = "a list of " + (count ? std::to_string(count) + " " : std::string()) +
                                 "integers >= " + std::to_string(min);
    if (!v->is_array() || v->empty() || (count && v->size() != count)) fail(key, expected, *v);
    std::vector<int> out;
    for (const json& e : *v) {
      if (!e.is_number_integer() || e.get<int64_t>() < min || e.get<int64_t>() > INT_MAX) fail(key, expected, *v);
      out.push_back(int(e.get<int64_t>()));
    }
    return out;
  }
  bool boolean(const std::string& key, bool def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_boolean()) fail(key, "true or false", *v);
    return v->get<bool>();
  }
  // A token id that may be null (forced_bos_token_id).
  std::optional<int> token(const std::string& key, std::optional<int> def) const {
    auto it = obj_.find(key);
    if (it == obj_.end()) return def;
    if (it->is_null()) return std::nullopt;
    return integer(*it, key, 0);
  }
  std::vector<bool> booleans(const std::string& key, std::vector<bool> def, size_t count) const {
    const json* v = find(key);
    if (!v) {
      if (def.size() != count) fail(key, "missing, and its default does not have " + std::to_string(count) + " stages");
      return def;
    }
    if (!v->is_array() || v->size() != count) fail(key, "a list of " + std::to_string(count) + " booleans", *v);
    std::vector<bool> out;
    for (const json& e : *v) {
      if (!e.is_boolean()) fail(key, "a list of " + std::to_string(count) + " booleans", *v);
      out.push_back(e.get<bool>());
    }
    return out;
  }
  // {"type": <one of types>, <size_key>: n}; `def` when absent.
  int typed_table(const std::string& key, const std::string& type, const std::string& size_key, int def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_object()) fail(key, "an object with \"type\" and \"" + size_key + "\"", *v);
    auto t = v->find("type");
    if (t == v->end() || !t->is_string() || t->get<std::string>() != type)
      fail(key + ".type", "\"" + type + "\" (the only kind Florence-2 defines)", t == v->end() ? json() : *t);
    auto n = v->find(size_key);
    return n == v->end() ? def : integer(*n, key + "." + size_key, 1);
  }

 private:
  const json& obj_;
  const std::string& file_;
  std::string prefix_;
};

}  // namespace

Florence2VisionConfig parse_florence2_vision_config(const json& vc, const std::string& file) {
  if (!vc.is_object()) throw Error(file + ": vision_config: expected an object, got " + vc.dump());
  const Section s(vc, file, "vision_config");
  // Microsoft's Florence-2-base writes "model_type": "" here (PretrainedConfig's default);
  // transformers' own port (florence-community/*) writes "florence_vision".
  const json* type = s.find("model_type");
  if (type && (!type->is_string() || (type->get<std::string>() != "davit" &&
                                      type->get<std::string>() != "florence_vision" && !type->get<std::string>().empty())))
    s.fail("model_type", "\"davit\" or \"florence_vision\" (the vision towers Florence-2 defines)", *type);
  // The port renames some keys and defaults to the base model where Microsoft's defaults to large;
  // it saves only the keys that differ from its defaults.
  const bool port = (type && type->get<std::string>() == "florence_vision") || s.find("embed_dim");
  const std::vector<int> default_dims = port ? std::vector<int>{128, 256, 512, 1024} : std::vector<int>{256, 512, 1024, 2048};
  const std::vector<int> default_heads = port ? std::vector<int>{4, 8, 16, 32} : std::vector<int>{8, 16, 32, 64};
  Florence2VisionConfig c;
  const std::vector<int> dims = s.integers(port ? "embed_dim" : "dim_embed", default_dims, 0, 1);
  const size_t n = dims.size();
  const std::vector<int> depths = s.integers("depths", {1, 1, 9, 1}, n, 0);
  const std::vector<int> heads = s.integers("num_heads", default_heads, n, 1);
  const std::vector<int> groups = s.integers("num_groups", default_heads, n, 1);
  const std::vector<int> sizes = s.integers("patch_size", {7, 3, 3, 3}, n, 1);
  const std::vector<int> strides = s.integers("patch_stride", {4, 2, 2, 2}, n, 1);
  const std::vector<int> paddings = s.integers("patch_padding", {3, 1, 1, 1}, n, 0);
  const std::vector<bool> prenorm = s.booleans("patch_prenorm", {false, true, true, true}, n);
  for (size_t i = 0; i < n; ++i) {
    DavitStage st;
    st.dim = dims[i], st.depth = depths[i], st.heads = heads[i], st.groups = groups[i];
    st.patch_size = sizes[i], st.patch_stride = strides[i], st.patch_padding = paddings[i];
    st.patch_prenorm = prenorm[i];
    std::string at = "[";  // (appending, not prepending: GCC 12 warns falsely on "literal" + std::string)
    at += std::to_string(i);
    at += "]";
    if (st.dim % st.heads != 0)
      s.fail("num_heads" + at, "dim_embed" + at + " " + std::to_string(st.dim) + " is not divisible by " +
                                   std::to_string(st.heads) + " heads");
    if (st.dim % st.groups != 0)
      s.fail("num_groups" + at, "dim_embed" + at + " " + std::to_string(st.dim) + " is not divisible by " +
                                    std::to_string(st.groups) + " groups");
    if (st.patch_padding >= st.patch_size)
      s.fail("patch_padding" + at, std::to_string(st.patch_padding) + " is not smaller than patch_size " +
                                       std::to_string(st.patch_size));
    c.stages.push_back(st);
  }
  c.window_size = s.integer("window_size", 12, 1);
  c.projection_dim = s.integer("projection_dim", 1024, 1);
  if (port) {
    c.pos_embed_max = s.integer("max_position_embeddings", 50, 1);
    c.temporal_embed_max = s.integer("max_temporal_embeddings", 100, 1);
  } else {
    c.pos_embed_max = s.typed_table("image_pos_embed", "learned_abs_2d", "max_pos_embeddings", 50);
    c.temporal_embed_max =
        s.typed_table("visual_temporal_embedding", "COSINE", "max_temporal_embeddings", 100);
  }
  if (const json* v = s.find("image_feature_source")) {
    const std::string expected = "a list of \"spatial_avg_pool\", \"temporal_avg_pool\", \"last_frame\"";
    if (!v->is_array() || v->empty()) s.fail("image_feature_source", expected, *v);
    c.feature_sources.clear();
    for (const json& e : *v) {
      const std::string name = e.is_string() ? e.get<std::string>() : "";
      if (name == "spatial_avg_pool") c.feature_sources.push_back(ImageFeatureSource::SpatialAvgPool);
      else if (name == "temporal_avg_pool") c.feature_sources.push_back(ImageFeatureSource::TemporalAvgPool);
      else if (name == "last_frame") c.feature_sources.push_back(ImageFeatureSource::LastFrame);
      else s.fail("image_feature_source", expected, *v);
    }
  }
  return c;
}

namespace {

json read_config_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  json top = parse_json_text(text.str(), path.string());
  if (!top.is_object()) throw Error(path.string() + ": expected a JSON object");
  return top;
}

const json& sub_config(const json& top, const char* key, const std::string& file) {
  auto it = top.find(key);
  if (it == top.end()) throw Error(file + ": no " + key + " (not a Florence-2 config)");
  return *it;
}

}  // namespace

Florence2TextConfig parse_florence2_text_config(const json& tc, const std::string& file) {
  if (!tc.is_object()) throw Error(file + ": text_config: expected an object, got " + tc.dump());
  const Section s(tc, file, "text_config");
  if (const json* type = s.find("model_type");
      type && (!type->is_string() || (type->get<std::string>() != "florence2_language" &&
                                      type->get<std::string>() != "bart" && !type->get<std::string>().empty())))
    s.fail("model_type", "\"florence2_language\" or \"bart\"", *type);
  Florence2TextConfig c;
  c.vocab_size = s.integer("vocab_size", c.vocab_size, 1);
  c.d_model = s.integer("d_model", c.d_model, 1);
  c.encoder_layers = s.integer("encoder_layers", c.encoder_layers, 1);
  c.encoder_attention_heads = s.integer("encoder_attention_heads", c.encoder_attention_heads, 1);
  c.encoder_ffn_dim = s.integer("encoder_ffn_dim", c.encoder_ffn_dim, 1);
  c.decoder_layers = s.integer("decoder_layers", c.decoder_layers, 1);
  c.decoder_attention_heads = s.integer("decoder_attention_heads", c.decoder_attention_heads, 1);
  c.decoder_ffn_dim = s.integer("decoder_ffn_dim", c.decoder_ffn_dim, 1);
  c.max_position_embeddings = s.integer("max_position_embeddings", c.max_position_embeddings, 2);
  for (const char* key : {"encoder_attention_heads", "decoder_attention_heads"}) {
    const int heads = key[0] == 'e' ? c.encoder_attention_heads : c.decoder_attention_heads;
    if (c.d_model % heads != 0)
      s.fail(key, "d_model " + std::to_string(c.d_model) + " is not divisible by " + std::to_string(heads) + " heads");
  }
  if (const json* act = s.find("activation_function"); act && (!act->is_string() || act->get<std::string>() != "gelu"))
    s.fail("activation_function", "\"gelu\" (what Florence-2 uses)", *act);
  if (s.boolean("scale_embedding", false)) s.fail("scale_embedding", "true is not supported (Florence-2 uses false)");
  if (s.boolean("normalize_before", false) || s.boolean("add_final_layer_norm", false))
    s.fail("normalize_before", "pre-LayerNorm BART layers are not supported (Florence-2's are post-LayerNorm)");
  c.bos_token_id = s.integer("bos_token_id", c.bos_token_id, 0, c.vocab_size - 1);
  c.pad_token_id = s.integer("pad_token_id", c.pad_token_id, 0, c.vocab_size - 1);
  c.eos_token_id = s.integer("eos_token_id", c.eos_token_id, 0, c.vocab_size - 1);
  c.decoder_start_token_id = s.integer("decoder_start_token_id", c.decoder_start_token_id, 0, c.vocab_size - 1);
  c.forced_bos_token_id = s.token("forced_bos_token_id", c.forced_bos_token_id);
  c.forced_eos_token_id = s.token("forced_eos_token_id", c.forced_eos_token_id);
  for (const auto& [key, id] : {std::pair{"forced_bos_token_id", c.forced_bos_token_id},
                                std::pair{"forced_eos_token_id", c.forced_eos_token_id}})
    if (id && *id >= c.vocab_size) s.fail(key, std::to_string(*id) + " is outside the vocabulary");
  c.num_beams = s.integer("num_beams", c.num_beams, 1);
  c.no_repeat_ngram_size = s.integer("no_repeat_ngram_size", c.no_repeat_ngram_size, 0);
  c.early_stopping = s.boolean("early_stopping", c.early_stopping);
  c.max_length = s.integer("max_length", c.max_length, 1);
  return c;
}

Florence2VisionConfig load_florence2_vision_config(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "config.json";
  return parse_florence2_vision_config(sub_config(read_config_json(path), "vision_config", path.string()),
                                       path.string());
}

Florence2Config parse_florence2_config(const json& top, const std::string& file) {
  Florence2Config c;
  c.vision = parse_florence2_vision_config(sub_config(top, "vision_config", file), file);
  c.text = parse_florence2_text_config(sub_config(top, "text_config", file), file);
  if (c.vision.projection_dim != c.text.d_model)
    throw Error(file + ": vision_config.projection_dim " + std::to_string(c.vision.projection_dim) +
                " differs from text_config.d_model " + std::to_string(c.text.d_model) +
                " (the image features are the language model's input rows)");
  return c;
}

Florence2Config load_florence2_config(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "config.json";
  return parse_florence2_config(read_config_json(path), path.string());
}

}  // namespace vkcap::model
