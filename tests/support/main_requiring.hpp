#pragma once
// A doctest main for suites that need files outside the repository: when
// `path` is missing it prints why and how to fix it, then exits with 77,
// which CTest reports as "skipped" (SKIP_RETURN_CODE).

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace ser::test {

inline int run_requiring(const std::string& path, const char* setting, int argc, char** argv) {
  if (!std::filesystem::exists(path)) {
    std::printf("SKIPPED: %s not found. Point %s at the folder (default: ../shared beside the checkout).\n",
                path.c_str(), setting);
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}

}  // namespace ser::test
