#include "datasets/split.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "common/rng.hpp"

namespace ser::datasets {

namespace {
// Samples grouped by origin (their source, or themselves), in first-seen order.
struct Unit {
  std::vector<size_t> members;
  const Sample* origin;
};

std::vector<Unit> units_of(const Corpus& c) {
  std::map<std::string, size_t> index;
  std::vector<Unit> units;
  for (size_t i = 0; i < c.samples.size(); ++i) {
    const Sample& s = c.samples[i];
    const std::string& key = s.source.empty() ? s.path : s.source;
    auto [it, fresh] = index.emplace(key, units.size());
    if (fresh) units.push_back({{}, &s});
    units[it->second].members.push_back(i);
    if (s.source.empty()) units[it->second].origin = &s;  // the source itself, when present
  }
  return units;
}

const char* group_name(GroupBy by) {
  switch (by) {
    case GroupBy::speaker:
      return "speaker";
    case GroupBy::word:
      return "word";
    case GroupBy::gender:
      return "gender";
    case GroupBy::none:
      break;
  }
  return "file";
}

std::string group_key(const Sample& s, GroupBy by) {
  switch (by) {
    case GroupBy::speaker:
      return s.speaker;
    case GroupBy::word:
      return s.word;
    case GroupBy::gender:
      return s.gender;
    case GroupBy::none:
      return s.path;
  }
  return s.path;
}

void check(const Ratios& r) {
  // Written so that NaN fails every test.
  if (!(r.train >= 0 && r.validation >= 0 && r.test >= 0 && std::abs(r.train + r.validation + r.test - 1.0) <= 1e-9))
    throw std::invalid_argument("split ratios must be >= 0 and add up to 1");
}

void finish(Split& s) {
  for (auto* v : {&s.train, &s.validation, &s.test}) std::sort(v->begin(), v->end());
}

void add_unit(std::vector<size_t>& side, const Unit& u) { side.insert(side.end(), u.members.begin(), u.members.end()); }

// Groups of units by key, in order of first appearance.
std::vector<std::vector<size_t>> groups_of(const std::vector<Unit>& units, GroupBy by, std::vector<std::string>* keys) {
  std::map<std::string, size_t> index;
  std::vector<std::vector<size_t>> groups;
  for (size_t u = 0; u < units.size(); ++u) {
    const std::string key = group_key(*units[u].origin, by);
    if (key.empty())
      throw std::invalid_argument("sample '" + units[u].origin->path + "' has no " + group_name(by) + " to group by");
    auto [it, fresh] = index.emplace(key, groups.size());
    if (fresh) {
      groups.emplace_back();
      if (keys) keys->push_back(key);
    }
    groups[it->second].push_back(u);
  }
  return groups;
}
}  // namespace

Split stratified_split(const Corpus& c, const Ratios& r, uint64_t seed) {
  check(r);
  const auto units = units_of(c);
  std::map<std::string, std::vector<size_t>> by_class;
  for (size_t u = 0; u < units.size(); ++u) by_class[units[u].origin->label].push_back(u);
  Rng rng(seed);
  Split s;
  for (auto& [label, members] : by_class) {
    rng.shuffle(members);
    const auto n = static_cast<double>(members.size());
    const auto n_test = static_cast<size_t>(std::lround(n * r.test));
    const auto n_val = std::min(members.size() - n_test, static_cast<size_t>(std::lround(n * r.validation)));
    for (size_t i = 0; i < members.size(); ++i)
      add_unit(i < n_test ? s.test : i < n_test + n_val ? s.validation : s.train, units[members[i]]);
  }
  finish(s);
  return s;
}

namespace {
// The side (0 train, 1 validation, 2 test) the next group goes to, `left`
// groups including it still to place: first every side with a share gets a
// group (test, then validation, then train, while no more groups are left
// than sides without one); after that, the side furthest below its share.
int pick_side(const double (&shares)[3], const double (&filled)[3], double total, const int (&groups_on)[3],
              size_t left) {
  int empty_sides = 0;
  for (int i = 0; i < 3; ++i) empty_sides += shares[i] > 0 && groups_on[i] == 0;
  if (static_cast<int>(left) <= empty_sides) {
    for (int i = 2; i >= 0; --i)
      if (shares[i] > 0 && groups_on[i] == 0) return i;
  }
  int pick = -1;
  double worst = -1e300;
  for (int i = 0; i < 3; ++i) {
    if (shares[i] <= 0) continue;
    const double deficit = shares[i] - filled[i] / total;
    if (deficit > worst) worst = deficit, pick = i;
  }
  return pick;
}
}  // namespace

Split group_split(const Corpus& c, GroupBy by, const Ratios& r, uint64_t seed) {
  check(r);
  if (by == GroupBy::none) return stratified_split(c, r, seed);
  const auto units = units_of(c);
  const auto groups = groups_of(units, by, nullptr);
  const double shares[3] = {r.train, r.validation, r.test};
  const int sides = (r.train > 0) + (r.validation > 0) + (r.test > 0);
  if (static_cast<int>(groups.size()) < sides)
    throw std::invalid_argument(std::string("a group split needs at least one ") + group_name(by) +
                                " per side; found " + std::to_string(groups.size()));
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng rng(seed);
  rng.shuffle(order);
  double total = 0;
  for (const auto& g : groups)
    for (size_t u : g) total += static_cast<double>(units[u].members.size());
  double filled[3] = {0, 0, 0};
  int groups_on[3] = {0, 0, 0};
  Split s;
  std::vector<size_t>* side_of[3] = {&s.train, &s.validation, &s.test};
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& g = groups[order[k]];
    const int pick = pick_side(shares, filled, total, groups_on, order.size() - k);
    for (size_t u : g) {
      add_unit(*side_of[pick], units[u]);
      filled[pick] += static_cast<double>(units[u].members.size());
    }
    ++groups_on[pick];
  }
  finish(s);
  return s;
}

