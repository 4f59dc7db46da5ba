/* Figures: every kind renders a PNG of the requested size and an SVG with the
 * same width/height; scripts quote titles; NaN points stay out of the data;
 * a missing or failing gnuplot leaves no file behind; output is byte-identical
 * run to run. test_examples renders one realistic figure of each kind into
 * $PB_PLOT_EXAMPLES (default: the temp folder) for a person to look at. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pb_error.h"
#include "plot.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("plot")

/* ---- helpers ------------------------------------------------------------- */

static char *slurp_in(const char *name) {
    char p[512];
    return pb_test_slurp(pb_test_path(p, sizeof p, g_dir, name));
}

static long size_of(const char *name) {
    char p[512];
    struct stat st;
    return stat(pb_test_path(p, sizeof p, g_dir, name), &st) == 0 ? (long)st.st_size : -1;
}

/* Number of entries of g_dir whose name starts with prefix. */
static int count_prefixed(const char *prefix) {
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
    closedir(d);
    return n;
}

/* PNG: the 8-byte signature, then the IHDR chunk whose data starts with the
 * big-endian width and height (PNG spec, section 11.2.2). */
static void assert_png_size(const char *name, unsigned w, unsigned h) {
    char p[512];
    FILE *f = fopen(pb_test_path(p, sizeof p, g_dir, name), "rb");
    assert_non_null(f);
    unsigned char b[24];
    assert_int_equal(fread(b, 1, 24, f), 24);
    fclose(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_memory_equal(b, sig, 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    unsigned gw = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    unsigned gh = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    assert_int_equal(gw, w);
    assert_int_equal(gh, h);
}

/* Value of attribute `attr` in the tag starting at `tag` (up to its '>'). */
static long attr_long(const char *tag, const char *attr) {
    const char *end = strchr(tag, '>');
    assert_non_null(end);
    char key[64];
    snprintf(key, sizeof key, " %s=\"", attr);
    const char *a = strstr(tag, key);
    assert_true(a && a < end);
    return strtol(a + strlen(key), NULL, 10);
}

/* SVG: an XML declaration, then (past comments, doctype, processing
 * instructions) the root element <svg with width and height; the text ends
 * with </svg>. */
static void assert_svg_size(const char *name, long w, long h) {
    char *s = slurp_in(name);
    assert_true(!strncmp(s, "<?xml", 5));
    const char *p = s;
    for (;;) {
        p = strchr(p, '<');
        assert_non_null(p);
        if (p[1] == '?' || p[1] == '!') {
            p = strstr(p, p[1] == '!' && !strncmp(p, "<!--", 4) ? "-->" : ">");
            assert_non_null(p);
            continue;
        }
        break;
    }
    assert_true(!strncmp(p, "<svg", 4) && (p[4] == ' ' || p[4] == '\n' || p[4] == '\t'));
    assert_int_equal(attr_long(p, "width"), w);
    assert_int_equal(attr_long(p, "height"), h);
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) n--;
    assert_true(n >= 6 && !strncmp(s + n - 6, "</svg>", 6));
    free(s);
}

static void assert_rendered(const char *name, unsigned w, unsigned h) {
    char f[256];
    snprintf(f, sizeof f, "%s.png", name);
    assert_png_size(f, w, h);
    snprintf(f, sizeof f, "%s.svg", name);
    assert_svg_size(f, w, h);
    snprintf(f, sizeof f, "%s.gp", name);
    assert_true(size_of(f) > 0);
    snprintf(f, sizeof f, "%s.dat", name);
    assert_true(size_of(f) > 0);
    /* exactly the four outputs: nothing staged is left */
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s.", name);
    assert_int_equal(count_prefixed(prefix), 4);
}

static void assert_no_nan(const char *text) {
    for (const char *p = text; *p; p++) assert_false((p[0] | 32) == 'n' && (p[1] | 32) == 'a' && (p[2] | 32) == 'n');
    assert_null(strstr(text, "inf"));
}

/* A figure title with a single quote, a double quote and a backslash; in a
 * gnuplot single-quoted string only the quote is doubled. */
static const char k_title[] = "it's \"q\" \\back";
static const char k_title_gp[] = "'it''s \"q\" \\back'";

/* ---- metric vs sparsity ---------------------------------------------------- */

static void test_lines(void **state) {
    (void)state;
    /* the NaN y at x=70 (a failed cell) and the NaN band at x=60 must leave no trace */
    const pb_plot_point a[] = {{50, 0.80, 0.78, 0.82}, {60, 0.79, NAN, NAN}, {70, NAN, NAN, NAN}, {80, 0.75, 0.72, 0.77}};
    const pb_plot_point b[] = {{50, 0.81, 0.80, 0.83}, {80, 0.70, 0.69, 0.72}};
    const pb_plot_series s1[] = {{"magnitude", a, 4}, {"movement", b, 2}};
    const pb_plot_series s2[] = {{"magnitude", b, 2}};
    /* panel 2's title: XML specials, UTF-8 (+-, en dash) and a stray byte 0xff that is not UTF-8 */
    const pb_plot_panel panels[] = {{.title = "SST-2", .series = s1, .n_series = 2, .dense = 0.9},
                                    {.title = "it's a<b & c \xc2\xb1 \xe2\x80\x93 \xff", .series = s2, .n_series = 1,
                                     .dense = NAN}};
    const pb_plot_opts o = {NULL, 800, 500};
    int rc = pb_plot_lines(g_dir, "lines", k_title, "target sparsity (%)", "accuracy (%)", panels, 2, &o);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_rendered("lines", 800, 500);
    char *gp = slurp_in("lines.gp"), *dat = slurp_in("lines.dat");
    PB_ASSERT_HAS(gp, k_title_gp);
    PB_ASSERT_HAS(gp, "set xlabel 'target sparsity (%)'");
    PB_ASSERT_HAS(gp, "set ylabel 'accuracy (%)'");
    PB_ASSERT_HAS(gp, "set title 'it''s a<b & c \xc2\xb1 \xe2\x80\x93 ?'");
    char *svg = slurp_in("lines.svg"); /* gnuplot escapes XML specials itself */
    PB_ASSERT_HAS(svg, ">it's a&lt;b &amp; c \xc2\xb1 \xe2\x80\x93 ?<");
    free(svg);
    PB_ASSERT_HAS(gp, "set terminal pngcairo size 800,500");
    PB_ASSERT_HAS(gp, "set terminal svg size 800,500");
    PB_ASSERT_HAS(gp, "set arrow 1 from graph 0, first 0.9 to graph 1, first 0.9 nohead dt 2"); /* the dense line of panel 1 */
    PB_ASSERT_HAS(gp, "title '95% CI'");
    assert_no_nan(dat);
    /* series a's line block: the three finite points, in order (values typed above) */
    PB_ASSERT_HAS(dat, "series 'magnitude': x y\n50 0.8\n60 0.79\n80 0.75\n");
    /* its band block: x=60 has no band */
    PB_ASSERT_HAS(dat, "series 'magnitude': x lo hi (95% CI)\n50 0.78 0.82\n80 0.72 0.77\n");
    assert_null(strstr(dat, "\n70 "));
    free(gp);
    free(dat);
}

/* ---- grouped bars ------------------------------------------------------------- */

static void test_bars(void **state) {
    (void)state;
    /* a long category wraps at spaces: (700 - 102 px plot width) / 3 slots / 8.5 px = 23 characters a line */
    const char *cats[] = {"embeddings and head pruned together", "T=2", "T=4"};
    const char *ser[] = {"hardness 0.5", "hardness 1.0"};
    const double mean[] = {90.1, 90.5, NAN, 89.0, 91.2, 90.0};
    const double half[] = {0.4, NAN, 0.3, 0.5, 0.2, 0.6};
    const pb_plot_bars_panel p = {.title = "SST-2", .categories = cats, .n_categories = 3, .series_labels = ser,
                                  .n_series = 2, .mean = mean, .half = half, .dense = 91.5};
    const pb_plot_opts o = {NULL, 700, 450};
    int rc = pb_plot_bars(g_dir, "bars", k_title, "accuracy (%)", &p, 1, &o);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_rendered("bars", 700, 450);
    char *gp = slurp_in("bars.gp"), *dat = slurp_in("bars.dat");
    PB_ASSERT_HAS(gp, k_title_gp);
    PB_ASSERT_HAS(gp, "set xtics ('embeddings and head'.\"\\n\".'pruned together' 0, 'T=2' 1, 'T=4' 2)");
    PB_ASSERT_HAS(gp, "using 1:($2-$3):(0):(2*$3) with vectors nohead"); /* error bars */
    assert_no_nan(dat);
    /* bar width 0.8/2 = 0.4; series 0 sits at c - 0.2, series 1 at c + 0.2; T=4 of series 0 is NaN */
    PB_ASSERT_HAS(dat, "series 'hardness 0.5': x mean\n-0.2 90.1\n0.8 90.5\n");
    /* error bars only where both mean and half are finite */
    PB_ASSERT_HAS(dat, "series 'hardness 0.5': x mean half (95% CI)\n-0.2 90.1 0.4\n\n");
    PB_ASSERT_HAS(dat, "series 'hardness 1.0': x mean half (95% CI)\n0.2 89 0.5\n1.2 91.2 0.2\n2.2 90 0.6\n");
    free(gp);
    free(dat);
}

/* ---- training curves ------------------------------------------------------------ */

static void test_curves(void **state) {
    (void)state;
    enum { N = 20000 };
    float *c = malloc(sizeof(float) * 3 * N);
    assert_non_null(c);
    for (int i = 0; i < N; i++) {
        c[3 * i] = 2.0f / (1.0f + (float)i / 500.0f);
        c[3 * i + 1] = 1e-4f * (float)(N - i) / N;
        c[3 * i + 2] = 0.9f * (float)i / N;
    }
    c[3 * 7] = NAN; /* loss of step 8 */
    const pb_plot_opts o = {NULL, 900, 700};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = pb_plot_curves(g_dir, "curves", k_title, c, c + 1, c + 2, N, 3, &o);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("curves: %d steps rendered in %.2f s\n", N, secs);
    assert_true(secs < 30.0);
    assert_rendered("curves", 900, 700);
    char *gp = slurp_in("curves.gp"), *dat = slurp_in("curves.dat");
    PB_ASSERT_HAS(gp, k_title_gp);
    PB_ASSERT_HAS(gp, "set ylabel 'sparsity (%)'");
    PB_ASSERT_HAS(gp, "set xlabel 'step'");
    assert_no_nan(dat);
    /* one data file, one row per step: the header plus N lines */
    size_t lines = 0;
    for (const char *p = dat; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, N + 1);
    /* step 1: loss 2, lr 1e-4, sparsity 0; step 8's loss is missing; step 2: sparsity 100*0.9/20000 = 0.0045 %
     * (as float, 4.5e-05 widened: 0.0045000000...) */
    PB_ASSERT_HAS(dat, "\n1 2 9.9999997e-05 0\n");
    PB_ASSERT_HAS(dat, "\n8 ? ");
    free(gp);
    free(dat);
    free(c);
}

/* ---- costs ------------------------------------------------------------------------- */

static void test_costs(void **state) {
    (void)state;
    const char *groups[] = {"embeddings", "encoder", "head"};
    const double params[] = {0.86, 0.14, 0.001}, flops[] = {0.0, 0.99, 0.01};
    int rc = pb_plot_costs(g_dir, "costs", k_title, groups, params, flops, 3, NULL);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    /* default size: one 560x420 panel, 48 px title band, legend of one row (22 + 26 px) */
    assert_rendered("costs", 560, 516);
    char *gp = slurp_in("costs.gp"), *dat = slurp_in("costs.dat");
    PB_ASSERT_HAS(gp, "sprintf('%.1f%%', $2)) with labels");
    PB_ASSERT_HAS(gp, "set ylabel 'share of the model (%)'");
    /* shares in percent at x = c -+ 0.2 */
    PB_ASSERT_HAS(dat, "series 'parameters': x mean\n-0.2 86\n0.8 14\n1.8 0.1\n");
    PB_ASSERT_HAS(dat, "series 'forward FLOPs': x mean\n0.2 0\n1.2 99\n2.2 1\n");
    /* room for the value labels: 99 + 14% of 99 = 112.86 (99 + 8% would not fit under 100) */
    PB_ASSERT_HAS(gp, "set yrange [0:112.86]");
    free(gp);
    free(dat);
    /* the tallest bar 90.9: 90.9 + 8% fits under 100, so the share axis ends at 100 */
    const double p2[] = {0.909, 0.09, 0.001}, f2[] = {0.0, 0.857, 0.001};
    assert_int_equal(pb_plot_costs(g_dir, "costs100", k_title, groups, p2, f2, 3, NULL), 0);
    gp = slurp_in("costs100.gp");
    PB_ASSERT_HAS(gp, "set yrange [0:100]");
    free(gp);
    pb_error_clear();
    const double bad[] = {86.0, 14.0, 0.1};
    assert_int_equal(pb_plot_costs(g_dir, "costs_bad", NULL, groups, bad, flops, 3, NULL), PB_EINVAL);
    PB_ASSERT_MSG_HAS("group 'embeddings' is 86; expected a fraction in [0, 1]");
    assert_int_equal(count_prefixed("costs_bad"), 0);
}

/* ---- failures ------------------------------------------------------------------------ */

static const pb_plot_point k_pts[] = {{50, 1, 0.5, 1.5}, {90, 2, 1.5, 2.5}};
static const pb_plot_series k_ser[] = {{"m", k_pts, 2}};
static const pb_plot_panel k_panel[] = {{.title = "t", .series = k_ser, .n_series = 1, .dense = NAN}};

static void test_missing_gnuplot(void **state) {
    (void)state;
    pb_error_clear();
    const pb_plot_opts o = {"/nonexistent/gnuplot", 0, 0};
    assert_int_equal(pb_plot_lines(g_dir, "missing", "t", "x", "y", k_panel, 1, &o), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("gnuplot not found: '/nonexistent/gnuplot'");
    PB_ASSERT_MSG_HAS("install gnuplot-nox");
    assert_int_equal(count_prefixed("missing"), 0);
    /* a bare name searched on PATH */
    const pb_plot_opts o2 = {"no-such-gnuplot-xyz", 0, 0};
    assert_int_equal(pb_plot_lines(g_dir, "missing", "t", "x", "y", k_panel, 1, &o2), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("no 'no-such-gnuplot-xyz' on PATH; install gnuplot-nox");
    assert_int_equal(count_prefixed("missing"), 0);
}

/* A fake gnuplot: a shell script that writes a partial image, complains and exits `code`. */
static void write_fake(const char *file, int code) {
    char p[512], text[512];
    snprintf(text, sizeof text,
             "#!/bin/sh\n# a partial image under the staged name, then a failure\n"
             "for a; do b=\"$a\"; done\nprintf 'half' > \"${b%%.gp}.png\"\n"
             "echo 'line 3: boom: bad plot command' >&2\nexit %d\n",
             code);
    pb_test_write_file(p, sizeof p, g_dir, file, text);
    assert_int_equal(chmod(p, 0755), 0);
}

static void test_gnuplot_fails(void **state) {
    (void)state;
    char fake[512];
    write_fake("fake_fail.sh", 1);
    const pb_plot_opts o = {pb_test_path(fake, sizeof fake, g_dir, "fake_fail.sh"), 0, 0};
    pb_error_clear();
    assert_int_equal(pb_plot_lines(g_dir, "fails", "t", "x", "y", k_panel, 1, &o), PB_EIO);
    PB_ASSERT_MSG_HAS("failed (exit status 1)");
    PB_ASSERT_MSG_HAS("fails.gp': line 3: boom: bad plot command");
    assert_int_equal(count_prefixed("fails"), 0);

    /* exit 0 but only a partial PNG: missing output is an error too */
    write_fake("fake_ok.sh", 0);
    const pb_plot_opts o2 = {pb_test_path(fake, sizeof fake, g_dir, "fake_ok.sh"), 0, 0};
    pb_error_clear();
    assert_int_equal(pb_plot_bars(g_dir, "fails", "t", "y",
                                  &(pb_plot_bars_panel){.title = "p", .categories = (const char *[]){"a"},
                                                        .n_categories = 1, .series_labels = (const char *[]){"s"},
                                                        .n_series = 1, .mean = (const double[]){1.0}, .dense = NAN},
                                  1, &o2),
                     PB_EIO);
    PB_ASSERT_MSG_HAS("exited 0 but wrote no PNG");
    assert_int_equal(count_prefixed("fails"), 0);

    /* a failure never removes what an earlier success committed */
    assert_int_equal(pb_plot_lines(g_dir, "kept", "t", "x", "y", k_panel, 1, NULL), 0);
    char *before = slurp_in("kept.png");
    assert_int_equal(pb_plot_lines(g_dir, "kept", "t2", "x", "y", k_panel, 1, &o), PB_EIO);
    char *after = slurp_in("kept.png"), *gp = slurp_in("kept.gp");
    assert_string_equal(before, after);
    PB_ASSERT_HAS(gp, "set multiplot title 't' ");
    assert_int_equal(count_prefixed("kept."), 4);
    free(before);
    free(after);
    free(gp);
}

static void test_bad_args(void **state) {
    (void)state;
    pb_error_clear();
    assert_int_equal(pb_plot_lines(g_dir, "../up", "t", "x", "y", k_panel, 1, NULL), PB_EINVAL);
    PB_ASSERT_MSG_HAS("figure name '../up' must be");
    assert_int_equal(pb_plot_lines(g_dir, "a b", "t", "x", "y", k_panel, 1, NULL), PB_EINVAL);
    PB_ASSERT_MSG_HAS("may hold only letters");
    assert_int_equal(pb_plot_lines("/nonexistent/dir", "a", "t", "x", "y", k_panel, 1, NULL), PB_ENOTFOUND);
    PB_ASSERT_MSG_HAS("output folder '/nonexistent/dir' does not exist");
    const pb_plot_opts neg = {NULL, -1, 10};
    assert_int_equal(pb_plot_lines(g_dir, "a", "t", "x", "y", k_panel, 1, &neg), PB_EINVAL);
    PB_ASSERT_MSG_HAS("size -1x10 out of range");
    /* 3 panels in 3 columns of 500/3 = 166 px: under the 200 px minimum */
    const pb_plot_panel three[] = {k_panel[0], k_panel[0], k_panel[0]};
    const pb_plot_opts small = {NULL, 500, 400};
    assert_int_equal(pb_plot_lines(g_dir, "a", "t", "x", "y", three, 3, &small), PB_EINVAL);
    PB_ASSERT_MSG_HAS("image 500x400 is too small for 3 panel(s) in 3 column(s)");
    assert_int_equal(pb_plot_curves(g_dir, "a", "t", NULL, NULL, NULL, 0, 1, NULL), PB_EINVAL);
    assert_int_equal(count_prefixed("a."), 0);
}

/* Two renders of the same figure give the same bytes in all four files. */
static void test_deterministic(void **state) {
    (void)state;
    static const char *ext[] = {".png", ".svg", ".gp", ".dat"};
    char *first[4];
    long n[4];
    for (int run = 0; run < 2; run++) {
        assert_int_equal(pb_plot_lines(g_dir, "det", k_title, "x", "y", k_panel, 1, NULL), 0);
        for (int i = 0; i < 4; i++) {
            char f[64];
            snprintf(f, sizeof f, "det%s", ext[i]);
            if (run == 0) {
                first[i] = slurp_in(f);
                n[i] = size_of(f);
            } else {
                char *again = slurp_in(f);
                assert_int_equal(size_of(f), n[i]);
                assert_memory_equal(first[i], again, (size_t)n[i]);
                free(again);
                free(first[i]);
            }
        }
    }
}

/* ---- reference lines and the y axis ------------------------------------------------------ */

/* The "set yrange [a:b]" of the panel whose title is `title` in gp, into lo/hi. */
static void panel_yrange(const char *gp, const char *title, double *lo, double *hi) {
    char key[128];
    snprintf(key, sizeof key, "set title '%s'", title);
    const char *p = strstr(gp, key);
    assert_non_null(p);
    p = strstr(p, "set yrange [");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "set yrange [%lf:%lf]", lo, hi), 2);
}

/* Chance and majority lines: drawn as arrows across the panel with their own
 * styles, named in the legend once per distinct label. The y axis starts at
 * chance when nothing lies below it, else at 0; its top never passes 100. */
static void test_baselines(void **state) {
    (void)state;
    /* above chance: 70..80, band to 83 */
    const pb_plot_point a[] = {{50, 80, 78, 83}, {90, 70, 66, 74}};
    /* below chance at 90%: 15 (chance 20); a band reaching 104 past the top */
    const pb_plot_point b[] = {{50, 96, 88, 104}, {90, 15, 12, 18}};
    const pb_plot_series sa[] = {{"magnitude", a, 2}}, sb[] = {{"magnitude", b, 2}};
    const pb_plot_panel panels[] = {{.title = "spam", .series = sa, .n_series = 1, .dense = 82,
                                     .chance = {"chance 50.0 (spam)", 50}, .majority = {"majority 71.0 (spam)", 71.0},
                                     .range = {1, 0, 100}},
                                    {.title = "wn-choice", .series = sb, .n_series = 1, .dense = NAN,
                                     .chance = {"chance 20.0 (wn-choice)", 20}, .majority = {"majority 21.4 (wn-choice)", 21.4},
                                     .range = {1, 0, 100}},
                                    /* no baselines, unbounded metric: 0 is the floor of positive values */
                                    {.title = "other", .series = sa, .n_series = 1, .dense = NAN}};
    int rc = pb_plot_lines(g_dir, "refs", "t", "target sparsity (%)", "accuracy (%)", panels, 3, NULL);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    char *gp = slurp_in("refs.gp");
    PB_ASSERT_HAS(gp, "set arrow 3 from graph 0, first 50 to graph 1, first 50 nohead dt 3");
    PB_ASSERT_HAS(gp, "set arrow 4 from graph 0, first 71 to graph 1, first 71 nohead dt 4");
    PB_ASSERT_HAS(gp, "set arrow 3 from graph 0, first 20 to graph 1, first 20 nohead dt 3");
    PB_ASSERT_HAS(gp, "unset arrow 3; unset arrow 4");
    PB_ASSERT_HAS(gp, "title 'chance 50.0 (spam)'");
    PB_ASSERT_HAS(gp, "title 'majority 71.0 (spam)'");
    PB_ASSERT_HAS(gp, "title 'chance 20.0 (wn-choice)'");
    PB_ASSERT_HAS(gp, "title 'majority 21.4 (wn-choice)'");
    double lo, hi;
    /* spam: everything >= 50, so the axis starts at chance; top 83 + 8% of 33 = 85.64 */
    panel_yrange(gp, "spam", &lo, &hi);
    assert_true(lo == 50 && fabs(hi - 85.64) < 1e-9);
    /* ... where the chance line is the bottom edge: no bottom border over it, restored after the panel */
    const char *b2 = strstr(gp, "set border 2 lc rgb '#444444'\n");
    assert_non_null(b2);
    assert_null(strstr(b2 + 1, "set border 2")); /* only spam's axis starts at chance */
    assert_true(strstr(gp, "set title 'spam'") < b2 && b2 < strstr(gp, "set title 'wn-choice'"));
    PB_ASSERT_HAS(b2, "set border 3 lc rgb '#444444'\n");
    /* wn-choice: 12 < chance, so the floor is 0; 104 + 8% is capped at the range's 100 */
    panel_yrange(gp, "wn-choice", &lo, &hi);
    assert_true(lo == 0 && hi == 100);
    /* no range, no chance, positive values: 0 .. 83 + 8% of 83 = 89.64 */
    panel_yrange(gp, "other", &lo, &hi);
    assert_true(lo == 0 && fabs(hi - 89.64) < 1e-9);
    free(gp);

    /* the same label in two panels is one legend entry */
    const pb_plot_panel same[] = {{.title = "p1", .series = sa, .n_series = 1, .dense = NAN, .chance = {"chance 50.0", 50},
                                   .range = {1, 0, 100}},
                                  {.title = "p2", .series = sa, .n_series = 1, .dense = NAN, .chance = {"chance 50.0", 50},
                                   .range = {1, 0, 100}}};
    assert_int_equal(pb_plot_lines(g_dir, "refs2", "t", "x", "y", same, 2, NULL), 0);
    gp = slurp_in("refs2.gp");
    const char *first = strstr(gp, "title 'chance 50.0'");
    assert_non_null(first);
    assert_null(strstr(first + 1, "title 'chance 50.0'"));
    free(gp);

    /* bars rise from chance (all means and bar ends above it), the majority line included */
    const char *cats[] = {"sparsity 67.2%"};
    const char *ser[] = {"no KD", "KD T=2 h=1"};
    const double mean[] = {27.6, 24.5}, half[] = {4.1, NAN};
    const pb_plot_bars_panel bp = {.title = "wn-choice (accuracy)", .categories = cats, .n_categories = 1,
                                   .series_labels = ser, .n_series = 2, .mean = mean, .half = half, .dense = 26.3,
                                   .chance = {"chance 20.0", 20}, .majority = {"majority 21.4", 21.4},
                                   .range = {1, 0, 100}};
    assert_int_equal(pb_plot_bars(g_dir, "refbars", "t", "dev accuracy (%)", &bp, 1, NULL), 0);
    gp = slurp_in("refbars.gp");
    panel_yrange(gp, "wn-choice (accuracy)", &lo, &hi);
    /* top: 27.6 + 4.1 = 31.7, + 8% of (31.7 - 20) = 32.636 */
    assert_true(lo == 20 && fabs(hi - 32.636) < 1e-9);
    PB_ASSERT_HAS(gp, "set arrow 4 from graph 0, first 21.4 to graph 1, first 21.4 nohead dt 4");
    PB_ASSERT_HAS(gp, "title 'majority 21.4'");
    free(gp);
    /* without chance, positive bars start at 0, never just under the lowest bar */
    const pb_plot_bars_panel bp0 = {.title = "x", .categories = cats, .n_categories = 1, .series_labels = ser,
                                    .n_series = 2, .mean = (const double[]){88.0, 91.0}, .dense = NAN};
    assert_int_equal(pb_plot_bars(g_dir, "refbars0", "t", "y", &bp0, 1, NULL), 0);
    gp = slurp_in("refbars0.gp");
    panel_yrange(gp, "x", &lo, &hi);
    assert_true(lo == 0 && fabs(hi - 98.28) < 1e-9);
    free(gp);
}

/* A series with one interval (one sparsity) draws it as a vertical bar with
 * caps, not as a band (which needs two points); one x gets a span of 10 and
 * the series are dodged around it (the data file keeps the exact x). */
static void test_lone_interval(void **state) {
    (void)state;
    const pb_plot_point a[] = {{67.2, 27.6, 23.5, 31.7}}, b[] = {{67.2, 24.8, NAN, NAN}};
    const pb_plot_series se[] = {{"emb kept", a, 1}, {"emb pruned", b, 1}};
    const pb_plot_panel p = {.title = "wn-choice", .series = se, .n_series = 2, .dense = 26.3,
                             .range = {1, 0, 100}};
    assert_int_equal(pb_plot_lines(g_dir, "lone", "t", "x", "y", &p, 1, NULL), 0);
    char *gp = slurp_in("lone.gp"), *dat = slurp_in("lone.dat");
    PB_ASSERT_HAS(dat, "series 'emb kept': x lo hi (95% CI, one point)\n67.2 23.5 31.7\n");
    /* the two series are dodged by -0.3 and +0.3 around their one x */
    PB_ASSERT_HAS(gp, "using ($1-0.3):2:(0):($3-$2) with vectors nohead lc rgb '#0072B2'");
    PB_ASSERT_HAS(gp, "using ($1-0.3):2 with linespoints lc rgb '#0072B2'");
    PB_ASSERT_HAS(gp, "using ($1+0.3):2 with linespoints lc rgb '#D55E00'");
    assert_null(strstr(gp, "filledcurves"));
    PB_ASSERT_HAS(gp, "title '95% CI'");
    PB_ASSERT_HAS(gp, "set xrange [62.2:72.2]");
    free(gp);
    free(dat);
}

/* A long title widens a default-sized image instead of being clipped. */
static void test_title_width(void **state) {
    (void)state;
    static const char long_title[] = "KD temperature and hardness (mean and 95% CI over n = 3 seeds, a long title)";
    assert_int_equal(pb_plot_lines(g_dir, "wide", long_title, "x", "y", k_panel, 1, NULL), 0);
    /* 10.5 px per character at 14 pt plus 48 px: 76 characters need 846 px > the 560 of one panel */
    assert_rendered("wide", 846, 516);
    /* a size given by the caller is kept */
    const pb_plot_opts o = {NULL, 600, 500};
    assert_int_equal(pb_plot_lines(g_dir, "wide2", long_title, "x", "y", k_panel, 1, &o), 0);
    assert_rendered("wide2", 600, 500);
}

/* ---- examples for a person to look at ------------------------------------------------ */

/* A smooth metric-vs-sparsity curve: dense value minus a drop growing with
 * sparsity, CI half-width growing too. */
static void fill_curve(pb_plot_point *p, const double *sp, size_t n, double dense, double drop, double ci) {
    for (size_t i = 0; i < n; i++) {
        double s = sp[i] / 100.0, y = dense - drop * pow(s, 4.0);
        double h = ci * (0.5 + s);
        p[i] = (pb_plot_point){sp[i], y, y - h, y + h};
    }
}

static void test_examples(void **state) {
    (void)state;
    const char *env = getenv("PB_PLOT_EXAMPLES");
    const char *dir = env && *env ? env : g_dir;
    mkdir(dir, 0755);
    static const double sp[] = {50, 60, 70, 80, 90, 95, 97};
    pb_plot_point pts[3][3][7];
    static const char *methods[] = {"magnitude (fixed)", "magnitude (scaled)", "random"};
    static const char *tasks[] = {"SST-2", "MNLI-m", "SQuAD v1.1"};
    static const double dense[] = {92.7, 84.2, 88.1}, ci[] = {0.4, 0.3, 0.5};
    static const char *ylab = "dev score (accuracy / F1, %)";
    pb_plot_series ser[3][3];
    pb_plot_panel panels[3];
    for (int t = 0; t < 3; t++) {
        for (int m = 0; m < 3; m++) {
            double drop = (m == 0 ? 8.0 : m == 1 ? 5.0 : 25.0) * (1.0 + 0.3 * t);
            fill_curve(pts[t][m], sp, 7, dense[t] - (m == 2 ? 1.0 : 0.2), drop, ci[t]);
            ser[t][m] = (pb_plot_series){methods[m], pts[t][m], 7};
        }
        pts[t][2][6] = (pb_plot_point){97, NAN, NAN, NAN}; /* a failed cell: random at 97% */
        panels[t] = (pb_plot_panel){.title = tasks[t], .series = ser[t], .n_series = 3, .dense = dense[t],
                                    .range = {1, 0, 100}};
    }
    int rc = pb_plot_lines(dir, "metric_vs_sparsity", "BERT-base: dev score vs target sparsity (mean, 95% CI over 5 seeds)",
                           "target sparsity (%)", ylab, panels, 3, NULL);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);

    static const char *cats[] = {"T=1", "T=2", "T=4", "T=8"};
    static const char *hard[] = {"hardness 0.0 (labels only)", "hardness 0.5", "hardness 1.0 (teacher only)"};
    static const double mean[] = {88.1, 88.1, 88.1, 88.1, 89.0, 89.6, 89.9, 89.2, 88.7, 89.8, 90.3, 89.5};
    static const double half[] = {0.5, 0.5, 0.5, 0.5, 0.4, 0.3, 0.35, 0.5, 0.6, 0.4, 0.3, 0.45};
    const pb_plot_bars_panel bp[2] = {{.title = "SST-2 at 90% sparsity", .categories = cats, .n_categories = 4,
                                       .series_labels = hard, .n_series = 3, .mean = mean, .half = half, .dense = 92.7,
                                       .chance = {"chance 50.0 (SST-2)", 50.0}, .majority = {"majority 50.9 (SST-2)", 50.9},
                                       .range = {1, 0, 100}},
                                      {.title = "MNLI-m at 90% sparsity", .categories = cats, .n_categories = 4,
                                       .series_labels = hard, .n_series = 3, .mean = mean, .half = half, .dense = 91.0,
                                       .chance = {"chance 33.3 (MNLI-m)", 100.0 / 3}, .majority = {"majority 35.4 (MNLI-m)", 35.4},
                                       .range = {1, 0, 100}}};
    rc = pb_plot_bars(dir, "kd_ablation", "Knowledge distillation: temperature x hardness", "accuracy (%)", bp, 2,
                      NULL);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);

    /* cyclic LR (restarting at every pruning step) and cubic sparsity 0.5 -> 0.9 from step 400 to 1600 */
    enum { N = 2000 };
    static float loss[N], lr[N], spars[N];
    for (int i = 0; i < N; i++) {
        double f = i < 400 ? 0.0 : i >= 1600 ? 1.0 : (i - 400) / 1200.0;
        spars[i] = (float)(i < 400 ? 0.0 : 0.9 + (0.5 - 0.9) * pow(1.0 - f, 3.0));
        int cyc = i < 400 ? i : (i - 400) % 200;
        int len = i < 400 ? 400 : 200;
        lr[i] = (float)(1e-5 + 0.5 * (1e-4 - 1e-5) * (1.0 + cos(3.14159265358979 * cyc / len)));
        loss[i] = (float)(0.25 + 0.6 * exp(-i / 300.0) + 0.08 * (spars[i] > 0 ? exp(-cyc / 40.0) : 0) +
                          0.03 * sin(i * 0.37) * sin(i * 0.11));
    }
    rc = pb_plot_curves(dir, "training_curves", "SST-2, magnitude, cubic 50% -> 90%, cyclic LR (seed 1)", loss, lr,
                        spars, N, 1, NULL);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);

    static const char *groups[] = {"embeddings", "encoder", "head"};
    static const double params[] = {0.86, 0.14, 0.001}, flops[] = {0.0, 0.99, 0.01};
    rc = pb_plot_costs(dir, "costs", "BERT-tiny: where the parameters and the FLOPs are", groups, params, flops, 3,
                       NULL);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),          cmocka_unit_test(test_bars),    cmocka_unit_test(test_curves),
        cmocka_unit_test(test_costs),          cmocka_unit_test(test_missing_gnuplot),
        cmocka_unit_test(test_gnuplot_fails),  cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_deterministic),  cmocka_unit_test(test_baselines),
        cmocka_unit_test(test_title_width),    cmocka_unit_test(test_lone_interval),
        cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
