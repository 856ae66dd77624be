// The processor parses answers with Python regular expressions; the scanners below follow what
// re.findall / re.finditer / re.search do with those patterns, position by position, including
// their corner cases (a match may start inside a location token, "." stops at "\n", "\s" is
// str.isspace()), so any text gives the processor's result. Only ASCII digits are read as bin
// numbers (Python would also take other Unicode digits; decoded Florence-2 text has none there).
#include "text/florence2_postprocess.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <unordered_set>

#include "text/cleanup.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace vkcap::text {
namespace {

using Bins = std::vector<int64_t>;

// BoxQuantizer / CoordinatesQuantizer.dequantize ("floor" mode, 1000 bins): the centre of the
// bin, in float32 like the torch tensors it is computed with.
float dequantize(int64_t bin, int size) {
  const float size_per_bin = static_cast<float>(static_cast<double>(size) / 1000.0);
  return (static_cast<float>(bin) + 0.5f) * size_per_bin;
}

// Alternating x, y bins -> coordinates.
std::vector<float> dequantize_xy(const Bins& bins, int width, int height) {
  std::vector<float> out;
  out.reserve(bins.size());
  for (size_t k = 0; k < bins.size(); ++k) out.push_back(dequantize(bins[k], k % 2 == 0 ? width : height));
  return out;
}

bool starts_with_at(std::string_view text, size_t pos, std::string_view what) {
  return pos <= text.size() && text.substr(pos).starts_with(what);
}

// Length of "<loc_N>" at pos (0 if there is none there) and N (saturated; int() has no limit).
size_t match_loc(std::string_view text, size_t pos, int64_t* bin = nullptr) {
  if (!starts_with_at(text, pos, "<loc_")) return 0;
  size_t q = pos + 5;
  int64_t value = 0;
  while (q < text.size() && text[q] >= '0' && text[q] <= '9') {
    const int digit = text[q] - '0';
    value = value > (std::numeric_limits<int64_t>::max() - digit) / 10 ? std::numeric_limits<int64_t>::max()
                                                                        : value * 10 + digit;
    ++q;
  }
  if (q == pos + 5 || q >= text.size() || text[q] != '>') return 0;
  if (bin) *bin = value;
  return q + 1 - pos;
}

// One token of a phrase's coordinates: a location, and for polygon answers also <sep>, <poly>
// and </poly>.
size_t match_coordinate_token(std::string_view text, size_t pos, bool polygon_tokens) {
  if (const size_t n = match_loc(text, pos)) return n;
  if (!polygon_tokens) return 0;
  for (std::string_view token : {"<sep>", "<poly>", "</poly>"}) {
    if (starts_with_at(text, pos, token)) return token.size();
  }
  return 0;
}

// re.findall of "[^<]+(?:TOKEN){4,}" (a label then four or more tokens) or, with
// allow_empty_label, of "(?:TOKEN){4,}".
std::vector<std::string_view> find_phrases(std::string_view text, bool polygon_tokens, bool allow_empty_label) {
  std::vector<std::string_view> phrases;
  size_t p = 0;
  while (p < text.size()) {
    size_t label_end = p;
    if (!allow_empty_label) {
      if (text[p] == '<') {
        ++p;
        continue;
      }
      label_end = text.find('<', p);
      if (label_end == std::string_view::npos) break;
    }
    size_t q = label_end, tokens = 0;
    while (const size_t n = match_coordinate_token(text, q, polygon_tokens)) q += n, ++tokens;
    if (tokens >= 4) {
      phrases.push_back(text.substr(p, q - p));
      p = q;
    } else {
      // A label starting later in the same run of non-'<' characters ends at the same place
      // and fails the same way.
      p = allow_empty_label ? p + 1 : label_end;
    }
  }
  return phrases;
}

size_t leading_space_bytes(std::string_view text) { return text.size() - python_lstrip(text).size(); }

// re.search(r"^\s*(.*?)(?=<od>|</od>|<box>|</box>|<bbox>|</bbox>|<loc_[|<poly>])", text).group():
// everything up to the first marker, provided no "\n" comes between the leading whitespace and
// that marker ("." does not match "\n"); nullopt when there is no such marker.
std::optional<std::string_view> label_before_marker(std::string_view text, bool poly_marker) {
  static constexpr std::string_view kMarkers[] = {"<od>", "</od>", "<box>", "</box>", "<bbox>", "</bbox>", "<loc_",
                                                  "<poly>"};
  const size_t marker_count = poly_marker ? 8 : 7;
  for (size_t i = leading_space_bytes(text); i < text.size(); ++i) {
    for (size_t m = 0; m < marker_count; ++m) {
      if (starts_with_at(text, i, kMarkers[m])) return text.substr(0, i);
    }
    if (text[i] == '\n') return std::nullopt;
  }
  return std::nullopt;
}

// phrase.encode("ascii", errors="ignore").decode("ascii"): drops every non-ASCII character.
std::string ascii_only(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x80) out.push_back(c);
  }
  return out;
}

