// Row-wise top-k: values in descending order, ties broken by the lower index; NaN ranks above every number
// (as in PyTorch). One row per task.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace mulki {
namespace {
#include "parallel.inl"

/** a ranks before b */
inline bool before(float va, int32_t ia, float vb, int32_t ib) {
  const bool na = std::isnan(va), nb = std::isnan(vb);
  if (na != nb) return na;
  if (!na && va != vb) return va > vb;
  return ia < ib;
}

}  // namespace

void topk(const float* x, i64 rows, i64 cols, i64 k, float* values, int32_t* indices) {
  par_rows(rows, cols, [&](i64 r0, i64 r1, int) {
    std::vector<int32_t> order;
    for (i64 r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* vo = values + r * k;
      int32_t* io = indices + r * k;
      if (k <= 16) {
        // insertion into a sorted buffer of k: one pass, no allocation
        i64 len = 0;
        for (i64 j = 0; j < cols; ++j) {
          const float v = xr[j];
          if (len == k && !before(v, (int32_t)j, vo[len - 1], io[len - 1])) continue;
          i64 pos = len < k ? len++ : k - 1;
          while (pos > 0 && before(v, (int32_t)j, vo[pos - 1], io[pos - 1])) {
            vo[pos] = vo[pos - 1];
            io[pos] = io[pos - 1];
            --pos;
          }
          vo[pos] = v;
          io[pos] = (int32_t)j;
        }
      } else {
        order.resize((size_t)cols);
        for (i64 j = 0; j < cols; ++j) order[(size_t)j] = (int32_t)j;
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](int32_t a, int32_t b) { return before(xr[a], a, xr[b], b); });
        for (i64 j = 0; j < k; ++j) {
          io[j] = order[(size_t)j];
          vo[j] = xr[order[(size_t)j]];
        }
      }
    }
  });
}

}  // namespace mulki
