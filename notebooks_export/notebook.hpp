#pragma once
// A Jupyter notebook (nbformat 4.5) built cell by cell and written as JSON.
// Cells get ids numbered in order, so the same report gives the same file.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ser::notebooks {

class Notebook {
 public:
  void markdown(std::string_view text);
  // hide_input: JupyterLab shows the cell collapsed, and the HTML report
  // leaves its source out (the cell tagged "hide_input"); outputs stay.
  void code(std::string_view source, bool hide_input = false);
  size_t cells() const { return cells_.size(); }
  std::string to_json() const;

 private:
  void add(nlohmann::ordered_json cell);
  nlohmann::ordered_json cells_ = nlohmann::ordered_json::array();
};

// A string as a Python literal (JSON's escapes are valid Python).
std::string python_string(std::string_view s);

}  // namespace ser::notebooks
