#include "datasets/fer2013.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>

#include "common/input_file.hpp"
#include "datasets/file_walk.hpp"
#include "datasets/image_decode.hpp"
#include "datasets/labels.hpp"

namespace ser::datasets {

namespace fs = std::filesystem;

namespace {
constexpr int kSide = 48;

constexpr uint64_t kMaxImageBytes = 64 * kMiB;    // a 48x48 face is a few kilobytes
constexpr int64_t kMaxImagePixels = 4096 * 4096;  // decoded only to say it is not 48x48
constexpr uint64_t kMaxCsvBytes = 2 * kGiB;       // the original fer2013.csv is 301 MB
constexpr size_t kMaxCsvLine = 64 * 1024;         // a row is about 9,000 characters

// Lines of an open file, read through its descriptor with a cap: a line
// longer than `cap` is consumed to its end and reported, so a file without
// newlines cannot fill the memory.
class LineReader {
 public:
  LineReader(int fd, size_t cap) : fd_(fd), cap_(cap) {}
  // False at the end of the file; `too_long` says the line was cut at the cap.
  bool next(std::string& line, bool& too_long) {
    line.clear();
    too_long = false;
    for (bool any = false;; any = true) {
      if (at_ == filled_ && !refill()) return any;
      const char ch = buffer_[at_++];
      if (ch == '\n') return true;
      if (line.size() < cap_)
        line.push_back(ch);
      else
        too_long = true;
    }
  }

 private:
  bool refill() {
    ssize_t n;
    do n = ::read(fd_, buffer_, sizeof buffer_);
    while (n < 0 && errno == EINTR);
    at_ = 0;
    filled_ = n > 0 ? static_cast<size_t>(n) : 0;
    return filled_ > 0;
  }
  int fd_;
  size_t cap_, at_ = 0, filled_ = 0;
  char buffer_[1 << 16];
};

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

std::optional<std::string> decode_fer2013_image(std::string_view bytes, uint8_t* pixels) {
  if (bytes.size() > kMaxImageBytes) return "image file of " + std::to_string(bytes.size()) + " bytes is too large";
  GrayImage image;
  if (auto problem = decode_gray_image(bytes, image, kMaxImagePixels)) return problem;
  if (image.width != kSide || image.height != kSide)
    return "image is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
           ", FER2013 images are 48x48";
  std::memcpy(pixels, image.pixels.data(), kSide * kSide);
  return std::nullopt;
}

ImageCorpus load_fer2013_folders(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw std::invalid_argument("fer2013: '" + root + "' is not a folder");
  ImageCorpus out = empty_corpus();
  const std::vector<fs::path> files = find_files(root, {".jpg", ".jpeg", ".png"}, out.corpus.skipped);
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
    std::string bytes;
    try {
      bytes = read_input_file(s.path, "image", kMaxImageBytes);
    } catch (const InputFileError& e) {
      out.corpus.skipped.push_back({s.path, e.what()});
      continue;
    }
    const size_t at = out.pixels.size();
    out.pixels.resize(at + kSide * kSide);
    if (auto problem = decode_fer2013_image(bytes, out.pixels.data() + at)) {
      out.pixels.resize(at);
      out.corpus.skipped.push_back({s.path, *problem});
      continue;
    }
    out.corpus.samples.push_back(std::move(s));
  }
  return out;
}

namespace {
// Reads the space-separated pixel values of one CSV row into `row`; false
// unless there are exactly row.size() of them, each in 0-255.
bool read_csv_pixels(const char* p, const char* end, std::vector<uint8_t>& row) {
  size_t count = 0;
  while (p < end) {
    while (p < end && *p == ' ') ++p;
    if (p == end) break;
    int v = -1;
    const auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || v < 0 || v > 255 || count >= row.size()) return false;
    row[count++] = static_cast<uint8_t>(v);
    p = next;
  }
  return count == row.size();
}

// One "emotion,pixels,Usage" row into `s` (label and partition) and `row`;
// what is wrong with it, if anything.
std::optional<std::string> parse_csv_row(const std::string& line, Sample& s, std::vector<uint8_t>& row) {
  // The CSV's emotion codes, in common_emotions() names.
  static const std::vector<std::string> codes = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};
  const size_t c1 = line.find(','), c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string::npos) return "row is not emotion,pixels,Usage";
  int code = -1;
  const auto [ep, ec] = std::from_chars(line.data(), line.data() + c1, code);
  if (ec != std::errc() || ep != line.data() + c1 || code < 0 || code > 6)
    return "emotion '" + line.substr(0, c1) + "' is not 0-6";
  if (!read_csv_pixels(line.data() + c1 + 1, line.data() + c2, row)) return "pixels are not 2304 values in 0-255";
  s.label = codes[static_cast<size_t>(code)];
  s.partition = line.substr(c2 + 1);
  return std::nullopt;
}

}  // namespace

ImageCorpus load_fer2013_csv(const std::string& csv_path) {
  std::optional<InputFile> file;
  try {
    file.emplace(csv_path, "FER2013 CSV");
  } catch (const InputFileError& e) {
    throw std::invalid_argument(std::string("fer2013: ") + e.what());
  }
  if (file->size() > kMaxCsvBytes)
    throw std::invalid_argument("fer2013: '" + csv_path + "' is " + std::to_string(file->size()) +
                                " bytes, more than the " + std::to_string(kMaxCsvBytes) +
                                " a FER2013 CSV holds; is it the file you meant?");
  auto lines = std::make_unique<LineReader>(file->fd(), kMaxCsvLine);  // 64 KiB of buffer: not on the stack
  ImageCorpus out = empty_corpus();
  std::string line;
  bool too_long = false;
  std::vector<uint8_t> row(static_cast<size_t>(kSide * kSide));
  for (int64_t number = 1; lines->next(line, too_long); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1) {
      if (too_long || line.rfind("emotion,pixels", 0) != 0)
        throw std::invalid_argument("fer2013: '" + csv_path + "' does not start with the header emotion,pixels,Usage");
      continue;
    }
    const std::string where = csv_path + ":" + std::to_string(number);
    if (too_long) {
      out.corpus.skipped.push_back({where, "row is longer than " + std::to_string(kMaxCsvLine) + " characters"});
      continue;
    }
    if (line.empty()) continue;
    Sample s;
    if (auto problem = parse_csv_row(line, s, row)) {
      out.corpus.skipped.push_back({where, *problem});
      continue;
    }
    s.path = where;
    s.corpus = "fer2013";
    out.pixels.insert(out.pixels.end(), row.begin(), row.end());
    out.corpus.samples.push_back(std::move(s));
  }
  return out;
}

ImageCorpus load_fer2013(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return load_fer2013_csv(path);
  ImageCorpus folders = load_fer2013_folders(path);
  // The original release is one CSV; a folder that holds it (and no images) means it.
  const fs::path csv = fs::path(path) / "fer2013.csv";
  if (folders.corpus.samples.empty() && fs::exists(csv, ec)) return load_fer2013_csv(csv.string());
  return folders;
}

}  // namespace ser::datasets
