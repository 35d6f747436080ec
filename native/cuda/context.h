// The process-wide CUDA state of the addon: device 0, one non-blocking stream for all work, the device error
// record, a pinned host buffer for scalar read-backs, and the cuBLAS library (see cublas_dl.h).
#pragma once
#include <string>

#include "common.h"

namespace mk {

struct DeviceInfo {
  std::string name;
  int major, minor;
  int multiprocessors;
  size_t total_memory;
  std::string cublas;  // path of the cuBLAS library loaded
};

// Starts CUDA on device 0 (idempotent). Returns false and sets `error` when there is no usable device or no
// cuBLAS; nothing else in the addon may be called then.
bool context_init(std::string& error, DeviceInfo& info);
bool context_ready();

cudaStream_t stream();
DeviceError* device_error();  // device pointer
// Pinned host memory for the synchronising read-backs: 16 bytes a value may be copied to (the device error
// record lives in the same block, after it).
void* pinned_value();

// Waits for the stream, then throws if a kernel reported an error (and clears it).
void sync_and_check(const char* what);

}  // namespace mk
