#pragma once
// One caption result and the ways it is written: txt (caption only), tsv (path<TAB>caption,
// the default), json (one array), jsonl (one object per line), csv (image, caption, tokens,
// finish_reason, score, error). Every record is one line (json: one element per line), written
// with one write(2) as soon as it is done.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
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

class RecordWriter {
 public:
  // `fd` stays owned by the caller. `header_written`: csv resumes into a file that has one.
  RecordWriter(int fd, std::string name, Format format, bool sync = false, bool header_written = false)
      : fd_(fd), name_(std::move(name)), format_(format), sync_(sync), header_(header_written) {}
  ~RecordWriter();
  void write(const CaptionRecord& record);
  void finish();  // closes the json array

 private:
  void emit(const std::string& bytes);
  int fd_;
  std::string name_;
  Format format_;
  bool sync_;
  bool first_ = true, finished_ = false, header_ = false;
};

nlohmann::json to_json(const CaptionRecord& record);

}  // namespace vkcap::cli
