#include "common/settings.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/text.hpp"

namespace ser {

std::string format_number(double x) {
  // Whole numbers as integers (1000000, not 1e+06): ranges read better.
  if (std::abs(x) < 1e15 && x == std::floor(x)) return std::to_string(static_cast<long long>(x));
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc() ? std::string(buf, end) : std::string("nan");
}

namespace {

std::string join_or(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

bool is_special(const Setting& s, double v) { return s.special && v == *s.special; }

bool in_range(const Setting& s, double v) {
  if (is_special(s, v)) return true;
  if (!(v >= s.lo && v <= s.hi)) return false;  // NaN fails here
  return s.kind != SettingKind::integer || v == std::floor(v);
}

[[noreturn]] void refuse(const Setting& s, const std::string& got) {
  throw SettingError(s.name, s.name + " must be " + s.allowed() + ", got " + got);
}

double parse_value(const Setting& s, const std::string& text) {
  switch (s.kind) {
    case SettingKind::integer: {
      long long v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        throw SettingError(s.name, s.name + " must be an integer, got '" + text + "'");
      return static_cast<double>(v);
    }
    case SettingKind::number: {
      // YAML's spellings of the IEEE specials, refused by the range (and named as written).
      for (const char* inf : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})
        if (text == inf) return HUGE_VAL;
      for (const char* inf : {"-.inf", "-.Inf", "-.INF"})
        if (text == inf) return -HUGE_VAL;
      for (const char* nan : {".nan", ".NaN", ".NAN"})
        if (text == nan) return std::nan("");
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0') throw SettingError(s.name, s.name + " must be a number, got '" + text + "'");
      return v;
    }
    case SettingKind::flag:
      if (text == "true" || text == "yes") return 1;
      if (text == "false" || text == "no") return 0;
      refuse(s, "'" + text + "'");
    case SettingKind::choice:
      for (size_t i = 0; i < s.choices.size(); ++i)
        if (s.choices[i] == text) return static_cast<double>(i);
      throw SettingError(s.name,
                         s.name + " must be " + s.allowed() + ", got '" + text + "'" + did_you_mean(text, s.choices));
  }
  return 0;
}

}  // namespace

std::string Setting::allowed() const {
  switch (kind) {
    case SettingKind::flag:
      return "true or false";
    case SettingKind::choice:
      return "one of " + join_or(choices);
    default:
      break;
  }
  std::string text = "between " + format_number(lo) + " and " + format_number(hi) + (unit.empty() ? "" : " " + unit);
  if (special)
    text += " (" + (special_word.empty() ? format_number(*special) : special_word) + ": " + special_meaning + ")";
  return text;
}

std::string Setting::metavar() const {
  switch (kind) {
    case SettingKind::integer:
    case SettingKind::number: {
      std::string m = unit.empty() ? (kind == SettingKind::integer ? "N" : "X") : unit;
      for (char& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return m;
    }
    case SettingKind::flag:
      return "true|false";
    case SettingKind::choice: {
      std::string out;
      for (const auto& c : choices) out += (out.empty() ? "" : "|") + c;
      return out;
    }
  }
  return "";
}

std::string Setting::get() const {
  const double v = read();
  if (is_special(*this, v) && !special_word.empty()) return special_word;
  switch (kind) {
    case SettingKind::integer:
      return std::to_string(static_cast<long long>(v));
    case SettingKind::number:
      return format_number(v);
    case SettingKind::flag:
      return v != 0 ? "true" : "false";
    case SettingKind::choice: {
      const auto i = static_cast<size_t>(v);
      return v >= 0 && i < choices.size() ? choices[i] : format_number(v);
    }
  }
  return "";
}

void Setting::set(const std::string& text) const {
  const double v = !special_word.empty() && text == special_word ? *special : parse_value(*this, text);
  if ((kind == SettingKind::integer || kind == SettingKind::number) && !in_range(*this, v)) refuse(*this, text);
  write(v);
}

void Setting::check() const {
  const double v = read();
  switch (kind) {
    case SettingKind::integer:
    case SettingKind::number:
      if (!in_range(*this, v)) refuse(*this, format_number(v));
      return;
    case SettingKind::flag:
      return;
    case SettingKind::choice:
      if (!(v >= 0 && v < static_cast<double>(choices.size()))) refuse(*this, format_number(v));
      return;
  }
}

Setting Settings::make(std::string name, SettingKind kind, std::string help) {
  Setting s;
  s.name = std::move(name);
  s.kind = kind;
  s.help = std::move(help);
  return s;
}

Settings& Settings::integer(std::string name, int& field, int lo, int hi, std::string help) {
  Setting s = make(std::move(name), SettingKind::integer, std::move(help));
  s.lo = lo;
  s.hi = hi;
  s.read = [&field] { return static_cast<double>(field); };
  s.write = [&field](double v) { field = static_cast<int>(v); };
  items_.push_back(std::move(s));
  return *this;
}

Settings& Settings::number(std::string name, double& field, double lo, double hi, std::string help) {
  Setting s = make(std::move(name), SettingKind::number, std::move(help));
  s.lo = lo;
  s.hi = hi;
  s.read = [&field] { return field; };
  s.write = [&field](double v) { field = v; };
  items_.push_back(std::move(s));
  return *this;
}

Settings& Settings::flag(std::string name, bool& field, std::string help) {
  Setting s = make(std::move(name), SettingKind::flag, std::move(help));
  s.read = [&field] { return field ? 1.0 : 0.0; };
  s.write = [&field](double v) { field = v != 0; };
  items_.push_back(std::move(s));
  return *this;
}

Settings& Settings::special(double value, std::string meaning, std::string word) {
  Setting& s = items_.back();
  s.special = value;
  s.special_meaning = std::move(meaning);
  s.special_word = std::move(word);
  return *this;
}

Settings& Settings::unit(std::string unit) {
  items_.back().unit = std::move(unit);
  return *this;
}

Setting* Settings::find(const std::string& name) {
  for (Setting& s : items_)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> Settings::names() const {
  std::vector<std::string> out;
  for (const Setting& s : items_) out.push_back(s.name);
  return out;
}

void Settings::check() const {
  for (const Setting& s : items_) s.check();
}

}  // namespace ser
