#include "model/florence2_config.h"

#include <climits>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"
#include "util/json_parse.h"

namespace vkcap {

namespace {

using json = nlohmann::json;

class VisionSection {
 public:
  VisionSection(const json& obj, const std::string& file) : obj_(obj), file_(file) {}

  [[noreturn]] void fail(const std::string& key, const std::string& expected, const json& got) const {
    throw Error(file_ + ": vision_config." + key + ": expected " + expected + ", got " + got.dump());
  }
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw Error(file_ + ": vision_config." + key + ": " + problem);
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
};

}  // namespace

Florence2VisionConfig parse_florence2_vision_config(const json& vc, const std::string& file) {
  if (!vc.is_object()) throw Error(file + ": vision_config: expected an object, got " + vc.dump());
  const VisionSection s(vc, file);
  if (const json* type = s.find("model_type"); type && (!type->is_string() || type->get<std::string>() != "davit"))
    s.fail("model_type", "\"davit\" (the only vision tower Florence-2 defines)", *type);
  Florence2VisionConfig c;
  // Florence2VisionConfig's defaults (the large model).
  const std::vector<int> dims = s.integers("dim_embed", {256, 512, 1024, 2048}, 0, 1);
  const size_t n = dims.size();
  const std::vector<int> depths = s.integers("depths", {1, 1, 9, 1}, n, 0);
  const std::vector<int> heads = s.integers("num_heads", {8, 16, 32, 64}, n, 1);
  const std::vector<int> groups = s.integers("num_groups", {8, 16, 32, 64}, n, 1);
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
  c.pos_embed_max = s.typed_table("image_pos_embed", "learned_abs_2d", "max_pos_embeddings", 50);
  c.temporal_embed_max =
      s.typed_table("visual_temporal_embedding", "COSINE", "max_temporal_embeddings", 100);
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

Florence2VisionConfig load_florence2_vision_config(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "config.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  const json top = parse_json_text(text.str(), path.string());
  if (!top.is_object()) throw Error(path.string() + ": expected a JSON object");
  auto vc = top.find("vision_config");
  if (vc == top.end()) throw Error(path.string() + ": no vision_config (not a Florence-2 config)");
  return parse_florence2_vision_config(*vc, path.string());
}

}  // namespace vkcap
