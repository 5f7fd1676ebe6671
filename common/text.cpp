#include "common/text.hpp"

#include <algorithm>

#include "common/input_file.hpp"

namespace ser {

int edit_distance(const std::string& a, const std::string& b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& known) {
  std::string best;
  int best_d = 1 << 30;
  for (const auto& k : known)
    if (const int d = edit_distance(word, k); d < best_d) best_d = d, best = k;
  return best_d <= 3 ? " (did you mean '" + best + "'?)" : "";
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string read_file(const std::string& path) {
  try {
    return read_input_file(path, "file", 256 * kMiB);
  } catch (const InputFileError&) {
    return "";
  }
}

}  // namespace ser
