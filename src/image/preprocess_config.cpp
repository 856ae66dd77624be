// preprocessor_config.json → PreprocessConfig, with the processor classes' defaults.
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "image/preprocess.h"
#include "util/error.h"
#include "util/json_limits.h"
#include "util/json_parse.h"

namespace vkcap::image {

PreprocessConfig PreprocessConfig::blip_defaults() {
  PreprocessConfig c;
  c.size = {384, 384, 0};
  c.resample = Resample::bicubic;
  // OPENAI_CLIP_MEAN / OPENAI_CLIP_STD (transformers utils/constants.py).
  c.image_mean = {0.48145466, 0.4578275, 0.40821073};
  c.image_std = {0.26862954, 0.26130258, 0.27577711};
  c.do_convert_rgb = true;
  return c;
}

PreprocessConfig PreprocessConfig::vit_defaults() {
  PreprocessConfig c;  // IMAGENET_STANDARD_MEAN/STD = 0.5, 224×224 bilinear
  return c;
}

namespace {

using nlohmann::json;

struct Reader {
  const json& root;
  std::string file;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(file + ": key \"" + key + "\" " + what);
  }
  std::string shown(const json& v) const {
    std::string s = v.dump();
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
  }

  void read_bool(const char* key, bool& out) const {
    auto it = root.find(key);
    if (it == root.end() || it->is_null()) return;
    if (!it->is_boolean()) fail(key, "must be true or false, got " + shown(*it));
    out = it->get<bool>();
  }
  double number(const std::string& key, const json& v) const {
    if (!v.is_number()) fail(key, "must be a number, got " + shown(v));
    return v.get<double>();
  }
  int positive_int(const std::string& key, const json& v) const {
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > kMaxImageSide)
      fail(key, "must be an integer in 1.." + std::to_string(kMaxImageSide) + ", got " + shown(v));
    return int(v.get<int64_t>());
  }
  void read_triple(const char* key, std::array<double, 3>& out) const {
    auto it = root.find(key);
    if (it == root.end() || it->is_null()) return;
    // A single number means the same for every channel (HF broadcasts it).
    if (it->is_number()) {
      out.fill(number(key, *it));
      return;
    }
    if (!it->is_array() || it->size() != 3)
      fail(key, "must be a list of 3 numbers (R, G, B), got " + shown(*it));
    for (int i = 0; i < 3; ++i) out[i] = number(key, (*it)[i]);
  }
  void read_size(ResizeTarget& out) const {
    auto it = root.find("size");
    if (it == root.end() || it->is_null()) return;
    if (it->is_number()) {
      const int n = positive_int("size", *it);
      out = {n, n, 0};
      return;
    }
    if (!it->is_object()) fail("size", "must be an integer or an object, got " + shown(*it));
    const bool has_h = it->contains("height"), has_w = it->contains("width");
    if (has_h && has_w) {
      out = {positive_int("size.height", (*it)["height"]), positive_int("size.width", (*it)["width"]), 0};
    } else if (it->contains("shortest_edge") && !has_h && !has_w) {
      if (it->contains("longest_edge"))
        fail("size", "with \"longest_edge\" is not supported, got " + shown(*it));
      out = {0, 0, positive_int("size.shortest_edge", (*it)["shortest_edge"])};
    } else {
      fail("size", "must have \"height\" and \"width\", or \"shortest_edge\", got " + shown(*it));
    }
  }
};

std::string processor_type(const json& root) {
  for (const char* key : {"image_processor_type", "feature_extractor_type"}) {
    auto it = root.find(key);
    if (it != root.end() && it->is_string()) return it->get<std::string>();
  }
  return {};
}

}  // namespace

PreprocessConfig parse_preprocess_config(std::string_view text, std::string_view name) {
  const std::string file(name);
  const json root = parse_json_text(text, file);
  if (!root.is_object()) throw Error(file + ": expected a JSON object at the top level");

  PreprocessConfig c = processor_type(root).starts_with("Blip") ? PreprocessConfig::blip_defaults()
                                                                 : PreprocessConfig::vit_defaults();
  const Reader r{root, file};
  r.read_bool("do_resize", c.do_resize);
  r.read_size(c.size);
  if (auto it = root.find("resample"); it != root.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 5)
      r.fail("resample", "must be a Pillow filter number 0..5 (2 bilinear, 3 bicubic), got " +
                             r.shown(*it));
    c.resample = Resample(it->get<int>());
  }
  r.read_bool("do_rescale", c.do_rescale);
  if (auto it = root.find("rescale_factor"); it != root.end() && !it->is_null())
    c.rescale_factor = r.number("rescale_factor", *it);
  r.read_bool("do_normalize", c.do_normalize);
  r.read_triple("image_mean", c.image_mean);
  r.read_triple("image_std", c.image_std);
  for (double s : c.image_std)
    if (s == 0.0) r.fail("image_std", "must not contain 0, got " + r.shown(root["image_std"]));
  r.read_bool("do_convert_rgb", c.do_convert_rgb);
  return c;
}

PreprocessConfig load_preprocess_config(const std::filesystem::path& path) {
  return parse_preprocess_config(read_config_text(path, " preprocessor config"), path.string());
}

}  // namespace vkcap::image
