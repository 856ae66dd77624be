#pragma once
// Captioner::caption_each: many image files through one CaptionEngine, a batch at a time, with
// a result for every image. A bad image fails alone; out of device memory splits the batch in
// halves (and makes later batches smaller); a lost device fails the rest without running them.
#include <filesystem>
#include <span>
#include <vector>

#include "api/caption_engine.h"

namespace vkcap::api {

class BatchRunner {
 public:
  BatchRunner(CaptionEngine& engine, const PreparedGeneration& generation, const GenerationOptions& options,
              const RunOptions& run);
  RunSummary run(std::span<const std::filesystem::path> images);

 private:
  struct Pending {
    ImageResult result;
    std::vector<float> pixels;  // empty when the image already failed
    ImageSize size;             // before preprocessing
  };
  // Decodes and preprocesses one image; a failure becomes its error.
  void prepare(Pending& image) const;
  // Captions every image of the group, halving it on out-of-memory.
  void caption_group(const std::vector<Pending*>& group);
  void caption_batch(const std::vector<Pending*>& group);
  void deliver(Pending& image);

  CaptionEngine& engine_;
  const PreparedGeneration& generation_;
  const GenerationOptions& options_;
  const RunOptions& run_;
  RunSummary summary_;
};

}  // namespace vkcap::api
