#pragma once
// Finding a corpus's files. Corpus folders are real users' folders: class
// folders that are symbolic links (followed), links that loop back to a
// parent, entries that cannot be read. None of these ends a run: each
// problem is reported as a skipped entry with its reason and the walk goes on.

#include <filesystem>
#include <string>
#include <vector>

#include "datasets/corpus.hpp"

namespace ser::datasets {

// Every regular file below `root` whose extension, lower-cased, is one of
// `extensions` (".wav", ...), sorted by path. Links are followed; a folder
// reached a second time (a link loop, or two links to one folder) is read
// once; what cannot be read goes to `skipped`.
std::vector<std::filesystem::path> find_files(const std::string& root, const std::vector<std::string>& extensions,
                                              std::vector<Skipped>& skipped);

}  // namespace ser::datasets
