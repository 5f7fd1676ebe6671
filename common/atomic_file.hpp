#pragma once
// Files that hold results (models, checkpoints, metrics) are written to a
// temporary file in the same folder, flushed to disk, then renamed over the
// target: a reader sees the old file or the new one, never half of one.

#include <string>
#include <string_view>

namespace ser {

// Throws std::runtime_error naming the path and the system's reason.
// durable=false skips the fsyncs: still atomic for readers and against a
// killed process (the kernel keeps the data), but not against power loss.
// Right for caches, which can be recomputed; results keep the default.
void write_file_atomically(const std::string& path, std::string_view bytes, bool durable = true);

// Removes the temporary files ("<name>.tmp.<host>.<pid>") that writers
// which no longer run (a killed process) left in `folder`; a live writer's
// are kept, and so are other machines' (a shared folder's other writers).
// Returns how many were removed. Run folders and caches call it on start.
int remove_stale_temporaries(const std::string& folder);

}  // namespace ser

namespace ser::nn {
using ser::write_file_atomically;
}  // namespace ser::nn
