// Errors through the public API: one vkcap::Error with a message that says what and where.
#include <string>

#include "api_test_util.h"
#include "vkcap/attention.h"
#include "vkcap/captioner.h"

using namespace vkcap;
using namespace vkcap::api_test;

namespace {

std::string message_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no vkcap::Error thrown)";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a missing model directory is a vkcap::Error naming it") {
  const std::string missing = "/nonexistent/vkcap-test-model";
  const std::string m = message_of([&] { Captioner c(missing, checked_captioner_options()); });
  INFO(m);
  CHECK(contains(m, missing));
  CHECK(m.find('\n') == std::string::npos);
}

TEST_CASE("a directory without a model, a missing image, bad pixels and bad options are vkcap::Errors") {
  const std::string not_a_model = (fixture("image")).string();
  CHECK(contains(message_of([&] { Captioner c(not_a_model, checked_captioner_options()); }), "config.json"));

  Captioner captioner(fixture("blip_tiny_a").string(), checked_captioner_options());
  CHECK(contains(message_of([&] { captioner.caption(std::filesystem::path("/nonexistent/photo.png")); }),
                 "/nonexistent/photo.png"));
  std::vector<uint8_t> pixels(10);
  CHECK(contains(message_of([&] { captioner.caption(RgbImage{4, 4, pixels}); }), "width*height*3"));
  GenerationOptions bad;
  bad.top_p = 2.0;
  bad.do_sample = true;
  CHECK(contains(message_of([&] { captioner.caption(fixture("blip_tiny_a") / "img1_20x20.png", bad); }), "top_p"));
  // The Captioner still works after errors.
  GenerationOptions good;
  good.max_new_tokens = 12;
  CHECK(captioner.caption(fixture("blip_tiny_a") / "img0_80x56.png", good).text == "pizza the f j cat");
}

TEST_CASE("attention shape errors name the operand and the shapes") {
  Context gpu(checked_context_options());
  std::vector<float> values(64, 0.5f);
  Tensor q = gpu.tensor(std::span(values).first(32), {4, 8});
  Tensor k = gpu.tensor(std::span(values).first(48), {6, 8});
  Tensor v6 = gpu.tensor(std::span(values).first(42), {6, 7});
  CHECK(contains(message_of([&] { attention(q, k, v6); }), "widths differ"));
  CHECK(contains(message_of([&] { attention(q, k, k, {.heads = 3}); }), "not divisible by heads"));
  CHECK(contains(message_of([&] { attention(q, k, Tensor()); }), "empty"));
  CHECK(contains(message_of([&] { gpu.tensor(values, {3, 3}); }), "[3, 3]"));
  CHECK(contains(message_of([&] { gpu.zeros({2, 0}); }), "dimension <= 0"));
  Tensor long_q = gpu.tensor(values, {8, 8});
  CHECK(contains(message_of([&] { attention(long_q, q, q, {.causal = true}); }), "causal"));
  CHECK(contains(message_of([&] { Linear(gpu, values, 8, 4); }), "in*out"));
  Linear project(gpu, values, 8, 8);
  CHECK(contains(message_of([&] { project(v6); }), "last dimension"));
  Context other(checked_context_options());
  Tensor foreign = other.tensor(std::span(values).first(48), {6, 8});
  CHECK(contains(message_of([&] { attention(q, foreign, foreign); }), "different Contexts"));
}

TEST_CASE("a model id is looked up only in CaptionerOptions::hf_hub_cache") {
  CaptionerOptions o = checked_captioner_options();
  const std::string without = message_of([&] { Captioner c("Salesforce/blip-image-captioning-base", o); });
  CHECK(contains(without, "no Hugging Face cache directory was given"));
  const std::filesystem::path hub = std::filesystem::temp_directory_path() / "vkcap-api-hub-cache";
  std::filesystem::remove_all(hub);
  const std::filesystem::path snapshot = hub / "models--org--tiny" / "snapshots" / "rev1";
  std::filesystem::create_directories(snapshot.parent_path());
  std::filesystem::copy(fixture("blip_tiny_a"), snapshot, std::filesystem::copy_options::recursive);
  o.hf_hub_cache = hub;
  Captioner captioner("org/tiny", o);
  CHECK(captioner.model_directory() == snapshot);
  std::filesystem::remove_all(hub);
}
