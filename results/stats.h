/* Small statistics for aggregating cells over seeds: the two-sided 95% Student-t
 * critical value and a mean +- confidence-interval summary. */
#ifndef PB_STATS_H
#define PB_STATS_H

/* Summary of n samples. sd is the sample standard deviation (divisor n - 1);
 * half_width is t975(n - 1) * sd / sqrt(n), the half-width of the two-sided
 * 95% confidence interval of the mean. sd and half_width are NaN when n == 1. */
typedef struct {
    int n;
    double mean, sd, half_width, min, max;
} pb_stats_summary;

/* t_{0.975, dof}: the two-sided 95% Student-t critical value, for dof >= 1
 * (NaN otherwise). Computed by bisection on the exact t tail (regularized
 * incomplete beta); beyond 1e6 degrees of freedom by the Cornish-Fisher
 * expansion around the normal quantile. Accurate to well below 1e-9. */
double pb_stats_t975(int dof);

/* Summarize x[0..n) (n >= 1) into *out with a two-pass mean and variance.
 * PB_EINVAL naming the index when a value is NaN or infinite, or when n < 1. */
int pb_stats_summarize(const double *x, int n, pb_stats_summary *out);

#endif
