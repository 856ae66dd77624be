#pragma once
// Caption files next to the images, as dataset tools (kohya-ss, OneTrainer, ...) read them:
// the image's extension is REPLACED, photos/cat.jpg → photos/cat.txt (with `--sidecar EXT`,
// photos/cat.EXT). Written atomically (temporary file + rename), so an interrupted run leaves
// either the old file or the complete new one.
#include <filesystem>
#include <string>

namespace vkcap::cli {

enum class ExistingSidecar { Skip, Overwrite, Append, Prepend };
ExistingSidecar parse_existing(const std::string& name);  // throws vkcap::Error for other names

std::filesystem::path sidecar_path(const std::filesystem::path& image, const std::string& extension);

// What the sidecar holds after writing `caption` under `mode`, given its current text (empty when
// there is none). Append / prepend join with ", " (captions and tag lists read the same way);
// a trailing newline of the old text is dropped and the file always ends with one newline.
std::string sidecar_content(ExistingSidecar mode, const std::string& existing, const std::string& caption);

// Reads the current sidecar (if any) and replaces it. Throws vkcap::Error.
void write_sidecar(const std::filesystem::path& path, ExistingSidecar mode, const std::string& caption);

}  // namespace vkcap::cli
