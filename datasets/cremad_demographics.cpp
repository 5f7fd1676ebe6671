#include "datasets/cremad_demographics.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "common/input_file.hpp"

namespace ser::datasets {

namespace {
constexpr const char* kFileName = "VideoDemographics.csv";

std::vector<std::string> cells_of(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) {
    cell.erase(std::remove(cell.begin(), cell.end(), '"'), cell.end());
    cells.push_back(cell);
  }
  return cells;
}

size_t column(const std::vector<std::string>& header, const std::string& name, const std::string& path) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end())
    throw std::invalid_argument("cremad: '" + path + "' has no column '" + name +
                                "' in its header (expected ActorID,Age,Sex,Race,Ethnicity)");
  return static_cast<size_t>(it - header.begin());
}
}  // namespace

std::map<std::string, std::string> read_cremad_genders(const std::string& path) {
  // 91 actors: a few kilobytes; a megabyte is no demographics file.
  std::stringstream text(read_input_file(path, "CREMA-D demographics", kMiB));
  std::string line;
  if (!std::getline(text, line)) throw std::invalid_argument("cremad: '" + path + "' is empty");
  const auto header = cells_of(line);
  const size_t id_col = column(header, "ActorID", path), sex_col = column(header, "Sex", path);
  std::map<std::string, std::string> genders;
  for (int number = 2; std::getline(text, line); ++number) {
    const auto cells = cells_of(line);
    if (cells.empty() || (cells.size() == 1 && cells[0].empty())) continue;
    const std::string where = "cremad: " + path + ":" + std::to_string(number) + ": ";
    if (cells.size() <= std::max(id_col, sex_col))
      throw std::invalid_argument(where + "has " + std::to_string(cells.size()) + " cells; the header has " +
                                  std::to_string(header.size()));
    const std::string& sex = cells[sex_col];
    if (sex != "Male" && sex != "Female")
      throw std::invalid_argument(where + "Sex is '" + sex + "', neither Male nor Female");
    genders[cells[id_col]] = sex == "Male" ? "male" : "female";
  }
  return genders;
}

std::optional<std::string> find_cremad_demographics(const std::string& audio_root) {
  namespace fs = std::filesystem;
  fs::path root = fs::path(audio_root).lexically_normal();
  if (!root.has_filename()) root = root.parent_path();  // "CREMA-D/AudioWAV/"
  std::error_code ec;
  for (const fs::path& folder : {root, root.parent_path()}) {
    const fs::path candidate = folder / kFileName;
    if (!folder.empty() && fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return std::nullopt;
}

}  // namespace ser::datasets
