#include "cli/progress.h"

namespace vkcap::cli {

void Progress::update(size_t done, size_t failed) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(2000);
  if (done < total_ && drawn_ && now - last_ < interval) return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? double(done) / seconds : 0.0;
  char eta[32] = "--:--";
  if (rate > 0) {
    const long left = long(double(total_ - done) / rate + 0.5);
    std::snprintf(eta, sizeof eta, "%ld:%02ld", left / 60, left % 60);
  }
  char failed_text[32] = "";
  if (failed) std::snprintf(failed_text, sizeof failed_text, ", %zu failed", failed);
  std::fprintf(out_, "%svkcap: %zu/%zu images%s, %.2f images/s, ETA %s%s", terminal_ ? "\r" : "", done, total_,
               failed_text, rate, eta, terminal_ ? "\x1b[K" : "\n");
  std::fflush(out_);
  drawn_ = true;
}

void Progress::finish() {
  if (enabled_ && terminal_ && drawn_) std::fputc('\n', out_);
  drawn_ = false;
}

}  // namespace vkcap::cli
