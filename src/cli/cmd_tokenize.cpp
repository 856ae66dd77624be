// `vkcap tokenize --model DIR TEXT` prints the ids as JSON; `--decode ID...` prints the text.
// For checking tokenizer parity from outside the test suite. With a Florence-2 model, `--task`
// encodes a task's prompt, or with `--decode` reads generated ids back the task's way (text,
// boxes, OCR quads or polygons in pixels of `--image-size`).
#include <cstdio>
#include <tuple>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_location.h"
#include "text/florence2_postprocess.h"
#include "text/florence2_tasks.h"
#include "text/tokenizer.h"
#include "util/error.h"

namespace vkcap::cli {
namespace {

std::string task_names() {
  std::string names;
  for (const text::Florence2Task& task : text::florence2_tasks()) {
    names += (names.empty() ? "" : ", ") + std::string(task.cli_name);
  }
  return names;
}

const text::Florence2Task& florence2_task(const std::string& name, const text::Tokenizer& tokenizer,
                                          const std::string& model) {
  const text::Florence2Task* task = text::find_florence2_task(name);
  if (!task) throw Error("--task " + name + ": not a Florence-2 task (tasks: " + task_names() + ", or their <TOKEN> forms)");
  if (tokenizer.token_to_id("<loc_0>") < 0) {
    throw Error("--task " + name + ": " + model + " has no Florence-2 tokenizer (no <loc_0> token)");
  }
  return *task;
}

// "640x480" -> {640, 480}.
std::pair<int, int> parse_image_size(const std::string& text) {
  const size_t x = text.find_first_of("xX");
  try {
    size_t used_w = 0, used_h = 0;
    if (x == std::string::npos) throw std::invalid_argument("no x");
    const int w = std::stoi(text.substr(0, x), &used_w), h = std::stoi(text.substr(x + 1), &used_h);
    if (used_w == x && used_h == text.size() - x - 1 && w > 0 && h > 0) return {w, h};
  } catch (const std::exception&) {
  }
  throw Error("--image-size " + text + ": expected WIDTHxHEIGHT in pixels, like 640x480");
}

}  // namespace

Run add_tokenize_command(CLI::App& app) {
  struct Options {
    std::string model, text, task, image_size;
    std::vector<int32_t> decode;
    bool no_special = false, keep_special = false, slow_spacing = false;
  };
  auto o = std::make_shared<Options>();
  auto* c = app.add_subcommand("tokenize", "encode text to token ids, or decode ids to text (JSON)");
  c->add_option("-m,--model", o->model, "model directory (default: bundled)");
  c->add_option("text", o->text, "text to encode (with --task: the task's input text, if it takes one)");
  c->add_option("--decode", o->decode, "token ids to decode instead");
  c->add_flag("--no-special", o->no_special, "encode without [CLS]/[SEP]-style special tokens");
  c->add_flag("--keep-special", o->keep_special, "decode without skipping special tokens");
  c->add_option("--task", o->task,
                "Florence-2 task (caption, od, phrase-grounding, ... or <CAPTION>): encode its prompt, or with "
                "--decode read the ids as its answer");
  c->add_option("--image-size", o->image_size, "WIDTHxHEIGHT of the image, for --task --decode with regions");
  c->add_flag("--slow-spacing", o->slow_spacing,
              "with --task --decode: put spaces around added tokens as transformers' slow tokenizer does "
              "(location tokens then no longer parse as boxes)");
  return [o] {
    const std::filesystem::path model_dir = locate_model(o->model);
    auto tokenizer = text::load_tokenizer(model_dir);
    if (tokenizer->kind() == "wordpiece") text::add_blip_special_tokens(*tokenizer);
    nlohmann::json out;
    if (!o->task.empty()) {
      const text::Florence2Task& task = florence2_task(o->task, *tokenizer, model_dir.string());
      out["task"] = task.token;
      if (o->decode.empty()) {
        out["text"] = text::florence2_prompt(task, o->text);
        out["ids"] = text::florence2_prompt_ids(*tokenizer, task, o->text);
      } else {
        if (!o->text.empty()) throw Error("--task with --decode takes ids only, not a text (\"" + o->text + "\")");
        const std::string generated = text::florence2_generated_text(*tokenizer, o->decode, o->slow_spacing);
        int width = 0, height = 0;
        if (!o->image_size.empty()) {
          std::tie(width, height) = parse_image_size(o->image_size);
        } else if (task.answer != text::Florence2Answer::kPureText) {
          throw Error("--task " + o->task + " --decode: needs --image-size WIDTHxHEIGHT to place its regions");
        }
        out["ids"] = o->decode;
        out.update(text::florence2_result_json(text::florence2_post_process(generated, task.token, width, height)));
      }
    } else if (!o->decode.empty()) {
      out["ids"] = o->decode;
      out["text"] = tokenizer->decode(o->decode, !o->keep_special);
    } else {
      out["text"] = o->text;
      out["ids"] = tokenizer->encode(o->text, !o->no_special);
    }
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  };
}

}  // namespace vkcap::cli
