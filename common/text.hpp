#pragma once
// Small text utilities shared by every layer: suggestions for mistyped names,
// a stable 64-bit hash of a string (cache keys), whole small files as text.

#include <cstdint>
#include <string>
#include <vector>

namespace ser {

// Levenshtein distance.
int edit_distance(const std::string& a, const std::string& b);

// " (did you mean 'x'?)" when some known name is within 3 edits of `word`, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& known);

// FNV-1a, 64 bits: the same value on every platform and run.
uint64_t fnv1a(const std::string& s);

// The whole file, or "" when it cannot be opened, is not a regular file or
// is larger than 256 MiB (callers that must tell these apart use
// read_input_file from common/input_file.hpp).
std::string read_file(const std::string& path);

}  // namespace ser
