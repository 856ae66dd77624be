// test_cli links the library layers, not the sources of the vkcap executable (src/cli/*.cpp
// are compiled straight into it, main() included). The attention-map tests need the CLI's
// attention code, so it is compiled here once for the whole test binary.
#include "../../src/cli/token_attention.cpp"
#include "../../src/cli/attention_font.cpp"
#include "../../src/cli/attention_map.cpp"
// --draw-boxes draws with the same font and PNG writer.
#include "../../src/cli/region_drawing.cpp"
