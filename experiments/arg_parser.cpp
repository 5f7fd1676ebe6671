#include "experiments/arg_parser.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "common/text.hpp"

namespace ser::experiments {

ArgParser::ArgParser(std::string command, std::string description)
    : command_(std::move(command)), description_(std::move(description)) {}

ArgParser& ArgParser::positional(const std::string& name, const std::string& help, bool many) {
  positional_specs_.emplace_back(name, help);
  many_ = many;
  return *this;
}

ArgParser& ArgParser::optional_positionals(const std::string& name, const std::string& help) {
  positional(name, help, true);
  optional_ = true;
  return *this;
}

ArgParser& ArgParser::option(const std::string& name, const std::string& metavar, const std::string& help,
                             std::optional<std::string> fallback) {
  specs_.push_back({name, metavar, help, false, std::move(fallback)});
  return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, "", help, true, std::nullopt});
  return *this;
}

const ArgParser::Spec* ArgParser::find(const std::string& name) const {
  for (const Spec& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

bool ArgParser::parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << help();
      return false;
    }
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a, value;
      bool inline_value = false;
      if (const size_t eq = a.find('='); eq != std::string::npos) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
        inline_value = true;
      }
      const Spec* s = find(name);
      if (!s) {
        std::vector<std::string> names;
        for (const Spec& sp : specs_) names.push_back(sp.name);
        throw UsageError("unknown option '" + name + "'" + did_you_mean(name, names));
      }
      if (s->is_flag) {
        if (inline_value) throw UsageError(name + " takes no value");
        values_.insert_or_assign(name, std::string(1, '1'));
      } else {
        if (!inline_value) {
          if (i + 1 >= args.size()) throw UsageError(name + " needs a value (" + s->metavar + ")");
          value = args[++i];
        }
        values_[name] = value;
        repeated_[name].push_back(value);
      }
    } else {
      positionals_.push_back(a);
    }
  }
  const size_t need = positional_specs_.size() - (optional_ ? 1 : 0);
  if (positionals_.size() < need) throw UsageError("missing " + positional_specs_[positionals_.size()].first);
  if (!many_ && positionals_.size() > positional_specs_.size()) throw UsageError("unexpected argument '" + positionals_[need] + "'");
  return true;
}

std::string ArgParser::help() const {
  std::ostringstream out;
  out << "usage: ser " << command_;
  for (const auto& [name, h] : positional_specs_)
    out << " " << (optional_ && &name == &positional_specs_.back().first ? "[" + name + "...]"
                   : name + (many_ && &name == &positional_specs_.back().first ? "..." : ""));
  out << " [options]\n\n" << description_ << "\n";
  if (!positional_specs_.empty()) {
    out << "\narguments:\n";
    for (const auto& [name, h] : positional_specs_)
      out << "  " << name << std::string(name.size() < 20 ? 20 - name.size() : 1, ' ') << h << "\n";
  }
  if (!specs_.empty()) {
    out << "\noptions:\n";
    for (const Spec& s : specs_) {
      std::string left = s.name + (s.is_flag ? "" : " " + s.metavar);
      out << "  " << left << std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') << s.help;
      if (s.fallback) out << " (default " << *s.fallback << ")";
      out << "\n";
    }
  }
  out << "  --help                  this page\n";
  return out.str();
}

bool ArgParser::given(const std::string& name) const { return values_.count(name) > 0; }

std::vector<std::string> ArgParser::all(const std::string& name) const {
  const auto it = repeated_.find(name);
  return it == repeated_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<std::string> ArgParser::maybe(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (const Spec* s = find(name); s && s->fallback) return s->fallback;
  return std::nullopt;
}

std::string ArgParser::text(const std::string& name) const {
  auto v = maybe(name);
  if (!v) throw UsageError("missing required option " + name);
  return *v;
}

int ArgParser::integer(const std::string& name) const {
  const std::string v = text(name);
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || x < -2147483647L || x > 2147483647L)
    throw UsageError(name + " needs an integer, got '" + v + "'");
  return static_cast<int>(x);
}

double ArgParser::number(const std::string& name) const {
  const std::string v = text(name);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !std::isfinite(x)) throw UsageError(name + " needs a number, got '" + v + "'");
  return x;
}

}  // namespace ser::experiments
