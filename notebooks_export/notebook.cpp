#include "notebooks_export/notebook.hpp"

#include <cstdio>

namespace ser::notebooks {
namespace {

// nbformat stores a cell's source as its lines, each keeping its newline.
nlohmann::ordered_json source_lines(std::string_view text) {
  auto lines = nlohmann::ordered_json::array();
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    const size_t stop = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(std::string(text.substr(start, stop - start)));
    start = stop;
  }
  return lines;
}

}  // namespace

void Notebook::add(nlohmann::ordered_json cell) {
  char id[32];
  std::snprintf(id, sizeof(id), "cell-%03zu", cells_.size() + 1);
  cell["id"] = id;
  cells_.push_back(std::move(cell));
}

void Notebook::markdown(std::string_view text) {
  nlohmann::ordered_json c;
  c["cell_type"] = "markdown";
  c["metadata"] = nlohmann::ordered_json::object();
  c["source"] = source_lines(text);
  add(std::move(c));
}

void Notebook::code(std::string_view source, bool hide_input) {
  nlohmann::ordered_json c;
  c["cell_type"] = "code";
  c["execution_count"] = nullptr;
  c["metadata"] = nlohmann::ordered_json::object();
  if (hide_input) {
    c["metadata"]["jupyter"] = {{"source_hidden", true}};
    c["metadata"]["tags"] = {"hide_input"};
  }
  c["outputs"] = nlohmann::ordered_json::array();
  c["source"] = source_lines(source);
  add(std::move(c));
}

std::string Notebook::to_json() const {
  nlohmann::ordered_json nb;
  nb["cells"] = cells_;
  nb["metadata"] = {{"kernelspec", {{"display_name", "Python 3"}, {"language", "python"}, {"name", "python3"}}},
                    {"language_info", {{"name", "python"}}}};
  nb["nbformat"] = 4;
  nb["nbformat_minor"] = 5;
  return nb.dump(1) + "\n";
}

std::string python_string(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

}  // namespace ser::notebooks
