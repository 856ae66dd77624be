#include "cli/bench_model.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "api/decoder_step_model.h"
#include "cli/profile_table.h"
#include "generate/generate.h"
#include "model/caption_model.h"

namespace vkcap::cli {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The 1-minute load average at the end of the run: timings from a busy machine say so.
double load_average() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// A 640×480 image with gradients and a few shapes, the same every run.
image::Image synthetic_image() {
  image::Image image;
  image.width = 640;
  image.height = 480;
  image.rgb.resize(size_t(640) * 480 * 3);
  for (int y = 0; y < 480; ++y)
    for (int x = 0; x < 640; ++x) {
      uint8_t* p = &image.rgb[(size_t(y) * 640 + x) * 3];
      const bool disc = (x - 200) * (x - 200) + (y - 240) * (y - 240) < 90 * 90;
      const bool box = x > 380 && x < 560 && y > 120 && y < 360;
      p[0] = uint8_t(disc ? 220 : (x * 255) / 640);
      p[1] = uint8_t(box ? 200 : (y * 255) / 480);
      p[2] = uint8_t(((x / 16 + y / 16) % 2) ? 160 : 60);
    }
  return image;
}

// The fixed cost a token pays beyond its kernels: submit one tiny recorded command buffer, wait
// for its fence and read 4 bytes back (a decode step is one replayed submit plus the readback
// of its argmax / top-k). Median of 200.
double submit_roundtrip_ms(vk::Context& ctx) {
  vk::Buffer word = ctx.create_buffer(4);
  vk::Recorder rec(ctx);
  rec.fill(word, 7);
  std::vector<double> times;
  for (int i = 0; i < 201; ++i) {
    uint32_t value = 0;
    const auto t0 = Clock::now();
    rec.submit();
    ctx.download(word, &value, 4);
    if (i > 0) times.push_back(ms_between(t0, Clock::now()));  // the first one warms up
  }
  return median(times);
}

// Exactly `new_tokens` new tokens every run (EOS masked by min_new_tokens), with --no-repeat-ngram
// and Florence-2's forced first token (<s>) as its generate() does.
generate::GenerationConfig fixed_length(const model::CaptionModel& m, const BenchModelOptions& o, int beams) {
  generate::GenerationConfig config;
  config.eos_token_id = {m.eos_token_id()};
  config.pad_token_id = m.pad_token_id();
  config.max_new_tokens = o.new_tokens;
  config.min_new_tokens = o.new_tokens;
  config.num_beams = beams;
  config.no_repeat_ngram_size = o.no_repeat_ngram;
  config.forced_bos_token_id = m.family().checkpoint_generation().forced_bos_token_id;  // Florence-2: <s>
  return config;
}

// Bytes of decoder weights streamed per step (every linear layer once, plus the LM head): per
// layer self-attention q, k, v, out and cross-attention q, out (its K/V are computed once per
// image), and the MLP.
double step_weight_bytes(model::CaptionModel& m, bool fp16) {
  const model::DecoderSpec& spec = m.decoder().spec();
  const double d = spec.hidden, layers = spec.layers, mlp = spec.mlp, vocab = spec.vocab;
  const double head_extra = m.config().arch == model::Architecture::Blip ? d * d : 0;  // BLIP's transform dense
  return (layers * (6 * d * d + 2 * d * mlp) + head_extra + vocab * d) * (fp16 ? 2 : 4);
}

// What every timed run shares: the loaded model and one synthetic image's pixels.
struct BenchSubject {
  const BenchModelOptions& options;
  vk::Context& ctx;
  model::CaptionModel& model;
  api::DecoderStepModel& step_model;
  std::vector<float> pixels;
  std::vector<int32_t> prompt;
  std::vector<int32_t> encoder_prompt;
};

// One image with `beams` (1 = greedy): medians over the timed runs after one warm-up. The GPU
// time per kernel of the image stage and of decoding is added to the two profiles (--profile).
nlohmann::json time_search(BenchSubject& s, int beams, vk::Profile& image_profile, vk::Profile& decode_profile) {
  const generate::GenerationConfig config = fixed_length(s.model, s.options, beams);
  std::vector<double> encoder, vision, text_encoder, cross_kv, decode, total;
  for (int run = 0; run <= s.options.runs; ++run) {  // run 0 is the warm-up
    const vk::Profile before = s.ctx.profile();
    const auto t0 = Clock::now();
    s.model.encode({s.pixels}, s.encoder_prompt);
    const auto t1 = Clock::now();
    const vk::Profile encoded = s.ctx.profile();
    generate::generate(s.step_model, s.prompt, 1, config);
    const auto t2 = Clock::now();
    if (run == 0) continue;
    add_profile(image_profile, profile_difference(encoded, before));
    add_profile(decode_profile, profile_difference(s.ctx.profile(), encoded));
    encoder.push_back(s.model.last_encode_timings().encoder_ms);
    vision.push_back(s.model.last_encode_timings().vision_ms);
    text_encoder.push_back(s.model.last_encode_timings().text_encoder_ms);
    cross_kv.push_back(s.model.last_encode_timings().cross_kv_ms);
    decode.push_back(ms_between(t1, t2));
    total.push_back(ms_between(t0, t2));
  }
  const double encoder_ms = median(encoder), decode_ms = median(decode);
  const double per_token = decode_ms / s.options.new_tokens;
  const model::EncoderFlops flops = s.model.encoder_flops(int(s.encoder_prompt.size()));
  nlohmann::json stages;
  if (flops.text_encoder > 0) {  // a two-stage encoder (Florence-2): each stage's share
    const double vision_ms = median(vision), text_ms = median(text_encoder);
    stages = {{"vision_ms", vision_ms},
              {"vision_gflops", flops.vision / (vision_ms * 1e6)},
              {"text_encoder_ms", text_ms},
              {"text_encoder_gflops", flops.text_encoder / (text_ms * 1e6)}};
  }
  nlohmann::json out = {{"encoder_ms", encoder_ms},
          {"encoder_gflops", flops.total() / (encoder_ms * 1e6)},
          {"cross_kv_ms", median(cross_kv)},
          {"decode_ms_per_token", per_token},
          {"decode_weight_gbps", step_weight_bytes(s.model, s.options.fp16) / (per_token * 1e6)},
          {"total_ms", median(total)},
          {"runs_total_ms", total}};
  if (!stages.is_null()) out.update(stages);
  return out;
}

// Throughput of `batch` images encoded together, then decoded together (greedy).
nlohmann::json time_batch(BenchSubject& s, int batch) {
  const generate::GenerationConfig config = fixed_length(s.model, s.options, 1);
  const std::vector<std::vector<float>> images(size_t(std::max(1, batch)), s.pixels);
  std::vector<double> total;
  for (int run = 0; run <= s.options.runs; ++run) {
    const auto t0 = Clock::now();
    s.model.encode(images, s.encoder_prompt);
    generate::generate(s.step_model, s.prompt, int(images.size()), config);
    if (run > 0) total.push_back(ms_between(t0, Clock::now()));
  }
  const double ms = median(total);
  return {{"batch", batch}, {"total_ms", ms}, {"images_per_s", batch / (ms / 1000)}};
}

std::string search_name(int beams) { return beams == 1 ? "greedy" : "beam" + std::to_string(beams); }

// The report as tables, for people.
void print_report(const nlohmann::json& report, const BenchModelOptions& o) {
  std::printf("%s (%s, %.1fM parameters, %s weights) on %s, %s\n", o.config_dir.c_str(),
              report["architecture"].get<std::string>().c_str(), report["parameters"].get<double>() / 1e6,
              o.fp16 ? "f16" : "f32", report["device"].get<std::string>().c_str(),
              report["driver"].get<std::string>().c_str());
  std::printf("load %.0f ms, peak RSS %.0f MB, device memory %.0f MB; %d new tokens, median of %d runs\n",
              report["load_ms"].get<double>(), report["peak_rss_mb"].get<double>(),
              report["device_memory_mb"].get<double>(), o.new_tokens, o.runs);
  std::printf("%-8s %12s %10s %12s %14s %12s %10s\n", "search", "encoder ms", "GFLOP/s", "cross-KV ms",
              "ms per token", "weight GB/s", "total s");
  for (int beams : o.beams) {
    const auto& r = report[search_name(beams)];
    std::printf("%-8s %12.1f %10.2f %12.1f %14.1f %12.2f %10.2f\n",
                beams == 1 ? "greedy" : ("beam " + std::to_string(beams)).c_str(), r["encoder_ms"].get<double>(),
                r["encoder_gflops"].get<double>(), r["cross_kv_ms"].get<double>(),
                r["decode_ms_per_token"].get<double>(), r["decode_weight_gbps"].get<double>(),
                r["total_ms"].get<double>() / 1000);
  }
  if (report[search_name(o.beams.front())].contains("vision_ms")) {
    std::printf("%-8s %12s %10s %16s %10s\n", "search", "vision ms", "GFLOP/s", "BART encoder ms", "GFLOP/s");
    for (int beams : o.beams) {
      const auto& r = report[search_name(beams)];
      std::printf("%-8s %12.1f %10.2f %16.1f %10.2f\n",
                  beams == 1 ? "greedy" : ("beam " + std::to_string(beams)).c_str(), r["vision_ms"].get<double>(),
                  r["vision_gflops"].get<double>(), r["text_encoder_ms"].get<double>(),
                  r["text_encoder_gflops"].get<double>());
    }
  }
  if (report.contains("batches")) {
    const double base = report["batches"][0]["images_per_s"].get<double>();
    std::printf("%-8s %12s %12s %12s\n", "batch", "total ms", "images/s", "vs first");
    for (const auto& b : report["batches"])
      std::printf("%-8d %12.1f %12.3f %11.2fx\n", b["batch"].get<int>(), b["total_ms"].get<double>(),
                  b["images_per_s"].get<double>(), b["images_per_s"].get<double>() / base);
  }
  std::printf("fixed cost per token (submit + wait + 4-byte readback): %.3f ms\n",
              report["submit_roundtrip_ms"].get<double>());
}

}  // namespace

