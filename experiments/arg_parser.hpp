#pragma once
// Command-line options for the ser subcommands: declared once, parsed with
// errors that name the option and suggest the closest one, and a --help page
// generated from the declarations.

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ser::experiments {

// A command line that cannot work; main() prints it with the usage and exits with 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ArgParser {
 public:
  ArgParser(std::string command, std::string description);

  ArgParser& positional(const std::string& name, const std::string& help, bool many = false);
  // The last positional: any number, none included (another option may stand for them).
  ArgParser& optional_positionals(const std::string& name, const std::string& help);
  ArgParser& option(const std::string& name, const std::string& metavar, const std::string& help,
                    std::optional<std::string> fallback = std::nullopt);
  ArgParser& flag(const std::string& name, const std::string& help);

  // False when --help was asked for (the help has been printed).
  bool parse(const std::vector<std::string>& args);
  std::string help() const;

  bool given(const std::string& name) const;
  bool flag_set(const std::string& name) const { return given(name); }
  std::string text(const std::string& name) const;  // required unless it has a fallback
  std::optional<std::string> maybe(const std::string& name) const;
  // Every value of an option given several times (--set a=1 --set b=2), in order.
  std::vector<std::string> all(const std::string& name) const;
  int integer(const std::string& name) const;
  double number(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  struct Spec {
    std::string name, metavar, help;
    bool is_flag = false;
    std::optional<std::string> fallback;
  };
  std::string command_, description_;
  std::vector<Spec> specs_;
  std::vector<std::pair<std::string, std::string>> positional_specs_;
  bool many_ = false, optional_ = false;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> repeated_;
  std::vector<std::string> positionals_;
  const Spec* find(const std::string& name) const;
};

}  // namespace ser::experiments
