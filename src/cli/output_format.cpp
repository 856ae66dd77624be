#include "cli/output_format.h"

#include "cli/platform.h"
#include "util/error.h"

namespace vkcap::cli {

Format parse_format(const std::string& name) {
  if (name == "txt") return Format::Txt;
  if (name == "tsv") return Format::Tsv;
  if (name == "json") return Format::Json;
  if (name == "jsonl") return Format::Jsonl;
  if (name == "csv") return Format::Csv;
  throw Error("--format '" + name + "': expected txt, tsv, json, jsonl or csv");
}

nlohmann::json to_json(const CaptionRecord& r) {
  nlohmann::json j;
  j["image"] = r.image;
  if (!r.error.empty()) {
    j["error"] = r.error;
    return j;
  }
  j["caption"] = r.caption;
  j["tokens"] = r.tokens;
  j[r.score_kind.empty() ? "score" : r.score_kind] = r.score;
  j["finish_reason"] = r.finish_reason;
  if (!r.warning.empty()) j["warning"] = r.warning;
  j["timings"] = {{"encode_ms", r.encode_ms}, {"decode_ms", r.decode_ms}};
  for (auto& [k, v] : r.extra.items()) j[k] = v;
  return j;
}

namespace {

// Records are lines: a caption or path with a line break or tab would break tsv, csv and resume.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s;
}

std::string csv_field(const std::string& s) {
  std::string out = "\"";
  for (char c : one_line(s)) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string json_line(const CaptionRecord& r) {
  return to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void RecordWriter::emit(const std::string& bytes) { write_record(fd_, bytes, sync_, name_); }

void RecordWriter::write(const CaptionRecord& r) {
  std::string line;
  switch (format_) {
    case Format::Txt:
      if (r.error.empty()) line = one_line(r.caption) + "\n";
      break;
    case Format::Tsv:
      if (r.error.empty()) line = one_line(r.image) + "\t" + one_line(r.caption) + "\n";
      break;
    case Format::Csv: {
      if (!header_) line = "image,caption,tokens,finish_reason,score,error\n", header_ = true;
      std::string tokens;
      for (int32_t t : r.tokens) tokens.append(tokens.empty() ? "" : " ").append(std::to_string(t));
      char score[32] = "";
      if (r.error.empty()) std::snprintf(score, sizeof score, "%.6g", r.score);
      line += csv_field(r.image) + "," + csv_field(r.caption) + "," + csv_field(tokens) + "," +
              csv_field(r.finish_reason) + "," + csv_field(score) + "," + csv_field(r.error) + "\n";
      break;
    }
    case Format::Jsonl:
      line = json_line(r) + "\n";
      break;
    case Format::Json:
      line = std::string(first_ ? "[\n  " : ",\n  ") + json_line(r);
      break;
  }
  first_ = false;
  if (!line.empty()) emit(line);
}

void RecordWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (format_ == Format::Json) emit(first_ ? "[]\n" : "\n]\n");
}

RecordWriter::~RecordWriter() {
  try {
    finish();
  } catch (const Error&) {
    // Reported by an explicit finish(); a destructor must not throw.
  }
}

}  // namespace vkcap::cli
