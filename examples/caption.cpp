// The smallest captioner: caption MODEL IMAGE [MAX_NEW_TOKENS]
// MODEL is a Hugging Face model directory (a model id from the HF cache would need
// CaptionerOptions::hf_hub_cache), e.g.
//   caption models/blip-image-captioning-base photo.jpg
#include <cstdio>
#include <string>

#include <vkcap/captioner.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL IMAGE [MAX_NEW_TOKENS]\n", argv[0]);
    return 2;
  }
  try {
    vkcap::Captioner captioner(argv[1]);
    vkcap::GenerationOptions options;
    if (argc > 3) options.max_new_tokens = std::stoi(argv[3]);
    std::printf("%s\n", captioner.caption(argv[2], options).text.c_str());
    return 0;
  } catch (const vkcap::Error& e) {
    std::fprintf(stderr, "caption: %s\n", e.what());
    return 1;
  }
}
