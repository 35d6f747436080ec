# The native CPU backend of mulki (N-API, no node-addon-api).
# The whole addon is compiled for the baseline x86-64 ISA; the AVX2 and AVX-512 kernels live in their own files
# (src/isa_avx2.cpp, src/isa_avx512.cpp) that switch the target with `#pragma GCC target`, and the ISA is chosen
# at run time (src/dispatch.cpp). Never add -march=native here.
{
  "targets": [
    {
      "target_name": "mulki_cpu",
      "sources": [
        "src/addon.cpp",
        "src/bind_memory.cpp",
        "src/bind_math.cpp",
        "src/bind_nn.cpp",
        "src/dispatch.cpp",
        "src/pool.cpp",
        "src/common_kernels.cpp",
        "src/topk.cpp",
        "src/isa_generic.cpp",
        "src/isa_avx2.cpp",
        "src/isa_avx512.cpp",
        "src/resample.cpp",
        "src/resample_generic.cpp",
        "src/resample_avx2.cpp",
        "src/resample_avx512.cpp"
      ],
      "defines": ["NAPI_VERSION=8", "MULKI_CPU_VERSION=\"0.1.0\""],
      "cflags": ["-O3", "-fno-math-errno", "-Wno-psabi", "-Wno-unused-function", "-Wno-maybe-uninitialized", "-Wno-uninitialized"],
      "cflags_cc!": ["-std=gnu++17"],
      "cflags_cc": ["-std=gnu++20"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "gnu++20",
        "OTHER_CFLAGS": ["-O3", "-fno-math-errno"]
      }
    }
  ]
}
