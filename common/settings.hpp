#pragma once
// Settings declared once. An options struct registers each of its settings
// (name, kind, default, range, help) in a Settings list, as kaldi's options
// structs do with Register(); every front end walks that one list: the YAML
// config, the command line and its --help, the cache key (canonical text)
// and validation. Adding a setting is one line in the struct's
// register_settings(), and no front end can forget it.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ser {

// A setting's value is wrong. key() is the setting's name ("hop", "n_fft"), so
// a config can point at its line and a command line at its option; what()
// starts with the name ("hop must be between ...") and says what is allowed.
class SettingError : public std::invalid_argument {
 public:
  SettingError(std::string key, const std::string& what) : std::invalid_argument(what), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

enum class SettingKind { integer, number, flag, choice };

// One registered setting, bound to a field of one options struct. The field
// is read and written as a double: a whole number, 0/1 for a flag, the
// position of the name for a choice.
struct Setting {
  std::string name;  // as in configs: "n_fft"; the command line says --n-fft
  std::string help;
  SettingKind kind = SettingKind::number;
  double lo = 0, hi = 0;             // integer, number: the range
  std::vector<std::string> choices;  // choice: the names, in the enum's order
  std::string unit;                  // "Hz", "s", "dB": in messages
  // A value outside the range that means something else (hop 0: n_fft/4),
  // and the word that may be written for it ("none").
  std::optional<double> special;
  std::string special_word, special_meaning;
  std::function<double()> read;
  std::function<void(double)> write;

  std::string get() const;                  // the value as a config writes it
  void set(const std::string& text) const;  // parse, check, assign; throws SettingError
  void check() const;                       // the field's value allowed; throws SettingError
  std::string metavar() const;              // N, X, hann|hamming|rectangular
  std::string allowed() const;              // "between 2 and 65536 (0: n_fft/4)", "one of a, b or c"
};

// The name of an enum's value, from the array its choice() registers.
template <class E, size_t N>
const char* name_of(E value, const char* const (&names)[N]) {
  return names[static_cast<size_t>(value)];
}

// The shortest text that reads back as the same double (1e-10, 0.3, 22050).
std::string format_number(double x);

class Settings {
 public:
  // Whole numbers in [lo, hi]; real numbers in [lo, hi] (NaN and infinities
  // refused). special() and unit() qualify the setting registered last.
  Settings& integer(std::string name, int& field, int lo, int hi, std::string help);
  Settings& number(std::string name, double& field, double lo, double hi, std::string help);
  Settings& flag(std::string name, bool& field, std::string help);
  // An enum (or bool) whose values are the positions of `names`.
  template <class E>
  Settings& choice(std::string name, E& field, std::vector<std::string> names, std::string help) {
    Setting s = make(std::move(name), SettingKind::choice, std::move(help));
    s.choices = std::move(names);
    s.read = [&field] { return static_cast<double>(static_cast<int>(field)); };
    s.write = [&field](double v) { field = static_cast<E>(static_cast<int>(v)); };
    items_.push_back(std::move(s));
    return *this;
  }
  template <class E, size_t N>
  Settings& choice(std::string name, E& field, const char* const (&names)[N], std::string help) {
    return choice(std::move(name), field, std::vector<std::string>(names, names + N), std::move(help));
  }
  Settings& special(double value, std::string meaning, std::string word = "");
  Settings& unit(std::string unit);

  // Only on a named list: the settings of a temporary would dangle in a
  // range-for (`for (auto& s : spec.settings().all())` does not compile).
  const std::vector<Setting>& all() const& { return items_; }
  void all() const&& = delete;
  Setting* find(const std::string& name);
  std::vector<std::string> names() const;
  void check() const;  // every setting's current value; throws SettingError

 private:
  static Setting make(std::string name, SettingKind kind, std::string help);
  std::vector<Setting> items_;
};

}  // namespace ser
