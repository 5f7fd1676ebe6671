#include "datasets/file_walk.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

namespace ser::datasets {

namespace fs = std::filesystem;

namespace {
constexpr int kMaxDepth = 64;

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return ext;
}
}  // namespace

std::vector<fs::path> find_files(const std::string& root, const std::vector<std::string>& extensions,
                                 std::vector<Skipped>& skipped) {
  std::vector<fs::path> files;
  std::set<std::pair<dev_t, ino_t>> seen;  // folders already read, by identity, not by name
  std::vector<std::pair<fs::path, int>> pending = {{fs::path(root), 0}};
  while (!pending.empty()) {
    const auto [dir, depth] = pending.back();
    pending.pop_back();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
      skipped.push_back({dir.string(), std::string("cannot read folder: ") + std::strerror(errno)});
      continue;
    }
    if (!seen.insert({st.st_dev, st.st_ino}).second) {
      skipped.push_back({dir.string(), "folder already read by another path (a symbolic link loop?)"});
      continue;
    }
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    if (ec) {
      skipped.push_back({dir.string(), "cannot read folder: " + ec.message()});
      continue;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      const fs::path p = it->path();
      struct stat entry {};
      if (::stat(p.c_str(), &entry) != 0) {  // follows links: a broken or looping link fails here
        skipped.push_back({p.string(), std::string("cannot read: ") + std::strerror(errno)});
        continue;
      }
      if (S_ISDIR(entry.st_mode)) {
        if (depth + 1 > kMaxDepth)
          skipped.push_back({p.string(), "folder nested more than " + std::to_string(kMaxDepth) + " levels deep"});
        else
          pending.emplace_back(p, depth + 1);
        continue;
      }
      if (std::find(extensions.begin(), extensions.end(), lower_extension(p)) == extensions.end()) continue;
      if (S_ISREG(entry.st_mode))
        files.push_back(p);
      else
        skipped.push_back({p.string(), "not a regular file (a FIFO or a device?)"});
    }
    if (ec) skipped.push_back({dir.string(), "cannot read folder to its end: " + ec.message()});
  }
  std::sort(files.begin(), files.end());
  std::sort(skipped.begin(), skipped.end(), [](const Skipped& a, const Skipped& b) { return a.path < b.path; });
  return files;
}

}  // namespace ser::datasets
