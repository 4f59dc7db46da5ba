/* GLUE metrics (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

double pb_metric_accuracy(const double *labels, const double *preds, long n) {
    if (n < 1) return NAN;
    long ok = 0;
    for (long i = 0; i < n; i++) ok += labels[i] == preds[i];
    return 100.0 * (double)ok / (double)n;
}

double pb_metric_f1(const double *labels, const double *preds, long n) {
    if (n < 1) return NAN;
    long tp = 0, fp = 0, fn = 0;
    for (long i = 0; i < n; i++) {
        const int t = labels[i] == 1.0, p = preds[i] == 1.0;
        tp += t && p;
        fp += !t && p;
        fn += t && !p;
    }
    /* F1 = 2PR/(P+R) = 2tp/(2tp+fp+fn); sklearn gives 0 when tp = 0 */
    return tp ? 100.0 * 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0.0;
}

/* Ascending, NaN last, so that the order is total whatever the input. */
static int cmp_double(const void *pa, const void *pb) {
    const double a = *(const double *)pa, b = *(const double *)pb;
    const int na = a != a, nb = b != b;
    if (na || nb) return na - nb;
    return (a > b) - (a < b);
}

double pb_metric_mcc(const double *labels, const double *preds, long n) {
    if (n < 1) return NAN;
    double *t = malloc(sizeof(double) * 2 * (size_t)n);
    if (!t) return NAN;
    double *p = t + n;
    long correct = 0;
    for (long i = 0; i < n; i++) {
        t[i] = labels[i];
        p[i] = preds[i];
        correct += labels[i] == preds[i];
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    qsort(p, (size_t)n, sizeof *p, cmp_double);
    /* per-class counts t_k, p_k by runs of the sorted arrays, merged by value:
     * sum t_k^2, sum p_k^2, sum t_k p_k (sklearn's dot products of the
     * confusion matrix's row and column sums) */
    double tt = 0, pp = 0, tp = 0;
    long i = 0, j = 0;
    while (i < n || j < n) {
        int c = i < n && j < n ? cmp_double(&t[i], &p[j]) : (i < n ? -1 : 1);
        const double v = c <= 0 ? t[i] : p[j];
        long ti = 0, pj = 0;
        if (c <= 0)
            while (i < n && cmp_double(&t[i], &v) == 0) i++, ti++;
        if (c >= 0)
            while (j < n && cmp_double(&p[j], &v) == 0) j++, pj++;
        tt += (double)ti * (double)ti;
        pp += (double)pj * (double)pj;
        tp += (double)ti * (double)pj;
    }
    free(t);
    const double s = (double)n;
    const double cov_tp = (double)correct * s - tp, cov_pp = s * s - pp, cov_tt = s * s - tt;
    if (cov_pp * cov_tt == 0.0) return 0.0;
    return 100.0 * cov_tp / sqrt(cov_tt * cov_pp);
}

double pb_metric_pearson(const double *x, const double *y, long n) {
    if (n < 1) return NAN;
    int cx = 1, cy = 1;
    for (long i = 1; i < n; i++) {
        cx &= x[i] == x[0];
        cy &= y[i] == y[0];
    }
    if (cx || cy) return NAN; /* scipy: constant input, r undefined */
    double mx = 0, my = 0;
    for (long i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (long i = 0; i < n; i++) {
        const double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    double r = sxy / (sqrt(sxx) * sqrt(syy));
    /* rounding can push |r| a hair above 1; scipy clips too */
    if (r > 1.0) r = 1.0;
    if (r < -1.0) r = -1.0;
    return 100.0 * r;
}

typedef struct {
    double v;
    long i;
} ranked;

static int cmp_ranked(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    int c = cmp_double(&a->v, &b->v);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* 1-based ranks of x into r, ties averaged (scipy.stats.rankdata 'average'). */
static void rank_average(const double *x, long n, ranked *tmp, double *r) {
    for (long i = 0; i < n; i++) tmp[i] = (ranked){x[i], i};
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_ranked);
    for (long a = 0; a < n;) {
        long b = a + 1;
        while (b < n && cmp_double(&tmp[b].v, &tmp[a].v) == 0) b++;
        /* positions a..b-1 hold ranks a+1..b; their mean is (a+1+b)/2 */
        const double avg = 0.5 * (double)(a + 1 + b);
        for (long k = a; k < b; k++) r[tmp[k].i] = avg;
        a = b;
    }
}

double pb_metric_spearman(const double *x, const double *y, long n) {
    if (n < 1) return NAN;
    ranked *tmp = malloc(sizeof *tmp * (size_t)n);
    double *rx = malloc(sizeof(double) * 2 * (size_t)n);
    if (!tmp || !rx) {
        free(tmp);
        free(rx);
        return NAN;
    }
    double *ry = rx + n;
    rank_average(x, n, tmp, rx);
    rank_average(y, n, tmp, ry);
    free(tmp);
    const double r = pb_metric_pearson(rx, ry, n);
    free(rx);
    return r;
}