// re.finditer of four adjacent location tokens: the boxes written after one label.
std::vector<Bins> find_boxes(std::string_view text) {
  std::vector<Bins> boxes;
  size_t p = 0;
  while (p < text.size()) {
    Bins bins(4);
    size_t q = p;
    bool four = true;
    for (int64_t& bin : bins) {
      const size_t n = match_loc(text, q, &bin);
      if (n == 0) {
        four = false;
        break;
      }
      q += n;
    }
    if (four) {
      boxes.push_back(std::move(bins));
      p = q;
    } else {
      ++p;
    }
  }
  return boxes;
}

std::string remove_all(std::string text, std::string_view what) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(what, pos)) != std::string::npos; pos = hit + what.size()) {
    out.append(text, pos, hit - pos);
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::string without_sequence_tokens(std::string text) {
  return remove_all(remove_all(remove_all(std::move(text), "<s>"), "</s>"), "<pad>");
}

// Phrases the processor never grounds: pronouns and words that name no object.
bool is_generic_phrase(const std::string& phrase) {
  static const std::unordered_set<std::string> kGeneric = {
      "it", "I", "me", "mine", "you", "your", "yours", "he", "him", "his", "she", "her", "hers", "they", "them",
      "their", "theirs", "one", "oneself", "we", "us", "our", "ours", "its", "myself", "yourself", "himself",
      "herself", "itself", "ourselves", "yourselves", "themselves", "this", "that", "these", "those", "who", "whom",
      "whose", "which", "what", "all", "another", "any", "anybody", "anyone", "anything", "each", "everybody",
      "everyone", "everything", "few", "many", "nobody", "none", "several", "some", "somebody", "someone",
      "something", "each other", "one another", "the image", "image", "images", "the", "a", "an", "a group",
      "other objects", "lots", "a set"};
  return kGeneric.contains(phrase);
}

// parse_description_with_bboxes_from_text_and_spans and parse_phrase_grounding_from_text_and_spans:
// a region per box, labelled with the phrase before it.
std::vector<Florence2Region> parse_boxes(const std::string& raw, bool allow_empty_label, bool grounding, int width,
                                         int height) {
  const std::string text = without_sequence_tokens(raw);
  std::vector<Florence2Region> regions;
  for (std::string_view phrase_text : find_phrases(text, false, allow_empty_label)) {
    const std::optional<std::string_view> label = label_before_marker(phrase_text, false);
    if (!label) continue;
    const std::vector<Bins> boxes = find_boxes(phrase_text);
    if (boxes.empty()) continue;
    const std::string stripped(python_strip(*label));
    if (grounding && is_generic_phrase(stripped)) continue;
    const std::string name = ascii_only(stripped);
    for (const Bins& bins : boxes) {
      regions.push_back({Florence2Region::Shape::kBox, name, dequantize_xy(bins, width, height), {}});
    }
  }
  return regions;
}

// parse_ocr_from_text_and_spans: re.findall("(.+?)" + 8 x "<loc_(\d+)>") after removing "<s>":
// the shortest text (without "\n") followed by eight location tokens. The text is kept as it is.
std::vector<Florence2Region> parse_ocr(const std::string& raw, int width, int height) {
  const std::string text = remove_all(raw, "<s>");
  std::vector<Florence2Region> regions;
  size_t p = 0;
  while (p < text.size()) {
    if (text[p] == '\n') {
      ++p;
      continue;
    }
    const size_t line_end = std::min(text.find('\n', p), text.size());
    bool found = false;
    for (size_t e = text.find('<', p + 1); e < line_end; e = text.find('<', e + 1)) {
      Bins bins(8);
      size_t q = e;
      bool eight = true;
      for (int64_t& bin : bins) {
        const size_t n = match_loc(text, q, &bin);
        if (n == 0) {
          eight = false;
          break;
        }
        q += n;
      }
      if (!eight) continue;
      regions.push_back({Florence2Region::Shape::kQuad, text.substr(p, e - p), dequantize_xy(bins, width, height), {}});
      p = q;
      found = true;
      break;
    }
    // Every later start on this line sees a subset of the same candidate ends.
    if (!found) p = line_end;
  }
  return regions;
}

// re.finditer(r"<poly>(.*?)</poly>") groups.
std::vector<std::string_view> polygon_groups(std::string_view text) {
  std::vector<std::string_view> groups;
  size_t p = 0;
  while (p < text.size()) {
    if (starts_with_at(text, p, "<poly>")) {
      const size_t close = text.find("</poly>", p + 6);
      const size_t newline = text.find('\n', p + 6);
      if (close != std::string_view::npos && (newline == std::string_view::npos || newline > close)) {
        groups.push_back(text.substr(p + 6, close - p - 6));
        p = close + 7;
        continue;
      }
    }
    ++p;
  }
  return groups;
}

// re.finditer(r"((?:<loc_\d+>)+)(?:<sep>|$)"): runs of location tokens ended by <sep> or by the
// end of the text, each one polygon.
std::vector<Bins> find_polygons(std::string_view text) {
  std::vector<Bins> polygons;
  size_t p = 0;
  while (p < text.size()) {
    Bins bins;
    size_t q = p;
    int64_t bin = 0;
    while (const size_t n = match_loc(text, q, &bin)) q += n, bins.push_back(bin);
    if (!bins.empty() && (q == text.size() || starts_with_at(text, q, "<sep>"))) {
      polygons.push_back(std::move(bins));
      p = q == text.size() ? q : q + 5;
    } else {
      ++p;
    }
  }
  return polygons;
}

// parse_description_with_polygons_from_text_and_spans (without a box at the start): a region per
// <poly>...</poly> group (or per phrase when there are none), holding its polygons.
std::vector<Florence2Region> parse_polygons(const std::string& raw, bool allow_empty_label, int width, int height) {
  const std::string text = without_sequence_tokens(raw);
  std::vector<Florence2Region> regions;
  for (std::string_view phrase_text : find_phrases(text, true, allow_empty_label)) {
    // A phrase found from inside a location token starts "loc_N>": that piece is dropped.
    std::string_view label_text = phrase_text;
    if (label_text.starts_with("loc_")) {
      size_t q = 4;
      while (q < label_text.size() && label_text[q] >= '0' && label_text[q] <= '9') ++q;
      if (q > 4 && q < label_text.size() && label_text[q] == '>') label_text.remove_prefix(q + 1);
    }
    if (label_text.empty() && !allow_empty_label) continue;
    const std::optional<std::string_view> label = label_before_marker(label_text, true);
    if (!label) continue;
    const std::string name(python_strip(*label));

    std::vector<std::string_view> instances;
    if (phrase_text.find("<poly>") != std::string_view::npos && phrase_text.find("</poly>") != std::string_view::npos) {
      instances = polygon_groups(phrase_text);
    } else {
      instances = {phrase_text};
    }
    for (std::string_view instance : instances) {
      const std::vector<Bins> found = find_polygons(instance);
      if (found.empty()) continue;
      Florence2Region region{Florence2Region::Shape::kPolygons, name, {}, {}};
      for (Bins bins : found) {
        if (bins.size() % 2 == 1) bins.pop_back();  // an unpaired last number is dropped
        region.polygons.push_back(dequantize_xy(bins, width, height));
      }
      regions.push_back(std::move(region));
    }
  }
  return regions;
}

// The fewest significant digits that read back as the same float32, as a double for JSON.
double shortest_decimal(float value) {
  char buffer[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, static_cast<double>(value));
    if (std::strtof(buffer, nullptr) == value) return std::strtod(buffer, nullptr);
  }
  return value;
}

