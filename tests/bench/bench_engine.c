/* make bench: training-step and inference time of BERT-tiny, -mini and -base
 * shapes (vocab 30522, batch 32 x seq 128, classification head), with
 * achieved GFLOP/s, the share of time inside sgemm, and peak RSS against the
 * analytic memory plan; PyTorch side by side when /usr/bin/python3 has torch.
 * Each shape runs in a child process so its peak RSS is its own. */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loss.h"
#include "model.h"
#include "optim.h"
#include "pb_error.h"
#include "rng.h"

/* sgemm time: calls outside parallel regions count in full; calls inside the
 * engine's parallel loops count on thread 0 only (the threads run in step). */
static double sgemm_seconds;
typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE,
                         const blasint, const blasint, const blasint, const float, const float *, const blasint,
                         const float *, const blasint, const float, float *, const blasint);
void cblas_sgemm(const enum CBLAS_ORDER o, const enum CBLAS_TRANSPOSE ta, const enum CBLAS_TRANSPOSE tb,
                 const blasint m, const blasint n, const blasint k, const float alpha, const float *a, const blasint lda,
                 const float *b, const blasint ldb, const float beta, float *c, const blasint ldc) {
    static sgemm_fn real;
    if (!real) real = (sgemm_fn)(uintptr_t)dlsym(RTLD_NEXT, "cblas_sgemm");
    int count = !omp_in_parallel() || omp_get_thread_num() == 0;
    double t0 = count ? omp_get_wtime() : 0.0;
    real(o, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (count) sgemm_seconds += omp_get_wtime() - t0;
}

typedef struct {
    const char *name;
    int L, H, A, inter;
    double target_ms, torch_ref_ms;
} shape;

static const shape SHAPES[] = {
    {"tiny", 2, 128, 2, 512, 75, 137},
    {"mini", 4, 256, 4, 1024, 500, 674},
    {"base", 12, 768, 12, 3072, 12500, 15400},
};
enum { BATCH = 32, SEQ = 128 };

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_shape(const shape *sh, int steps) {
    pb_config c;
    memset(&c, 0, sizeof c);
    c.model_type = PB_MODEL_BERT;
    c.vocab_size = 30522;
    c.hidden_size = sh->H;
    c.num_hidden_layers = sh->L;
    c.num_attention_heads = sh->A;
    c.intermediate_size = sh->inter;
    c.max_position_embeddings = 512;
    c.type_vocab_size = 2;
    c.layer_norm_eps = 1e-12f;
    c.hidden_dropout_prob = 0.0f; /* as the PyTorch side: dropout off, same work */
    c.attention_probs_dropout_prob = 0.0f;
    c.num_labels = 2;
    pb_model m;
    if (pb_model_init(&m, &c, PB_HEAD_CLS, BATCH, SEQ) < 0) {
        fprintf(stderr, "bench: %s\n", pb_error_msg());
        return 1;
    }
    pb_model_init_weights(&m, 1);
    pb_adamw opt;
    if (pb_adamw_init(&opt, &m) < 0) return 1;
    pb_adamw_hparams hp;
    pb_adamw_hparams_default(&hp);
    static int32_t ids[BATCH * SEQ], labels[BATCH];
    for (int i = 0; i < BATCH * SEQ; i++) ids[i] = 1000 + (int)(pb_rng_u64(3, (uint64_t)i) % 29000);
    for (int i = 0; i < BATCH; i++) labels[i] = i % 2;
    pb_batch b = {BATCH, 1, SEQ, ids, NULL, NULL, labels, NULL, NULL, NULL};
    double *train = calloc((size_t)steps, sizeof(double)), *infer = calloc((size_t)steps, sizeof(double));
    double *sg = calloc((size_t)steps, sizeof(double));
    float loss;
    for (int s = -2; s < steps; s++) {
        double t0 = omp_get_wtime();
        sgemm_seconds = 0;
        pb_model_zero_grad(&m);
        pb_model_forward(&m, &b, 1, (uint64_t)s);
        pb_loss_task(&m, &b, &loss);
        pb_model_backward(&m);
        pb_adamw_step_scaled(&opt, &m, &hp, pb_clip_coef(pb_model_grad_norm(&m), 1.0f));
        double t1 = omp_get_wtime();
        pb_model_forward(&m, &b, 0, 0);
        double t2 = omp_get_wtime();
        if (s >= 0) {
            train[s] = t1 - t0;
            infer[s] = t2 - t1;
            sg[s] = sgemm_seconds; /* includes the inference forward */
            sg[s] /= (t2 - t0);
        }
    }
    qsort(train, (size_t)steps, sizeof(double), cmp_double);
    qsort(infer, (size_t)steps, sizeof(double), cmp_double);
    qsort(sg, (size_t)steps, sizeof(double), cmp_double);
    double tr = train[steps / 2], in = infer[steps / 2];
    double fwd = pb_model_forward_flops(&m, BATCH, SEQ);
    pb_model_memory mm = pb_model_memory_plan(&m);
    double analytic = (double)(mm.params + mm.grads + mm.adam + mm.acts) / 1048576.0;
    printf("RESULT %s train_ms %.1f infer_ms %.1f train_tok_s %.0f infer_tok_s %.0f train_gflops %.1f "
           "infer_gflops %.1f sgemm_share %.2f analytic_mib %.1f loss %.4f\n",
           sh->name, tr * 1e3, in * 1e3, BATCH * SEQ / tr, BATCH * SEQ / in, 3 * fwd / tr * 1e-9, fwd / in * 1e-9,
           sg[steps / 2], analytic, (double)loss);
    fflush(stdout);
    free(train); free(infer); free(sg);
    pb_adamw_free(&opt);
    pb_model_free(&m);
    return 0;
}

int main(int argc, char **argv) {
    int steps = 5, with_torch = 1;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--no-torch")) with_torch = 0;
        else {
            fprintf(stderr, "usage: bench_engine [--steps N] [--shapes tiny,mini,base] [--no-torch]\n");
            return 2;
        }
    }
    if (steps < 5) steps = 5;
    int threads = omp_get_max_threads();
    printf("prunebench engine benchmark: batch %d x seq %d, %d threads, median of %d steps after 2 warm-up\n", BATCH,
           SEQ, threads, steps);
    char cfg[256] = "";
    openblas_get_config() ? snprintf(cfg, sizeof cfg, "%s", openblas_get_config()) : 0;
    printf("OpenBLAS: %s (core %s)\n", cfg, openblas_get_corename());
    double ours[3] = {0};
    char lines[3][512];
    for (int k = 0; k < 3; k++) {
        lines[k][0] = 0;
        if (only && !strstr(only, SHAPES[k].name)) continue;
        int fd[2];
        if (pipe(fd)) return 1;
        pid_t pid = fork();
        if (pid == 0) {
            dup2(fd[1], 1);
            close(fd[0]);
            _exit(run_shape(&SHAPES[k], steps));
        }
        close(fd[1]);
        FILE *f = fdopen(fd[0], "r");
        char buf[512];
        while (fgets(buf, sizeof buf, f))
            if (!strncmp(buf, "RESULT", 6)) snprintf(lines[k], sizeof lines[k], "%s", buf);
        fclose(f);
        int st;
        struct rusage ru;
        wait4(pid, &st, 0, &ru);
        if (!lines[k][0]) {
            printf("%s: failed\n", SHAPES[k].name);
            continue;
        }
        char nm[16];
        double tr, in, ttok, itok, tg, ig, share, an, loss;
        sscanf(lines[k], "RESULT %15s train_ms %lf infer_ms %lf train_tok_s %lf infer_tok_s %lf train_gflops %lf "
                         "infer_gflops %lf sgemm_share %lf analytic_mib %lf loss %lf",
               nm, &tr, &in, &ttok, &itok, &tg, &ig, &share, &an, &loss);
        double rss = ru.ru_maxrss / 1024.0;
        ours[k] = tr;
        printf("%-5s train %8.1f ms/step (target %6.0f: %s)  %7.0f tok/s  %6.1f GFLOP/s | infer %7.1f ms  %7.0f tok/s  "
               "%6.1f GFLOP/s | sgemm %2.0f%% | RSS %7.1f MiB vs analytic %7.1f (x%.2f)\n",
               nm, tr, SHAPES[k].target_ms, tr <= SHAPES[k].target_ms ? "met" : "MISSED", ttok, tg, in, itok, ig,
               share * 100, rss, an, rss / an);
        fflush(stdout);
    }
    if (with_torch && access("/usr/bin/python3", X_OK) == 0 && access("tests/bench/bench_torch.py", R_OK) == 0) {
        char cmd[512], shapes[64] = "";
        for (int k = 0; k < 3; k++)
            if (ours[k] > 0) {
                if (shapes[0]) strcat(shapes, ",");
                strcat(shapes, SHAPES[k].name);
            }
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/bench/bench_torch.py --threads %d --steps %d --shapes %s 2>/dev/null",
                 threads, steps, shapes);
        FILE *p = popen(cmd, "r");
        char buf[512];
        int seen = 0;
        while (p && fgets(buf, sizeof buf, p)) {
            char nm[16];
            double tt, ti;
            if (sscanf(buf, "torch %15s train_ms %lf infer_ms %lf", nm, &tt, &ti) != 3) continue;
            for (int k = 0; k < 3; k++)
                if (!strcmp(nm, SHAPES[k].name) && ours[k] > 0) {
                    printf("%-5s PyTorch train %8.1f ms/step, infer %7.1f ms | prunebench/PyTorch train x%.2f\n", nm, tt,
                           ti, ours[k] / tt);
                    seen++;
                }
        }
        if (p) pclose(p);
        if (!seen) printf("PyTorch comparison skipped: /usr/bin/python3 has no torch (apt-get install python3-torch)\n");
    }
    return 0;
}
