#include "experiments/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "common/atomic_file.hpp"
#include "common/text.hpp"

namespace ser::experiments {

namespace fs = std::filesystem;

namespace {
constexpr char kLockName[] = ".lock";

bool holds_anything_but_the_lock(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename() != kLockName) return true;
  return false;
}
}  // namespace

RunFolder::RunFolder(const std::string& dir, RunStart start) {
  const fs::path folder(dir);
  std::error_code ec;
  if (fs::exists(folder, ec) && !fs::is_directory(folder, ec))
    throw std::runtime_error("run folder '" + dir + "' exists and is not a folder; give another --out");
  if (start == RunStart::resume && !fs::exists(folder / "run.json", ec))
    throw std::runtime_error("'" + dir + "' is not a run directory (no run.json); give the folder `ser train` wrote");
  fs::create_directories(folder, ec);
  if (ec) throw std::runtime_error("cannot create run folder '" + dir + "': " + ec.message());

  const std::string lock = (folder / kLockName).string();
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw std::runtime_error("cannot create '" + lock + "': " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = read_file(lock);
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw std::runtime_error("run folder '" + dir + "' is in use by another ser process" +
                             (holder.empty() ? std::string() : " (pid " + holder + ")") +
                             "; wait for it to end or give another --out");
  }
  // Who holds it, for the message another process prints; the lock holds whether or not this is written.
  const std::string pid = std::to_string(::getpid());
  const bool noted = ::ftruncate(lock_fd_, 0) == 0 && ::pwrite(lock_fd_, pid.data(), pid.size(), 0) > 0;
  (void)noted;

  if (start == RunStart::fresh && holds_anything_but_the_lock(folder)) {
    const bool run = fs::exists(folder / "run.json", ec);
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw std::runtime_error("run folder '" + dir + "' " +
                             (run ? "already holds a run; continue it with `ser resume " + dir + "`,"
                                  : "is not empty;") +
                             " give another --out, or --force to replace what it holds");
  }
  if (start == RunStart::replace)
    for (const auto& e : fs::directory_iterator(folder, ec))
      if (e.path().filename() != kLockName) fs::remove_all(e.path(), ec);
  remove_stale_temporaries(dir);
}

RunFolder::~RunFolder() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

}  // namespace ser::experiments