int run_bench_model(const BenchModelOptions& o) {
  vk::Context ctx(context_options(o.device));
  model::ModelOptions model_options;
  model_options.weights = o.fp16 ? kernels::WeightType::F16 : kernels::WeightType::F32;
  model_options.random_weights_seed = 1234;
  const auto t_load = Clock::now();
  model::CaptionModel m(ctx, o.config_dir, model_options);
  const double load_ms = ms_between(t_load, Clock::now());
  api::DecoderStepModel step_model(m);
  // What the encoder reads besides the image: the task's prompt (--task; Florence-2's default
  // <CAPTION>), nothing for families without tasks (which refuse a --task).
  model::TaskPrompt task = m.task_prompt(o.task, "");
  BenchSubject subject{o, ctx, m, step_model, m.pixel_values(synthetic_image()), m.decoder_prompt(""),
                       std::move(task.encoder_prompt)};

  nlohmann::json report = {{"model", o.config_dir},
                           {"architecture", m.architecture_name()},
                           {"parameters", m.parameter_count()},
                           {"weights", o.fp16 ? "f16" : "f32"},
                           {"device", ctx.info().name},
                           {"driver", ctx.info().driver_info},
                           {"load_ms", load_ms},
                           {"new_tokens", o.new_tokens},
                           {"no_repeat_ngram", o.no_repeat_ngram}};
  if (!task.task_token.empty()) report["task"] = o.task.empty() ? "caption" : o.task;
  // --profile: GPU time per kernel of the image stage (encoder + cross K/V) and of decoding,
  // over the timed single-image runs.
  vk::Profile image_profile, decode_profile;
  for (int beams : o.beams) report[search_name(beams)] = time_search(subject, beams, image_profile, decode_profile);
  for (int b : o.batches) report["batches"].push_back(time_batch(subject, b));
  report["submit_roundtrip_ms"] = submit_roundtrip_ms(ctx);
  report["peak_rss_mb"] = peak_rss_mb();
  report["load_average"] = load_average();
  report["device_memory_mb"] = m.device_bytes() / 1048576.0;
  // Per-kernel tables on stderr (stdout stays parseable): the single-image stages over the
  // timed runs, then everything, warm-ups and batches included.
  if (o.device.profile) {
    std::fprintf(stderr, "image stage (encoder + cross K/V), timed runs:\n");
    print_profile(image_profile, stderr);
    std::fprintf(stderr, "decoding, timed runs:\n");
    print_profile(decode_profile, stderr);
    std::fprintf(stderr, "all runs:\n");
    print_profile(ctx.profile(), stderr);
  }
  if (o.json)
    std::printf("%s\n", report.dump().c_str());
  else
    print_report(report, o);
  return 0;
}

}  // namespace vkcap::cli
