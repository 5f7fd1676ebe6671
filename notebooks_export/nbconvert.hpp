#pragma once
// Executes a notebook and renders it to one self-contained HTML file (figures
// embedded as PNG) with Jupyter's nbconvert, run as a separate program.

#include <string>

namespace ser::notebooks {

struct RenderResult {
  bool rendered = false;
  bool missing = false;  // no nbconvert to run (as opposed to one that failed)
  std::string html;     // the HTML file, when rendered
  std::string command;  // the command that renders it, to run by hand
  std::string problem;  // why it was not rendered: nbconvert missing, or its error output
};

// The nbconvert program: $SER_NBCONVERT when set (empty: none), else
// jupyter-nbconvert on the PATH. Empty when there is none.
std::string find_nbconvert();

// Writes NOTEBOOK's HTML beside it (report.ipynb -> report.html); nbconvert's
// own output goes to nbconvert.log there. Never throws for a failed render:
// the notebook stays, and the result says what went wrong and how to retry.
RenderResult render_html(const std::string& notebook);

}  // namespace ser::notebooks
