// CPU emulation (see ../README.md): the data type codes of CUDA's library_types.h that the addon uses.
#pragma once
typedef enum cudaDataType_t { CUDA_R_32F = 0, CUDA_R_16BF = 14 } cudaDataType;
