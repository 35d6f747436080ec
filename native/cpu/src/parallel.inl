// Small helpers shared by the kernels of one ISA (included inside the ISA namespace).

static inline i64 imin(i64 a, i64 b) { return a < b ? a : b; }
static inline i64 imax(i64 a, i64 b) { return a > b ? a : b; }

/** Runs f(task, thread) for task in [0, n) on the pool. */
template <class F>
static void parallel(i64 n, F&& f) {
  typedef typename std::remove_reference<F>::type Fn;
  pool_run(n, [](void* ctx, i64 t, int thread) { (*static_cast<Fn*>(ctx))(t, thread); }, (void*)&f);
}

/**
 * Splits [0, n) into contiguous chunks of at least `grain` items (at most 4 per thread) and runs
 * f(begin, end, thread) on each; inline when there is only one chunk. For work whose result does not depend on
 * the chunking (independent rows or elements).
 */
template <class F>
static void par_range(i64 n, i64 grain, F&& f) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  i64 chunks = imin((n + grain - 1) / grain, 4 * (i64)pool_threads());
  if (chunks <= 1) {
    f((i64)0, n, 0);
    return;
  }
  parallel(chunks, [&](i64 c, int thread) { f(n * c / chunks, n * (c + 1) / chunks, thread); });
}

/** Rows of `cols` elements, in chunks of about 32K elements. */
template <class F>
static void par_rows(i64 rows, i64 cols, F&& f) {
  par_range(rows, imax(1, 32768 / imax(1, cols)), f);
}
