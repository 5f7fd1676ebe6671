#pragma once
// The source a binary was built from, captured by the build
// (cmake/source_version.cmake), for run.json: a run records the code that
// made it, not whatever the source folder holds when it runs.

namespace ser::experiments {

struct SourceVersion {
  const char* git_commit;  // "" when built outside a git checkout
  bool modified;           // tracked files differed from that commit
};

SourceVersion source_version();

}  // namespace ser::experiments
