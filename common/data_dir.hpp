#pragma once
// The one setting that says where the real data lives: SER_DATA, a folder
// with one sub-folder per corpus (tess/, ravdess/, fer2013/, ...).

#include <cstdlib>
#include <string>

namespace ser {

// SER_DATA when it is set and not empty, otherwise `fallback` (tests and
// benchmarks pass ../shared/data beside the checkout; the command line none).
inline std::string data_dir(const std::string& fallback = "") {
  const char* env = std::getenv("SER_DATA");
  return env && *env ? env : fallback;
}

}  // namespace ser
