// N-API bindings of GEMM, the elementwise kernels and reductions, top-k and AdamW.
#include "bindings.h"
#include "dispatch.h"

namespace mulki {

// ---------------------------------------------------------------- GEMM

napi_value Gemm(napi_env env, napi_callback_info info) {
  Call c(env, info, "gemm", 20);
  GemmArgs g;
  size_t la, lb, lc;
  g.transA = c.flag(0);
  g.transB = c.flag(1);
  g.m = c.integer(2, "m");
  g.n = c.integer(3, "n");
  g.k = c.integer(4, "k");
  g.alpha = (float)c.finite(5, "alpha");
  g.beta = (float)c.finite(6, "beta");
  float* a = c.f32(7, "A", &la);
  i64 aOff = c.integer(8, "aOff");
  g.lda = c.integer(9, "lda");
  g.strideA = c.integer(10, "strideA");
  float* b = c.f32(11, "B", &lb);
  i64 bOff = c.integer(12, "bOff");
  g.ldb = c.integer(13, "ldb");
  g.strideB = c.integer(14, "strideB");
  float* cc = c.f32(15, "C", &lc);
  i64 cOff = c.integer(16, "cOff");
  g.ldc = c.integer(17, "ldc");
  g.strideC = c.integer(18, "strideC");
  g.batch = c.integer(19, "batch");
  const i64 rowsA = g.transA ? g.k : g.m, colsA = g.transA ? g.m : g.k;
  const i64 rowsB = g.transB ? g.n : g.k, colsB = g.transB ? g.k : g.n;
  const bool any = g.m > 0 && g.n > 0 && g.batch > 0;
  if (c.ok() && any && g.k > 0) {
    if (rowsA > 1 && g.lda < colsA)
      c.fail("lda (" + std::to_string(g.lda) + ") must be >= " + std::to_string(colsA) +
             (g.transA ? " (m, A is stored k x m)" : " (k, A is stored m x k)"));
    else if (rowsB > 1 && g.ldb < colsB)
      c.fail("ldb (" + std::to_string(g.ldb) + ") must be >= " + std::to_string(colsB) +
             (g.transB ? " (k, B is stored n x k)" : " (n, B is stored k x n)"));
    c.extent("A", la, aOff, (g.batch - 1) * g.strideA + (rowsA - 1) * g.lda + colsA);
    c.extent("B", lb, bOff, (g.batch - 1) * g.strideB + (rowsB - 1) * g.ldb + colsB);
  }
  if (c.ok() && any && g.batch > 1 && g.strideC == 0) c.fail("strideC = 0 would write every batch onto one C");
  if (c.ok() && any && g.m > 1 && g.ldc < g.n)
    c.fail("ldc (" + std::to_string(g.ldc) + ") must be >= n (" + std::to_string(g.n) + ")");
  if (any) c.extent("C", lc, cOff, (g.batch - 1) * g.strideC + (g.m - 1) * g.ldc + g.n);
  if (!c.proceed()) return nullptr;
  if (!any) return undef(env);
  g.a = a + aOff;
  g.b = b + bOff;
  g.c = cc + cOff;
  K().gemm(g);
  return undef(env);
}

// ---------------------------------------------------------------- elementwise

napi_value Binary(napi_env env, napi_callback_info info) {
  Call c(env, info, "binary", 7);
  i64 op = c.integer(0, "op");
  size_t la, lb, lo;
  float* a = c.f32(1, "a", &la);
  i64 as[MAX_RANK], bs[MAX_RANK], shape[MAX_RANK];
  int ra = c.int_list(2, "aStrides", as, 0);
  float* b = c.f32(3, "b", &lb);
  int rb = c.int_list(4, "bStrides", bs, 0);
  float* o = c.f32(5, "out", &lo);
  int rank = c.int_list(6, "outShape", shape, 0);
  if (c.ok() && op > BIN_DIV) c.fail("unknown op " + std::to_string(op));
  if (c.ok() && (ra != rank || rb != rank))
    c.fail("aStrides / bStrides must have one entry per out axis (" + std::to_string(rank) + ")");
  i64 total = 1, sa = 1, sb = 1;
  for (int d = 0; d < rank; ++d) total *= shape[d];
  if (c.ok() && total > 0) {
    for (int d = 0; d < rank; ++d) {
      sa += (shape[d] - 1) * as[d];
      sb += (shape[d] - 1) * bs[d];
    }
    c.extent("a", la, 0, sa);
    c.extent("b", lb, 0, sb);
    c.extent("out", lo, 0, total);
  }
  if (!c.proceed()) return nullptr;
  if (total > 0) K().binary((int)op, a, as, b, bs, o, shape, rank);
  return undef(env);
}

napi_value Unary(napi_env env, napi_callback_info info) {
  Call c(env, info, "unary", 4);
  i64 op = c.integer(0, "op");
  size_t lx, lo;
  float* x = c.f32(1, "x", &lx);
  float* o = c.f32(2, "out", &lo);
  i64 n = c.integer(3, "n");
  if (c.ok() && op > UN_RECIP) c.fail("unknown op " + std::to_string(op));
  c.extent("x", lx, 0, n);
  c.extent("out", lo, 0, n);
  if (!c.proceed()) return nullptr;
  K().unary((int)op, x, o, n);
  return undef(env);
}

napi_value Affine(napi_env env, napi_callback_info info) {
  Call c(env, info, "affine", 5);
  size_t lx, lo;
  float* x = c.f32(0, "x", &lx);
  float alpha = (float)c.number(1, "alpha"), beta = (float)c.number(2, "beta");
  float* o = c.f32(3, "out", &lo);
  i64 n = c.integer(4, "n");
  c.extent("x", lx, 0, n);
  c.extent("out", lo, 0, n);
  if (!c.proceed()) return nullptr;
  K().affine(x, alpha, beta, o, n);
  return undef(env);
}

napi_value Axpy(napi_env env, napi_callback_info info) {
  Call c(env, info, "axpy", 6);
  size_t lx, ly;
  float alpha = (float)c.number(0, "alpha");
  float* x = c.f32(1, "x", &lx);
  i64 xo = c.integer(2, "xOff");
  float* y = c.f32(3, "y", &ly);
  i64 yo = c.integer(4, "yOff"), n = c.integer(5, "n");
  c.extent("x", lx, xo, n);
  c.extent("y", ly, yo, n);
  if (!c.proceed()) return nullptr;
  K().axpy(alpha, x + xo, y + yo, n);
  return undef(env);
}

napi_value SumTo(napi_env env, napi_callback_info info) {
  Call c(env, info, "sumTo", 5);
  size_t lx, lo;
  i64 xs[MAX_RANK], os[MAX_RANK];
  float* x = c.f32(0, "x", &lx);
  int rx = c.int_list(1, "xShape", xs, 0);
  float* o = c.f32(2, "out", &lo);
  int ro = c.int_list(3, "outShape", os, 0);
  bool acc = c.flag(4);
  if (c.ok() && rx != ro)
    c.fail("xShape and outShape must have the same rank (" + std::to_string(rx) + " vs " + std::to_string(ro) + ")");
  i64 nx = 1, no = 1;
  for (int d = 0; c.ok() && d < rx; ++d) {
    if (os[d] != xs[d] && os[d] != 1)
      c.fail("outShape[" + std::to_string(d) + "] = " + std::to_string(os[d]) + " must be 1 or xShape[" +
             std::to_string(d) + "] = " + std::to_string(xs[d]));
    nx *= xs[d];
    no *= os[d];
  }
  c.extent("x", lx, 0, nx);
  c.extent("out", lo, 0, no);
  if (!c.proceed()) return nullptr;
  K().sum_to(x, xs, o, os, rx, acc);
  return undef(env);
}

napi_value SumRows(napi_env env, napi_callback_info info) {
  Call c(env, info, "sumRows", 5);
  size_t lx, lo;
  float* x = c.f32(0, "x", &lx);
  i64 rows = c.integer(1, "rows"), cols = c.integer(2, "cols");
  float* o = c.f32(3, "out", &lo);
  bool acc = c.flag(4);
  c.extent("x", lx, 0, rows * cols);
  c.extent("out", lo, 0, cols);
  if (!c.proceed()) return nullptr;
  if (rows == 0) {
    if (!acc)
      for (i64 j = 0; j < cols; ++j) o[j] = 0.0f;
    return undef(env);
  }
  K().sum_rows(x, rows, cols, o, acc);
  return undef(env);
}

napi_value SumSquares(napi_env env, napi_callback_info info) {
  Call c(env, info, "sumSquares", 2);
  size_t lx;
  float* x = c.f32(0, "x", &lx);
  i64 n = c.integer(1, "n");
  c.extent("x", lx, 0, n);
  if (!c.proceed()) return nullptr;
  return make_num(env, K().sum_squares(x, n));
}

// ---------------------------------------------------------------- selection, optimiser

napi_value Topk(napi_env env, napi_callback_info info) {
  Call c(env, info, "topk", 6);
  size_t lx, lv, li;
  float* x = c.f32(0, "x", &lx);
  i64 rows = c.integer(1, "rows"), cols = c.integer(2, "cols"), k = c.integer(3, "k");
  float* values = c.f32(4, "values", &lv);
  int32_t* indices = c.i32(5, "indices", &li);
  if (c.ok() && k > cols) c.fail("k (" + std::to_string(k) + ") must be <= cols (" + std::to_string(cols) + ")");
  if (c.ok() && cols > 2147483647) c.fail("cols must fit an int32 index");
  c.extent("x", lx, 0, rows * cols);
  c.extent("values", lv, 0, rows * k);
  c.extent("indices", li, 0, rows * k);
  if (!c.proceed()) return nullptr;
  if (rows > 0 && k > 0) topk(x, rows, cols, k, values, indices);
  return undef(env);
}

napi_value Adamw(napi_env env, napi_callback_info info) {
  Call c(env, info, "adamw", 13);
  size_t lp, lg, lm, lv;
  float* p = c.f32(0, "p", &lp);
  float* g = c.f32(1, "g", &lg);
  float* m = c.f32(2, "m", &lm);
  float* v = c.f32(3, "v", &lv);
  i64 n = c.integer(4, "n");
  float lr = (float)c.finite(5, "lr"), b1 = (float)c.finite(6, "beta1"), b2 = (float)c.finite(7, "beta2"),
        eps = (float)c.finite(8, "eps"), wd = (float)c.finite(9, "weightDecay"), bc1 = (float)c.number(10, "bc1"),
        bc2 = (float)c.number(11, "bc2"), gs = (float)c.finite(12, "gradScale");
  if (c.ok() && (!(bc1 > 0 && bc1 <= 1) || !(bc2 > 0 && bc2 <= 1)))
    c.fail("bias corrections must be in (0, 1] (1 - beta^t with t >= 1), got bc1 " + Call::num(bc1) + ", bc2 " +
           Call::num(bc2));
  c.extent("p", lp, 0, n);
  c.extent("g", lg, 0, n);
  c.extent("m", lm, 0, n);
  c.extent("v", lv, 0, n);
  if (!c.proceed()) return nullptr;
  K().adamw(p, g, m, v, n, lr, b1, b2, eps, wd, bc1, bc2, gs);
  return undef(env);
}

}  // namespace mulki
