#pragma once
// Where tests find the shared real data and the reference values. One
// setting each: SER_DATA (default ../shared/data beside the checkout) and
// SER_REFERENCE (default ../shared/reference). Golden values the project
// made itself (new layers and features, with their generators) live in the
// repository, tests/reference/, since ../shared/reference is read-only.

#include <cstdlib>
#include <string>

#include "common/data_dir.hpp"

namespace ser::test {

inline std::string data_dir() { return ser::data_dir(SER_DEFAULT_DATA_DIR); }

inline std::string reference_dir() {
  const char* env = std::getenv("SER_REFERENCE");
  return env && *env ? env : SER_DEFAULT_REFERENCE_DIR;
}

inline std::string own_reference_dir() { return SER_OWN_REFERENCE_DIR; }

// A file of tests/reference/, e.g. own_reference_file("silence.json").
// Built by appends: GCC 12 at -O1 (the suites' level in Release) warns
// falsely (-Warray-bounds) on `std::string + "literal"` here.
inline std::string own_reference_file(const std::string& name) {
  std::string path = own_reference_dir();
  path += '/';
  path += name;
  return path;
}

}  // namespace ser::test
