#include "cli/caption_output.h"

#include "cli/attention_map.h"
#include "cli/embed_metadata.h"
#include "cli/florence2_record.h"
#include "cli/region_drawing.h"
#include "cli/token_attention.h"
#include "image/image.h"
#include "util/error.h"

namespace vkcap::cli {

CaptionOutput::CaptionOutput(const CaptionOptions& options, RecordWriter& writer, const GenerationSettings& settings,
                             nlohmann::json extra, std::optional<int> attention_layer, int patch_grid,
                             bool progress_on_terminal)
    : options_(options),
      writer_(writer),
      extra_(std::move(extra)),
      score_kind_(settings.num_beams > 1 ? "sequence_score" : "mean_logprob"),
      attention_layer_(attention_layer),
      patch_grid_(patch_grid),
      progress_on_terminal_(progress_on_terminal),
      existing_(parse_existing(options.existing)) {}

void CaptionOutput::write_failed(CaptionRecord record) { finish(record); }

void CaptionOutput::write(ImageResult&& result) {
  CaptionRecord record;
  record.image = result.image.string();
  record.error = result.error;
  if (result.caption) {
    const Caption& c = *result.caption;
    record.caption = options_.prefix + c.text + options_.suffix;
    record.tokens = c.tokens;
    record.score = c.score;
    record.score_kind = score_kind_;
    record.finish_reason = c.finish_reason;
    record.encode_ms = result.encode_ms;
    record.decode_ms = result.decode_ms;
    record.extra = extra_;
    add_florence2_fields(c, record.extra);
    if (c.finish_reason == "length") ++stopped_at_length_;
    record.warning = write_side_outputs(result, record);
  }
  finish(record);
}

std::string CaptionOutput::write_side_outputs(const ImageResult& result, CaptionRecord& record) const {
  std::string warning;
  auto attempt = [&](auto&& action) {
    try {
      action();
    } catch (const Error& e) {
      if (warning.empty()) warning = e.what();
    }
  };
  if (attention_layer_) {
    const std::vector<TokenAttention> maps = token_attention(*result.caption, *attention_layer_);
    if (options_.attention) record.extra["attention"] = attention_json(maps, patch_grid_, patch_grid_, *attention_layer_);
    if (!options_.attention_map.empty())
      attempt([&] {
        image::DecodeOptions decode;
        decode.apply_exif_orientation = !options_.no_exif_rotate;
        const AttentionTiles tiles = attention_tiles(maps);
        write_attention_grid(attention_map_path(options_.attention_map, result.image), image::decode_image(result.image, decode),
                             tiles.words, tiles.grids, patch_grid_, patch_grid_);
      });
  }
  if (!options_.draw_boxes.empty() && result.caption->region_task)
    attempt([&] {
      image::DecodeOptions decode;
      decode.apply_exif_orientation = !options_.no_exif_rotate;
      write_regions_png(png_output_path(options_.draw_boxes, result.image, ".boxes"),
                        image::decode_image(result.image, decode), result.caption->regions);
    });
  if (!options_.sidecar.empty())
    attempt([&] { write_sidecar(sidecar_path(result.image, options_.sidecar), existing_, record.caption); });
  if (options_.write_metadata) attempt([&] { embed_caption_metadata(record.image, record.caption); });
  return warning;
}

void CaptionOutput::finish(const CaptionRecord& record) {
  const char* clear_line = progress_on_terminal_ ? "\r\x1b[K" : "";
  if (!record.error.empty()) {
    ++failed_;
    std::fprintf(stderr, "%svkcap: %s\n", clear_line, record.error.c_str());
  } else if (!record.warning.empty()) {
    ++warned_;
    std::fprintf(stderr, "%svkcap: %s (the caption is in the record)\n", clear_line, record.warning.c_str());
  }
  writer_.write(record);
  ++done_;
}

}  // namespace vkcap::cli
