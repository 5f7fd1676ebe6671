#include "datasets/fer2013.hpp"

#include <stb_image.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "datasets/labels.hpp"

namespace ser::datasets {

namespace fs = std::filesystem;

namespace {
constexpr int kSide = 48;

ImageCorpus empty_corpus() {
  ImageCorpus c;
  c.corpus.name = "fer2013";
  c.corpus.labels = common_emotions();
  return c;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}
}  // namespace

ImageCorpus load_fer2013_folders(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw std::invalid_argument("fer2013: '" + root + "' is not a folder");
  ImageCorpus out = empty_corpus();
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    const std::string ext = lower(e.path().extension().string());
    if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    Sample s;
    s.path = p.string();
    s.corpus = "fer2013";
    s.label = lower(p.parent_path().filename().string());
    if (s.label == "surprised") s.label = "surprise";
    s.partition = p.parent_path().parent_path().filename().string();
    if (out.corpus.label_index(s.label) < 0) {
      out.corpus.skipped.push_back({s.path, "class folder '" + s.label + "' is not one of the 7 FER2013 emotions"});
      continue;
    }
    int w = 0, h = 0, channels = 0;
    std::unique_ptr<stbi_uc, void (*)(void*)> img(stbi_load(s.path.c_str(), &w, &h, &channels, 1), stbi_image_free);
    if (!img) {
      out.corpus.skipped.push_back({s.path, std::string("unreadable image: ") + stbi_failure_reason()});
      continue;
    }
    if (w != kSide || h != kSide) {
      out.corpus.skipped.push_back(
          {s.path, "image is " + std::to_string(w) + "x" + std::to_string(h) + ", FER2013 images are 48x48"});
      continue;
    }
    out.pixels.insert(out.pixels.end(), img.get(), img.get() + kSide * kSide);
    out.corpus.samples.push_back(std::move(s));
  }
  return out;
}

ImageCorpus load_fer2013_csv(const std::string& csv_path) {
  std::ifstream in(csv_path);
  if (!in) throw std::invalid_argument("fer2013: cannot open '" + csv_path + "'");
  // The CSV's emotion codes, in common_emotions() names.
  const std::vector<std::string> codes = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};
  ImageCorpus out = empty_corpus();
  std::string line;
  int64_t number = 0;
  std::vector<uint8_t> row(static_cast<size_t>(kSide * kSide));
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = csv_path + ":" + std::to_string(number);
    if (number == 1) {
      if (line.rfind("emotion,pixels", 0) != 0)
        throw std::invalid_argument("fer2013: '" + csv_path + "' does not start with the header emotion,pixels,Usage");
      continue;
    }
    if (line.empty()) continue;
    const size_t c1 = line.find(','), c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string::npos) {
      out.corpus.skipped.push_back({where, "row is not emotion,pixels,Usage"});
      continue;
    }
    int code = -1;
    const auto [ep, eec] = std::from_chars(line.data(), line.data() + c1, code);
    if (eec != std::errc() || ep != line.data() + c1 || code < 0 || code > 6) {
      out.corpus.skipped.push_back({where, "emotion '" + line.substr(0, c1) + "' is not 0-6"});
      continue;
    }
    size_t count = 0;
    bool bad = false;
    const char* p = line.data() + c1 + 1;
    const char* end = line.data() + c2;
    while (p < end && !bad) {
      while (p < end && *p == ' ') ++p;
      if (p == end) break;
      int v = -1;
      const auto [np, ec] = std::from_chars(p, end, v);
      if (ec != std::errc() || v < 0 || v > 255 || count >= row.size())
        bad = true;
      else
        row[count++] = static_cast<uint8_t>(v);
      p = np;
    }
    if (bad || count != row.size()) {
      out.corpus.skipped.push_back({where, "pixels are not 2304 values in 0-255"});
      continue;
    }
    Sample s;
    s.path = where;
    s.corpus = "fer2013";
    s.label = codes[static_cast<size_t>(code)];
    s.partition = line.substr(c2 + 1);
    out.pixels.insert(out.pixels.end(), row.begin(), row.end());
    out.corpus.samples.push_back(std::move(s));
  }
  return out;
}

ImageCorpus load_fer2013(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) ? load_fer2013_folders(path) : load_fer2013_csv(path);
}

}  // namespace ser::datasets
