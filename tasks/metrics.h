/* Classification and regression metrics of the GLUE tasks, as pure functions
 * over arrays of n >= 1 values (n < 1 gives NaN).
 *
 * Scale: every value is x100, as the GLUE papers and leaderboard report them:
 * accuracy and F1 in percent, Matthews correlation, Pearson r and Spearman rho
 * times 100 (so 1.0 -> 100, -0.5 -> -50).
 *
 * Semantics follow the reference implementations Hugging Face's GLUE metric
 * uses (sklearn.metrics / scipy.stats):
 *  - accuracy: share of i with labels[i] == preds[i].
 *  - f1: binary, positive class 1 (any other value is negative); 0 when there
 *    is no true positive (sklearn's zero_division=0 result), never NaN.
 *  - mcc: sklearn's matthews_corrcoef (multiclass form, classes = the distinct
 *    values); 0 when the denominator is 0 (e.g. all one class).
 *  - pearson: scipy.stats.pearsonr's r.
 *  - spearman: scipy.stats.spearmanr's rho: Pearson r of the average ranks
 *    (ties get the mean of their ranks).
 *  - Constant input (either side) to pearson or spearman gives NaN, as scipy
 *    returns (with a ConstantInputWarning): the correlation is undefined and
 *    a caller that writes it must say so (e.g. JSON null), not report 0.
 * mcc and spearman allocate scratch memory; they return NaN if that fails. */
#ifndef PB_TASKS_METRICS_H
#define PB_TASKS_METRICS_H

double pb_metric_accuracy(const double *labels, const double *preds, long n);
double pb_metric_f1(const double *labels, const double *preds, long n);
double pb_metric_mcc(const double *labels, const double *preds, long n);
double pb_metric_pearson(const double *x, const double *y, long n);
double pb_metric_spearman(const double *x, const double *y, long n);

#endif
