#pragma once
// GPT-2's bytes_to_unicode(): every byte gets a printable code point so BPE tokens are plain
// strings. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves, the other 68
// bytes to U+0100.. in byte order (so ' ' -> 'Ġ' U+0120, '\n' -> 'Ċ' U+010A).
#include <cstdint>
#include <string>
#include <string_view>

namespace vkcap::text {

char32_t byte_to_unicode(uint8_t byte);
// -1 if cp is not the image of any byte.
int unicode_to_byte(char32_t cp);

// UTF-8 bytes of `bytes` mapped char by char: the string a BPE word starts from.
std::string bytes_to_unicode_string(std::string_view bytes);

}  // namespace vkcap::text