std::vector<Split> kfold(const Corpus& c, int k, uint64_t seed, GroupBy by) {
  if (k < 2) throw std::invalid_argument("k-fold needs k >= 2");
  const auto units = units_of(c);
  if (static_cast<int64_t>(units.size()) < k)
    throw std::invalid_argument(std::to_string(k) + " folds need at least " + std::to_string(k) +
                                " files; the data has " + std::to_string(units.size()));
  std::vector<std::vector<size_t>> fold_units(static_cast<size_t>(k));
  Rng rng(seed);
  if (by == GroupBy::none) {
    std::map<std::string, std::vector<size_t>> by_class;
    for (size_t u = 0; u < units.size(); ++u) by_class[units[u].origin->label].push_back(u);
    size_t next = 0;  // dealing continues across classes so that fold sizes stay even
    for (auto& [label, members] : by_class) {
      rng.shuffle(members);
      for (size_t u : members) fold_units[next++ % static_cast<size_t>(k)].push_back(u);
    }
  } else {
    auto groups = groups_of(units, by, nullptr);
    if (static_cast<int>(groups.size()) < k)
      throw std::invalid_argument(std::to_string(k) + " folds need at least " + std::to_string(k) + " groups; found " +
                                  std::to_string(groups.size()));
    std::vector<size_t> order(groups.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    rng.shuffle(order);
    std::vector<size_t> size(static_cast<size_t>(k), 0);
    for (size_t gi : order) {  // each group to the currently smallest fold
      const size_t f = static_cast<size_t>(std::min_element(size.begin(), size.end()) - size.begin());
      for (size_t u : groups[gi]) {
        fold_units[f].push_back(u);
        size[f] += units[u].members.size();
      }
    }
  }
  std::vector<Split> out(static_cast<size_t>(k));
  for (size_t f = 0; f < out.size(); ++f) {
    for (size_t g = 0; g < fold_units.size(); ++g)
      for (size_t u : fold_units[g]) add_unit(g == f ? out[f].test : out[f].train, units[u]);
    finish(out[f]);
  }
  return out;
}

std::vector<Split> leave_one_group_out(const Corpus& c, GroupBy by) {
  if (by == GroupBy::none) throw std::invalid_argument("leave-one-group-out needs a speaker, word or gender grouping");
  const auto units = units_of(c);
  std::vector<std::string> keys;
  const auto groups = groups_of(units, by, &keys);
  std::vector<Split> out(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t h = 0; h < groups.size(); ++h)
      for (size_t u : groups[h]) add_unit(g == h ? out[g].test : out[g].train, units[u]);
    finish(out[g]);
  }
  return out;
}

}  // namespace ser::datasets
