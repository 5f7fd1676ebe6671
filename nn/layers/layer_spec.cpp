#include "nn/layers/layer_spec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/text.hpp"

namespace ser::nn {

LayerSpec::LayerSpec(std::string type, std::initializer_list<std::pair<std::string, std::string>> args)
    : type_(std::move(type)) {
  for (const auto& [k, v] : args) set(k, v);
}

void LayerSpec::fail(const std::string& what) const { throw LayerError(position_, type_, what); }

LayerSpec& LayerSpec::set(const std::string& key, const std::string& value) {
  for (auto& [k, v] : args_)
    if (k == key) {
      v = value;
      return *this;
    }
  args_.emplace_back(key, value);
  return *this;
}

const std::string* LayerSpec::find(const std::string& key) const {
  for (const auto& [k, v] : args_)
    if (k == key) return &v;
  return nullptr;
}

bool LayerSpec::has(const std::string& key) const { return find(key) != nullptr; }

std::string LayerSpec::text(const std::string& key) const {
  const std::string* v = find(key);
  if (!v) fail("missing required argument '" + key + "'");
  return *v;
}
std::string LayerSpec::text(const std::string& key, const std::string& fallback) const {
  const std::string* v = find(key);
  return v ? *v : fallback;
}

namespace {
// Layer arguments are sizes and counts: 32-bit magnitudes keep every product
// of two of them (a weight matrix, a padded length) far from overflow.
constexpr int64_t kLargest = 2147483647;

bool parse_int(const std::string& s, int64_t& out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end && out >= -kLargest && out <= kLargest;
}
}  // namespace

int64_t LayerSpec::integer(const std::string& key) const {
  const std::string v = text(key);
  int64_t out;
  if (!parse_int(v, out))
    fail("argument '" + key + "' must be an integer between -" + std::to_string(kLargest) + " and " +
         std::to_string(kLargest) + ", got '" + v + "'");
  return out;
}
int64_t LayerSpec::integer(const std::string& key, int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}

double LayerSpec::number(const std::string& key, double fallback) const {
  const std::string* v = find(key);
  if (!v) return fallback;
  double out;
  const char* end = v->data() + v->size();
  auto [p, ec] = std::from_chars(v->data(), end, out);
  if (ec != std::errc() || p != end || !std::isfinite(out))
    fail("argument '" + key + "' must be a number, got '" + *v + "'");
  return out;
}

bool LayerSpec::flag(const std::string& key, bool fallback) const {
  const std::string* v = find(key);
  if (!v) return fallback;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  fail("argument '" + key + "' must be true or false, got '" + *v + "'");
}

std::pair<int64_t, int64_t> LayerSpec::pair(const std::string& key) const {
  const std::string v = text(key);
  const size_t sep = v.find_first_of("x,");
  int64_t a, b;
  if (sep == std::string::npos) {
    if (parse_int(v, a)) return {a, a};
  } else if (parse_int(v.substr(0, sep), a) && parse_int(v.substr(sep + 1), b)) {
    return {a, b};
  }
  fail("argument '" + key + "' must be an integer or HxW, got '" + v + "'");
}
std::pair<int64_t, int64_t> LayerSpec::pair(const std::string& key, std::pair<int64_t, int64_t> fallback) const {
  return has(key) ? pair(key) : fallback;
}

void LayerSpec::check_known(std::initializer_list<const char*> known) const {
  for (const auto& arg : args_) {
    const std::string& k = arg.first;  // a named variable: lambdas may not capture structured bindings before C++23's clang
    if (k == "name") continue;  // every layer's: what the model calls it (Sequential)
    if (std::any_of(known.begin(), known.end(), [&](const char* n) { return k == n; })) continue;
    std::string msg =
        "unknown argument '" + k + "'" + did_you_mean(k, std::vector<std::string>(known.begin(), known.end()));
    msg += "; known:";
    for (const char* n : known) msg += std::string(" ") + n;
    fail(msg);
  }
}

std::string LayerSpec::describe() const {
  std::string s = type_ + "(";
  for (size_t i = 0; i < args_.size(); ++i) s += (i ? ", " : "") + args_[i].first + "=" + args_[i].second;
  return s + ")";
}

}  // namespace ser::nn
