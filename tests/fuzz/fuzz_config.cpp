// The experiment config loader on arbitrary text: YAML of any shape, keys,
// values and --set overrides. It must accept (a usable config) or refuse with
// a ConfigError; nothing else may escape.
#include <string>
#include <vector>

#include "experiments/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An optional first line "#set key=value" is applied as an override.
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  if (text.rfind("#set ", 0) == 0) {
    const size_t end = text.find('\n');
    overrides.push_back(text.substr(5, end == std::string::npos ? std::string::npos : end - 5));
  }
  ser::fuzz::MemFile file(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  try {
    (void)ser::experiments::load_config(file.path(), overrides, "/data");
  } catch (const ser::experiments::ConfigError&) {
  }
  return 0;
}
