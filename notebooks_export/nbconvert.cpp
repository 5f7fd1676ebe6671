#include "notebooks_export/nbconvert.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/atomic_file.hpp"

namespace ser::notebooks {
namespace fs = std::filesystem;
namespace {

std::string on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// Quoted only when the shell would split or expand it, so the printed command stays readable.
std::string shell_quote(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                       "0123456789_-+=.,:/@%") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs argv with stdout and stderr into `log_path`; the exit status, or -1 when it could not start.
// The child does not outlive us: if ser ends, however it ends (SIGKILL
// included), the kernel sends the child SIGINT, which Python turns into
// KeyboardInterrupt, so nbconvert shuts down the Jupyter kernel it started
// before it exits (a SIGTERM would end it at once and orphan the kernel).
int run_logged(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGINT);
    if (::getppid() != parent) ::_exit(130);  // ser ended before the request took effect
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "  " + all[i] + "\n";
  return out;
}

// JupyterLab's page without the two scripts it loads from outside the file:
// require.js (for widgets) and MathJax (for LaTeX). A report has neither, and
// Debian's nbconvert points both at /usr/share/javascript, where they are
// often not installed: the browser reported each as a failed load, and a
// copy of the report on another machine would ask for them too.
constexpr const char* self_contained_template = R"({%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
)";

}  // namespace

std::string find_nbconvert() {
  if (const char* set = std::getenv("SER_NBCONVERT")) return set;
  return on_path("jupyter-nbconvert");
}

RenderResult render_html(const std::string& notebook) {
  RenderResult r;
  const fs::path nb = fs::absolute(notebook);
  const fs::path html = fs::path(nb).replace_extension(".html");
  // Beside the notebook, so the printed command works when run by hand.
  const fs::path page_template = nb.parent_path() / "nbconvert_template.html.j2";
  // Cells tagged hide_input (the helpers) keep their output and lose their source;
  // 10 minutes per cell is far more than any plot here needs.
  const std::vector<std::string> options = {"--to", "html", "--execute", "--ExecutePreprocessor.timeout=600",
                                            "--TagRemovePreprocessor.remove_input_tags=hide_input",
                                            "--template-file", page_template.string(),
                                            "--output-dir", nb.parent_path().string(), nb.string()};
  r.command = "jupyter nbconvert";
  for (const auto& o : options) r.command.append(" ").append(shell_quote(o));
  const std::string program = find_nbconvert();
  if (program.empty() || ::access(program.c_str(), X_OK) != 0) {
    r.missing = true;
    r.problem = program.empty() ? "Jupyter's nbconvert is not installed"
                                : "SER_NBCONVERT names '" + program + "', which is not an executable program";
    r.problem += " (Debian: apt-get install jupyter-nbconvert python3-ipykernel python3-matplotlib python3-nbformat,"
                 " or run scripts/setup.sh)";
    return r;
  }
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), options.begin(), options.end());
  const std::string log = (nb.parent_path() / "nbconvert.log").string();
  write_file_atomically(page_template.string(), self_contained_template);
  fs::remove(html);
  const int status = run_logged(argv, log);
  if (status != 0 || !fs::exists(html)) {
    r.problem = "nbconvert failed (exit status " + std::to_string(status) + "); the end of " + log + ":\n" + tail(log, 12);
    return r;
  }
  r.rendered = true;
  r.html = html.string();
  return r;
}

}  // namespace ser::notebooks
