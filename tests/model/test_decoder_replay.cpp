// Record once, submit many: the decoder step at each position is recorded the first time and
// replayed for every later caption, with the same results as a fresh recording.
#include <doctest/doctest.h>

#include "api/decoder_step_model.h"
#include "common/gpu/harness.h"
#include "generate/generate.h"
#include "model/caption_model.h"

using namespace vkcap;

TEST_CASE("decoder steps are recorded once and replayed for later images") {
  const auto dir = std::filesystem::path(VKCAP_FIXTURES_DIR) / "blip_tiny_a";
  model::CaptionModel m(test::gpu(), dir);
  api::DecoderStepModel step_model(m);
  generate::GenerationConfig config;
  config.eos_token_id = {m.eos_token_id()};
  config.pad_token_id = m.pad_token_id();
  config.max_new_tokens = 12;
  config.min_new_tokens = 12;  // every caption reaches every position
  const auto prompt = m.decoder_prompt("");

  auto caption = [&](const char* file) {
    m.encode({m.pixel_values(image::decode_image(dir / file))});
    return generate::generate(step_model, prompt, 1, config).at(0).tokens;
  };
  const auto first = caption("img0_80x56.png");
  const size_t recorded = m.decoder().recorded_steps();
  CHECK(recorded == 12);  // positions 0..11: the prompt's and eleven generated tokens'
  const auto other = caption("img1_20x20.png");
  CHECK(m.decoder().recorded_steps() == recorded);  // all replayed
  CHECK(other != first);
  CHECK(caption("img0_80x56.png") == first);  // replays reproduce the first run exactly
  CHECK(m.decoder().recorded_steps() == recorded);
}

TEST_CASE("growing the KV cache past its first 32 positions keeps every [q|k|v] row intact") {
  // A caption longer than the cache's first capacity copies the cache into a larger one mid-
  // generation (with beam re-parenting around it). The same caption produced with a cache that
  // is already large enough (grown by an earlier long caption) must be token for token the same.
  const auto dir = std::filesystem::path(VKCAP_FIXTURES_DIR) / "blip_tiny_a";
  generate::GenerationConfig config;
  config.max_new_tokens = 44;
  config.min_new_tokens = 44;
  config.num_beams = 3;
  auto caption = [&](model::CaptionModel& m, const char* file) {
    config.eos_token_id = {m.eos_token_id()};
    config.pad_token_id = m.pad_token_id();
    api::DecoderStepModel step_model(m);
    m.encode({m.pixel_values(image::decode_image(dir / file))});
    return generate::generate(step_model, m.decoder_prompt(""), 1, config).at(0).tokens;
  };
  model::CaptionModel grown_during(test::gpu(), dir);
  const auto grown = caption(grown_during, "img0_80x56.png");
  REQUIRE(grown.size() >= 44);

  model::CaptionModel grown_before(test::gpu(), dir);
  caption(grown_before, "img1_20x20.png");  // grows this model's cache to 64 positions
  CHECK(caption(grown_before, "img0_80x56.png") == grown);
}