nlohmann::json numbers(const std::vector<float>& values) {
  nlohmann::json out = nlohmann::json::array();
  for (float v : values) out.push_back(shortest_decimal(v));
  return out;
}

nlohmann::json polygons_json(const Florence2Region& region) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& polygon : region.polygons) out.push_back(numbers(polygon));
  return out;
}

}  // namespace

std::string florence2_generated_text(const Tokenizer& tokenizer, std::span<const int32_t> ids, bool slow_spacing) {
  DecodeOptions options;
  options.skip_special_tokens = false;
  options.spaces_between_special_tokens = slow_spacing;
  return tokenizer.decode(ids, options);
}

Florence2Result florence2_post_process(std::string_view text, std::string_view task_token, int image_width,
                                       int image_height) {
  Florence2Result result;
  result.task = std::string(task_token);
  result.answer = florence2_answer_type(task_token);
  const std::string valid = encode_utf8(decode_utf8_replace(text));  // a Python str is valid Unicode
  const int w = image_width, h = image_height;
  switch (result.answer) {
    case Florence2Answer::kPureText:
      result.text = remove_all(remove_all(valid, "<s>"), "</s>");
      break;
    case Florence2Answer::kOcr:
      result.regions = parse_ocr(valid, w, h);
      break;
    case Florence2Answer::kDescriptionWithBboxes:
      result.regions = parse_boxes(valid, false, false, w, h);
      break;
    case Florence2Answer::kPhraseGrounding:
      result.regions = parse_boxes(valid, false, true, w, h);
      break;
    case Florence2Answer::kBboxes:
      result.regions = parse_boxes(valid, true, false, w, h);
      break;
    case Florence2Answer::kPolygons:
      result.regions = parse_polygons(valid, true, w, h);
      break;
    case Florence2Answer::kDescriptionWithBboxesOrPolygons:
      result.regions = valid.find("<poly>") != std::string::npos ? parse_polygons(valid, false, w, h)
                                                                 : parse_boxes(valid, false, false, w, h);
      break;
  }
  return result;
}

