// Process-wide CUDA state (see context.h).
#include "context.h"

#include <cstdlib>

#include "cublas_dl.h"

namespace mk {

namespace {
bool ready = false;
cudaStream_t the_stream = nullptr;
DeviceError* d_error = nullptr;  // device
void* h_pinned = nullptr;        // 64 bytes of pinned host memory: [0,16) a value, [16,40) the error record
DeviceInfo the_info;
bool sync_every_launch = false;  // MULKI_CUDA_SYNC=1

const char* error_kernel(int code) {
  switch (code) {
    case ERR_INDEX_SELECT: return "indexSelect: index out of range";
    case ERR_INDEX_ADD: return "indexAdd: index out of range";
    case ERR_CE_LABEL: return "crossEntropy: label >= number of classes";
    case ERR_CE_BW_LABEL: return "crossEntropyBackward: label >= number of classes";
    case ERR_CAST: return "cast: an f32 value is not representable as i32 (NaN, infinite or beyond 2^31; value = element index)";
    default: return "unknown kernel error";
  }
}
}  // namespace

bool context_init(std::string& error, DeviceInfo& info) {
  if (ready) {
    info = the_info;
    return true;
  }
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    error = e != cudaSuccess ? std::string("no CUDA device: cudaGetDeviceCount failed: ") + cudaGetErrorName(e) +
                                   " (" + cudaGetErrorString(e) + ")"
                             : std::string("no CUDA device: cudaGetDeviceCount found none");
    (void)cudaGetLastError();
    return false;
  }
  try {
    cuda_check(cudaSetDevice(0), "cudaSetDevice(0)");
    cudaDeviceProp prop;
    cuda_check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    the_info.name = prop.name;
    the_info.major = prop.major;
    the_info.minor = prop.minor;
    the_info.multiprocessors = prop.multiProcessorCount;
    the_info.total_memory = prop.totalGlobalMem;
    if (!the_stream) cuda_check(cudaStreamCreateWithFlags(&the_stream, cudaStreamNonBlocking), "cudaStreamCreate");
    if (!d_error) {
      cuda_check(cudaMalloc(&d_error, sizeof(DeviceError)), "cudaMalloc (error record)");
      cuda_check(cudaMemset(d_error, 0, sizeof(DeviceError)), "cudaMemset (error record)");
    }
    if (!h_pinned) cuda_check(cudaMallocHost(&h_pinned, 64), "cudaMallocHost");
  } catch (const std::exception& ex) {
    error = ex.what();
    return false;
  }
  const char* sync = std::getenv("MULKI_CUDA_SYNC");
  sync_every_launch = sync && sync[0] == '1';
  std::string path;
  if (!cublas_init(the_stream, error, path)) return false;
  the_info.cublas = path;
  info = the_info;
  ready = true;
  return true;
}

bool context_ready() { return ready; }

void launch_check(const char* kernel) {
  cuda_check(cudaGetLastError(), kernel);
  if (sync_every_launch) cuda_check(cudaStreamSynchronize(the_stream), kernel);
}
cudaStream_t stream() { return the_stream; }
DeviceError* device_error() { return d_error; }
void* pinned_value() { return h_pinned; }

void sync_and_check(const char* what) {
  DeviceError* h = reinterpret_cast<DeviceError*>(static_cast<char*>(h_pinned) + 16);
  cuda_check(cudaMemcpyAsync(h, d_error, sizeof(DeviceError), cudaMemcpyDeviceToHost, the_stream), what);
  cuda_check(cudaStreamSynchronize(the_stream), what);
  if (h->code != ERR_NONE) {
    const std::string msg = std::string("cuda: ") + error_kernel(h->code) + " (value " + std::to_string(h->value) +
                            ", limit " + std::to_string(h->limit) + "), found at " + what;
    cuda_check(cudaMemsetAsync(d_error, 0, sizeof(DeviceError), the_stream), what);
    cuda_check(cudaStreamSynchronize(the_stream), what);
    throw std::runtime_error(msg);
  }
}

}  // namespace mk
