#pragma once
// Model files (.sermodel): architecture, weights, label names and feature
// settings in one versioned binary file with a CRC-32, written atomically.
//
// Layout (little-endian):
//   "SERMODEL"  u32 format_version  u64 body_length  body  u32 crc32(body)
// body:
//   str model_name; shape input; u32 n_layers, each {str type; u32 n_args, each {str key; str value}};
//   u32 n_labels, each str; str feature_settings;
//   u32 n_tensors, each {str name; shape; f32[numel]}
// where str = u32 length + bytes and shape = u32 rank + i64[rank].
// Format version 1. A reader refuses any other version with a clear message.
// Everything read is checked before it is used: the envelope (common/
// framed_file.hpp), every length against the bytes present, the layers'
// sizes against what the file holds, the labels against the outputs, every
// tensor's name and shape against the architecture.

#include <stdexcept>
#include <string>

#include "nn/sequential.hpp"

namespace ser::nn {

constexpr uint32_t kModelFormatVersion = 1;
// A model holds at most kMaxModelValues floats (1 GiB) plus its description.
constexpr uint64_t kMaxModelFileBytes = uint64_t{1} << 31;

// A model file that cannot be read; the message names the file and the problem.
class ModelFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string serialize_model(Sequential& model);
void save_model(Sequential& model, const std::string& path);
// `source` names the bytes in error messages (usually the path).
Sequential deserialize_model(const std::string& bytes, const std::string& source);
Sequential load_model(const std::string& path);

}  // namespace ser::nn
