#pragma once
// Florence2Processor.post_process_generation: reads the text a Florence-2 model generated for a
// task back into what the task asks for. Captions and OCR are text; detection, grounding and
// proposals are boxes written as four location tokens per box after a label
// ("car<loc_52><loc_333><loc_932><loc_774>"), OCR with regions is a quadrilateral per line
// (eight tokens), segmentation is polygons. A location token <loc_N> is bin N of 1000 along the
// image's width (x) or height (y); its coordinate is the bin's centre, (N + 0.5) * size / 1000,
// computed in float32 as the processor's torch code does.
//
// The text is what decode(ids, skip_special_tokens=false) gives. Location tokens only parse when
// they are adjacent, so it must be decoded without spaces between added tokens
// (DecodeOptions::spaces_between_special_tokens = false, as the fast tokenizer that Microsoft's
// checkpoints load does); the slow tokenizer's spaced text yields no regions.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "text/florence2_tasks.h"

namespace vkcap::text {

struct Florence2Region {
  enum class Shape { kBox, kQuad, kPolygons };
  Shape shape = Shape::kBox;
  std::string label;
  std::vector<float> points;                 // kBox: x1 y1 x2 y2; kQuad: four corners, x y each
  std::vector<std::vector<float>> polygons;  // kPolygons: each x1 y1 x2 y2 ... (pairs)
};

struct Florence2Result {
  std::string task;  // the task token, e.g. "<OD>"
  Florence2Answer answer = Florence2Answer::kPureText;
  std::string text;  // kPureText answers
  std::vector<Florence2Region> regions;
};

class Tokenizer;

// The text post-processing reads: the generated ids decoded with special tokens kept and, unless
// slow_spacing, no spaces around added tokens (see above).
std::string florence2_generated_text(const Tokenizer& tokenizer, std::span<const int32_t> ids,
                                     bool slow_spacing = false);

// post_process_generation(text, task, image_size=(width, height)). A task token outside the
// processor's table is read as pure text, as there.
Florence2Result florence2_post_process(std::string_view text, std::string_view task_token, int image_width,
                                       int image_height);

// What vkcap prints: {"text": ...} for text answers, otherwise {"regions": [{"label": ...,
// "box": [x1, y1, x2, y2]}, ...]} with "quad": [8 numbers] for OCR lines and "polygons":
// [[x1, y1, ...], ...] for segmentation. Coordinates are written with the fewest digits that
// read back as the same float32.
nlohmann::json florence2_result_json(const Florence2Result& result);

// The processor's own return value, {task: answer}, e.g. {"<OD>": {"bboxes": [...], "labels":
// [...]}}: for comparing with transformers.
nlohmann::json florence2_processor_json(const Florence2Result& result);

}  // namespace vkcap::text
