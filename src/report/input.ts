/**
 * What the renderers accept: any RunResults-shaped object, validated with the results reader's checks and with its
 * metrics recomputed from the matrix, so a hand-built or stale object cannot show numbers its matrix does not give.
 */
import { parseResults, type RunResults } from '../cl/results.js';

export function reportInput(results: RunResults, what = 'results given to the report'): RunResults {
  return parseResults(results, what, false);
}
