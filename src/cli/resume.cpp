#include "cli/resume.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/error.h"

namespace vkcap::cli {

namespace fs = std::filesystem;

namespace {

// First field of a CSV line as RecordWriter writes it: "..." with "" for a quote.
std::string csv_first_field(const std::string& line, size_t* end) {
  std::string field;
  size_t i = 0;
  if (line.empty() || line[0] != '"') {
    i = line.find(',');
    *end = i;
    return line.substr(0, i);
  }
  for (i = 1; i < line.size(); ++i) {
    if (line[i] == '"') {
      if (i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        ++i;
        break;
      }
    } else {
      field += line[i];
    }
  }
  *end = i;
  return field;
}

bool csv_has_error(const std::string& line) {
  // The error column is the last one: an empty quoted field ends the line with ,"".
  return !(line.size() >= 3 && line.compare(line.size() - 3, 3, ",\"\"") == 0);
}

}  // namespace

ResumeState prepare_resume(const fs::path& file, Format format) {
  ResumeState state;
  std::error_code ec;
  if (!fs::exists(file, ec) || fs::file_size(file, ec) == 0) return state;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot read it to resume");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  in.close();

  if (format == Format::Json)
    throw Error(file.string() + ": already holds records, and a JSON array cannot be appended to; "
                "use --format jsonl to resume, or remove the file");
  if (format == Format::Txt)
    throw Error(file.string() + ": already holds records, and txt lines do not name their images so the "
                "run cannot resume; use --format tsv, jsonl or csv, or remove the file");

  const size_t complete = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (complete < text.size()) {
    state.torn_bytes = text.size() - complete;
    fs::resize_file(file, complete, ec);
    if (ec) throw Error(file.string() + ": cannot cut the unfinished last record (" + ec.message() + ")");
  }
  std::istringstream lines(text.substr(0, complete));
  bool first = true;
  for (std::string line; std::getline(lines, line); first = false) {
    if (line.empty()) continue;
    state.has_records = true;
    switch (format) {
      case Format::Tsv:
        state.finished.insert(line.substr(0, line.find('\t')));
        break;
      case Format::Csv: {
        if (first && line.rfind("image,", 0) == 0) break;  // the header
        size_t end = 0;
        std::string image = csv_first_field(line, &end);
        if (!csv_has_error(line)) state.finished.insert(image);
        break;
      }
      case Format::Jsonl: {
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_object() && j.contains("image") && j["image"].is_string() && !j.contains("error"))
          state.finished.insert(j["image"].get<std::string>());
        break;
      }
      default:
        break;
    }
  }
  return state;
}

}  // namespace vkcap::cli