nlohmann::json florence2_result_json(const Florence2Result& result) {
  if (result.answer == Florence2Answer::kPureText) return {{"text", result.text}};
  nlohmann::json regions = nlohmann::json::array();
  for (const Florence2Region& region : result.regions) {
    nlohmann::json item = {{"label", region.label}};
    switch (region.shape) {
      case Florence2Region::Shape::kBox: item["box"] = numbers(region.points); break;
      case Florence2Region::Shape::kQuad: item["quad"] = numbers(region.points); break;
      case Florence2Region::Shape::kPolygons: item["polygons"] = polygons_json(region); break;
    }
    regions.push_back(std::move(item));
  }
  return {{"regions", std::move(regions)}};
}

nlohmann::json florence2_processor_json(const Florence2Result& result) {
  using nlohmann::json;
  json answer;
  json labels = json::array(), shapes = json::array();
  switch (result.answer) {
    case Florence2Answer::kPureText:
      answer = result.text;
      break;
    case Florence2Answer::kOcr:
      for (const auto& region : result.regions) shapes.push_back(region.points), labels.push_back(region.label);
      answer = {{"quad_boxes", shapes}, {"labels", labels}};
      break;
    case Florence2Answer::kDescriptionWithBboxes:
    case Florence2Answer::kPhraseGrounding:
    case Florence2Answer::kBboxes:
      for (const auto& region : result.regions) shapes.push_back(region.points), labels.push_back(region.label);
      answer = {{"bboxes", shapes}, {"labels", labels}};
      break;
    case Florence2Answer::kPolygons:
      for (const auto& region : result.regions) shapes.push_back(region.polygons), labels.push_back(region.label);
      answer = {{"polygons", shapes}, {"labels", labels}};
      break;
    case Florence2Answer::kDescriptionWithBboxesOrPolygons: {
      json polygons = json::array(), polygon_labels = json::array();
      for (const auto& region : result.regions) {
        if (region.shape == Florence2Region::Shape::kPolygons) {
          polygons.push_back(region.polygons), polygon_labels.push_back(region.label);
        } else {
          shapes.push_back(region.points), labels.push_back(region.label);
        }
      }
      answer = {{"bboxes", shapes}, {"bboxes_labels", labels}, {"polygons", polygons}, {"polygons_labels", polygon_labels}};
      break;
    }
  }
  return {{result.task, std::move(answer)}};
}

}  // namespace vkcap::text
