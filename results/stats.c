/* Student-t critical value and sample summaries (see stats.h). */
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "pb_error.h"

/* Continued fraction of the regularized incomplete beta I_x(a, b) (modified
 * Lentz), valid for x < (a + 1) / (a + b + 2). */
static double betacf(double a, double b, double x) {
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 100000; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 4 * DBL_EPSILON) break;
    }
    return h;
}

/* Regularized incomplete beta I_x(a, b) for 0 <= x <= 1. */
static double ibeta(double a, double b, double x) {
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    double lfront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0)) return exp(lfront) * betacf(a, b, x) / a;
    return 1.0 - exp(lfront) * betacf(b, a, 1.0 - x) / b;
}

/* Upper tail P(T > t) of Student's t with nu degrees of freedom, t >= 0. */
static double t_upper_tail(double t, double nu) {
    return 0.5 * ibeta(nu / 2.0, 0.5, nu / (nu + t * t));
}

double pb_stats_t975(int dof) {
    if (dof < 1) return NAN;
    const double nu = dof;
    if (dof > 1000000) {
        /* Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5); the next
         * term is O(nu^-4), far below double precision here. */
        const double z = 1.959963984540054, z2 = z * z;
        const double g1 = (z2 + 1.0) * z / 4.0;
        const double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
        const double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
        return z + g1 / nu + g2 / (nu * nu) + g3 / (nu * nu * nu);
    }
    /* The quantile lies in (1.95, 12.71] for every dof >= 1; the tail is
     * decreasing in t, so bisection converges to the last bit. */
    double lo = 1.9, hi = 13.0;
    for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if (t_upper_tail(mid, nu) > 0.025)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

int pb_stats_summarize(const double *x, int n, pb_stats_summary *out) {
    if (!x || !out) return PB_ERR(PB_EINVAL, "pb_stats_summarize: NULL data or output");
    if (n < 1) return PB_ERR(PB_EINVAL, "pb_stats_summarize: need at least one value, got n = %d", n);
    double sum = 0.0, mn = x[0], mx = x[0];
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return PB_ERR(PB_EINVAL, "pb_stats_summarize: value %d is %s; expected a finite number", i,
                          isnan(x[i]) ? "NaN" : "infinite");
        sum += x[i];
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
    }
    /* Two passes: the squared deviations from the mean, not sum(x^2) - n mean^2,
     * which cancels catastrophically for values like 88.31 +- 0.01. */
    const double mean = sum / n;
    double ss = 0.0;
    for (int i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    out->n = n;
    out->mean = mean;
    out->min = mn;
    out->max = mx;
    if (n == 1) {
        out->sd = NAN;
        out->half_width = NAN;
    } else {
        out->sd = sqrt(ss / (n - 1));
        out->half_width = pb_stats_t975(n - 1) * out->sd / sqrt((double)n);
    }
    return 0;
}
