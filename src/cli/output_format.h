#pragma once
// One caption result and the ways it is written: txt (caption only), tsv (path<TAB>caption,
// the default), json (one array), jsonl (one object per line), csv (image, caption, tokens,
// finish_reason, score, error, model, settings). Every record is one line (json: one element
// per line), written with one write(2) as soon as it is done.
//
// Records stay one line whatever the names hold: tsv and csv escape a backslash, newline and
// carriage return as \\ \n \r (tsv also a tab as \t), so a name read back (resume) is the name
// written. An -o FILE in tsv starts with a header line naming vkcap, the format, the model and
// the settings ("# vkcap tsv<TAB>model=...<TAB>settings={...}"); csv's column header names the
// columns vkcap writes. That is how a later run knows the file is vkcap's own (resume.h).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vkcap::cli {

struct CaptionRecord {
  std::string image;
  std::string caption;
  std::vector<int32_t> tokens;
  double score = 0;
  std::string score_kind;  // "sequence_score" (beam) or "mean_logprob"
  std::string finish_reason;
  std::string error;       // non-empty: this image failed
  std::string warning;     // captioned, but a side output (sidecar, metadata, map) failed
  double encode_ms = 0, decode_ms = 0;
  nlohmann::json extra;    // model, generation settings
};

enum class Format { Txt, Tsv, Json, Jsonl, Csv };
Format parse_format(const std::string& name);
std::string format_name(Format format);
// The format an -o FILE's extension names (.txt .tsv .json .jsonl .csv), if any.
std::optional<Format> format_of_extension(const std::string& path);

// The columns of vkcap's csv; files from before the model and settings columns have the first six.
inline constexpr std::string_view kCsvHeader = "image,caption,tokens,finish_reason,score,error,model,settings";
inline constexpr std::string_view kCsvHeaderSixColumns = "image,caption,tokens,finish_reason,score,error";
inline constexpr std::string_view kTsvHeaderStart = "# vkcap tsv";

// A tsv / csv field as one line, and back.
std::string escape_field(const std::string& text, Format format);
std::string unescape_field(const std::string& text);

struct WriterOptions {
  bool sync = false;             // fdatasync after every record
  bool file = false;             // -o FILE: images by canonical path, tsv gets its header line
  bool header_written = false;   // the file already starts with vkcap's header (resuming it)
  bool six_column_csv = false;   // resuming a csv written before the model and settings columns
  nlohmann::json identity;       // {"model", "generation"} of this run: the tsv header names them
};

class RecordWriter {
 public:
  // `fd` stays owned by the caller.
  RecordWriter(int fd, std::string name, Format format, WriterOptions options = {})
      : fd_(fd), name_(std::move(name)), format_(format), options_(std::move(options)),
        header_(options_.header_written) {}
  ~RecordWriter();
  void write(const CaptionRecord& record);
  void finish();  // closes the json array

 private:
  void emit(const std::string& bytes);
  std::string header() const;  // "" when the format has none here
  std::string csv_line(const CaptionRecord& record) const;
  int fd_;
  std::string name_;
  Format format_;
  WriterOptions options_;
  bool first_ = true, finished_ = false, header_ = false;
};

nlohmann::json to_json(const CaptionRecord& record);

// "# vkcap tsv<TAB>model=M<TAB>settings={...}": the identity of the records that follow.
std::string tsv_header_line(const nlohmann::json& identity);

}  // namespace vkcap::cli
