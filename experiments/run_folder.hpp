#pragma once
// A run folder owned by one process. `ser train` into a folder that already
// holds a run is refused (or, asked for, replaces it); two processes never
// write one folder at once (an flock on RUN/.lock, released by the kernel
// however the holder ends, SIGKILL included); temporary files that killed
// writers left behind are removed when a run starts.

#include <string>

namespace ser::experiments {

enum class RunStart {
  fresh,    // the folder must be new or empty
  resume,   // the folder must hold a run
  replace,  // whatever the folder holds is removed first (--force)
};

class RunFolder {
 public:
  // Throws std::runtime_error naming the folder when it cannot be taken.
  RunFolder(const std::string& dir, RunStart start);
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

 private:
  int lock_fd_ = -1;
};

}  // namespace ser::experiments
