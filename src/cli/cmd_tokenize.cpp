// `vkcap tokenize --model DIR TEXT` prints the ids as JSON; `--decode ID...` prints the text.
// For checking tokenizer parity from outside the test suite.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_location.h"
#include "text/tokenizer.h"

namespace vkcap::cli {

Run add_tokenize_command(CLI::App& app) {
  struct Options {
    std::string model, text;
    std::vector<int32_t> decode;
    bool no_special = false, keep_special = false;
  };
  auto o = std::make_shared<Options>();
  auto* c = app.add_subcommand("tokenize", "encode text to token ids, or decode ids to text (JSON)");
  c->add_option("-m,--model", o->model, "model directory (default: bundled)");
  c->add_option("text", o->text, "text to encode");
  c->add_option("--decode", o->decode, "token ids to decode instead");
  c->add_flag("--no-special", o->no_special, "encode without [CLS]/[SEP]-style special tokens");
  c->add_flag("--keep-special", o->keep_special, "decode without skipping special tokens");
  return [o] {
    auto tokenizer = text::load_tokenizer(locate_model(o->model));
    if (tokenizer->kind() == "wordpiece") text::add_blip_special_tokens(*tokenizer);
    nlohmann::json out;
    if (!o->decode.empty()) {
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
