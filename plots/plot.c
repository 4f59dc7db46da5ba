/* Figures through gnuplot. Every figure is built in memory (data text and
 * script text), staged as NAME.tmp-PID.{dat,gp}, rendered by gnuplot (run with
 * fork/execv, stderr captured) into NAME.tmp-PID.{png,svg}, and only then are
 * the four files renamed into place; any failure removes the staged files.
 * The script takes its output base and data file from the variables pb_out and
 * pb_dat when they are defined (the staged run sets them with -e), so the kept
 * NAME.gp renders NAME.png / NAME.svg from NAME.dat when rerun by hand. */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pb_error.h"

/* ---- text building --------------------------------------------------------- */

typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_add(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int k = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 8192;
        while (nc < b->n + (size_t)k + 1) nc *= 2;
        char *p = realloc(b->s, nc);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = nc;
    }
}

/* A gnuplot single-quoted string: only '' is special there (backslashes and
 * double quotes are literal); control characters become spaces so a title
 * cannot end the line. NULL is ''. */
static void sb_quote(sbuf *b, const char *text) {
    sb_add(b, "'");
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        unsigned char c = *p;
        if (c == '\'') sb_add(b, "''");
        else if (c < 0x20 || c == 0x7f) sb_add(b, " ");
        else if (c < 0x80) sb_add(b, "%c", c);
        else {
            /* a well-formed UTF-8 sequence is kept; a stray byte becomes '?' so the SVG stays valid XML */
            int len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
            int ok = len > 0;
            for (int k = 1; ok && k < len; k++) ok = (p[k] & 0xc0) == 0x80;
            if (!ok) {
                sb_add(b, "?");
                continue;
            }
            sb_add(b, "%.*s", len, (const char *)p);
            p += len - 1;
        }
    }
    sb_add(b, "'");
}

/* Number of characters of UTF-8 text (continuation bytes not counted). */
static size_t u8_len(const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xc0) != 0x80;
    return k;
}

/* A tick label wrapped at spaces to lines of at most `width` characters (a
 * longer word keeps its own line), as a gnuplot string expression joining
 * quoted lines with "\n". Returns the number of lines. */
static int sb_quote_wrapped(sbuf *b, const char *text, size_t width) {
    const char *t = text ? text : "";
    int lines = 1;
    size_t n = strlen(t), start = 0, line_len = 0, last_space = 0;
    int have_space = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && t[i] != ' ') continue;
        /* t[i] ends a word that spans the text from the previous space */
        size_t wend = i, wstart = have_space ? last_space + 1 : start;
        size_t with = line_len + (have_space ? 1 : 0) + u8_len(t + wstart, wend - wstart);
        if (have_space && with > width) {
            char *line = malloc(last_space - start + 1);
            if (!line) {
                b->oom = 1;
                return lines;
            }
            memcpy(line, t + start, last_space - start);
            line[last_space - start] = '\0';
            sb_quote(b, line);
            sb_add(b, ".\"\\n\".");
            free(line);
            lines++;
            start = last_space + 1;
            line_len = u8_len(t + start, wend - start);
        } else {
            line_len = with;
        }
        last_space = i;
        have_space = 1;
    }
    char *rest = malloc(n - start + 1);
    if (!rest) {
        b->oom = 1;
        return lines;
    }
    memcpy(rest, t + start, n - start);
    rest[n - start] = '\0';
    sb_quote(b, rest);
    free(rest);
    return lines;
}

/* Text for a '#' comment in the data file: one line. */
static void sb_comment_text(sbuf *b, const char *text) {
    for (const char *p = text ? text : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        sb_add(b, "%c", c < 0x20 || c == 0x7f ? ' ' : c);
    }
}

/* Colour-blind-safe palette (Okabe-Ito without the yellow, then two greys). */
static const char *const k_colors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                       "#E69F00", "#56B4E9", "#7F7F7F", "#000000"};
static const int k_points[] = {7, 5, 9, 13, 11, 15, 6, 4};
#define N_COLORS (sizeof k_colors / sizeof k_colors[0])
#define DENSE_STYLE "dt 2 lc rgb '#333333' lw 1.5"
#define CHANCE_STYLE "dt 3 lc rgb '#555555' lw 2"
#define MAJORITY_STYLE "dt 4 lc rgb '#5E3C99' lw 1.5"
#define FONT "Sans,11"

/* ---- the grid of panels and the shared legend ------------------------------ */

enum { LEG_LINE, LEG_BAR, LEG_BAND, LEG_ERRBAR, LEG_DENSE, LEG_CHANCE, LEG_MAJORITY };

typedef struct {
    int kind;
    const char *label;
    int color; /* index into k_colors */
} legend_entry;

typedef struct {
    int W, H;
    size_t n, cols, rows;
    double top_px, legend_px, cell_w, cell_h;
    size_t leg_cols;
} grid;

/* Approximate width in pixels of one key entry at the 11 pt font. */
static double legend_entry_px(const legend_entry *e) {
    const char *l = e->label ? e->label : "";
    return 8.0 * (double)u8_len(l, strlen(l)) + 80.0;
}

/* Size the grid: `cell_w` x `cell_h` pixels per panel unless o gives the
 * whole image. Errors when a panel would be too small to draw. */
static int grid_init(grid *g, size_t n, size_t max_cols, double cell_w, double cell_h, const char *title,
                     const legend_entry *leg, size_t n_leg, const pb_plot_opts *o) {
    memset(g, 0, sizeof *g);
    g->n = n;
    g->cols = n < max_cols ? n : (n == 4 && max_cols >= 2 ? 2 : max_cols);
    g->rows = (n + g->cols - 1) / g->cols;
    g->top_px = title && *title ? 48.0 : 14.0;
    int w = o && o->width ? o->width : (int)(cell_w * (double)g->cols);
    /* a default-sized image is widened so that the title (14 pt) is not clipped */
    const double title_px = title ? 10.5 * (double)u8_len(title, strlen(title)) + 48.0 : 0.0;
    if (!(o && o->width) && title_px > w) w = (int)ceil(title_px);
    double widest = 0;
    for (size_t i = 0; i < n_leg; i++)
        if (legend_entry_px(&leg[i]) > widest) widest = legend_entry_px(&leg[i]);
    g->leg_cols = n_leg ? (size_t)((w - 40) / (widest > 1 ? widest : 1)) : 0;
    if (n_leg && g->leg_cols < 1) g->leg_cols = 1;
    if (g->leg_cols > n_leg) g->leg_cols = n_leg;
    size_t leg_rows = n_leg ? (n_leg + g->leg_cols - 1) / g->leg_cols : 0;
    g->legend_px = n_leg ? 22.0 * (double)leg_rows + 26.0 : 6.0;
    int h = o && o->height ? o->height : (int)(cell_h * (double)g->rows + g->top_px + g->legend_px);
    g->W = w;
    g->H = h;
    g->cell_w = (double)w / (double)g->cols;
    g->cell_h = ((double)h - g->top_px - g->legend_px) / (double)g->rows;
    if (g->cell_w < 200 || g->cell_h < 150)
        return PB_ERR(PB_EINVAL, "image %dx%d is too small for %zu panel(s) in %zu column(s): each needs 200x150 px", w, h,
                      n, g->cols);
    return 0;
}

/* Screen margins of panel k in the grid; bottom_px reserves room for the
 * x tick labels and label, top_px for the panel title. */
static void grid_panel(sbuf *gp, const grid *g, size_t k, double left_px, double bottom_px, double top_px) {
    size_t r = k / g->cols, c = k % g->cols;
    double x0 = (double)c * g->cell_w, x1 = x0 + g->cell_w;
    double ytop = (double)g->H - g->top_px - (double)r * g->cell_h, ybot = ytop - g->cell_h;
    sb_add(gp, "set lmargin at screen %.4f; set rmargin at screen %.4f\n", (x0 + left_px) / g->W, (x1 - 24.0) / g->W);
    sb_add(gp, "set bmargin at screen %.4f; set tmargin at screen %.4f\n", (ybot + bottom_px) / g->H,
           (ytop - top_px) / g->H);
}

/* The legend, drawn once below the grid by an empty plot whose key sits at
 * screen coordinates. */
static void grid_legend(sbuf *gp, const grid *g, const legend_entry *leg, size_t n_leg) {
    if (!n_leg) return;
    /* the plot area is the legend band itself, with no border or tics, so the key fits in it */
    sb_add(gp, "\n# legend\nunset title; unset xlabel; unset ylabel; unset border; unset tics; unset grid\n"
               "unset label; unset arrow; set xrange [0:1]; set yrange [0:1]\n");
    sb_add(gp, "set lmargin at screen 0.02; set rmargin at screen 0.98; set bmargin at screen %.4f; "
               "set tmargin at screen %.4f\n",
           2.0 / g->H, (g->legend_px - 2.0) / g->H);
    sb_add(gp, "set key inside center center horizontal maxcols %zu reverse Left samplen 2.5 spacing 1.1 width 2 "
               "noautotitle\n",
           g->leg_cols);
    sb_add(gp, "plot ");
    for (size_t i = 0; i < n_leg; i++) {
        const legend_entry *e = &leg[i];
        const char *c = k_colors[e->color % N_COLORS];
        if (i) sb_add(gp, ", \\\n     ");
        switch (e->kind) {
        case LEG_LINE:
            sb_add(gp, "NaN with linespoints lc rgb '%s' lw 2 pt %d ps 1 title ", c, k_points[e->color % N_COLORS]);
            break;
        case LEG_BAR: sb_add(gp, "NaN with boxes fs solid 0.85 border lc rgb '#333333' lc rgb '%s' title ", c); break;
        case LEG_BAND: sb_add(gp, "NaN with boxes fs transparent solid 0.25 noborder lc rgb '#7f7f7f' title "); break;
        case LEG_ERRBAR: sb_add(gp, "NaN with lines lc rgb '#555555' lw 1.5 title "); break;
        case LEG_CHANCE: sb_add(gp, "NaN with lines " CHANCE_STYLE " title "); break;
        case LEG_MAJORITY: sb_add(gp, "NaN with lines " MAJORITY_STYLE " title "); break;
        default: sb_add(gp, "NaN with lines " DENSE_STYLE " title "); break;
        }
        sb_quote(gp, e->label);
    }
    sb_add(gp, "\n");
}

/* The script head: the output variables, then a loop over the two terminals
 * whose body the caller writes; script_end closes it. */
static void script_begin(sbuf *gp, const char *name, const char *what, const grid *g) {
    sb_add(gp, "# prunebench figure: %s (plots/plot.c).\n", what);
    sb_add(gp, "# Rerun in this folder: gnuplot %s.gp  (reads %s.dat, writes %s.png and %s.svg)\n", name, name, name,
           name);
    sb_add(gp, "if (!exists(\"pb_out\")) pb_out = '%s'\n", name);
    sb_add(gp, "if (!exists(\"pb_dat\")) pb_dat = '%s.dat'\n", name);
    sb_add(gp, "do for [pb_term = 1:2] {\n"
               "if (pb_term == 1) {\n"
               "    set terminal pngcairo size %d,%d noenhanced font '" FONT "' background '#ffffff'\n"
               "    set output pb_out.'.png'\n"
               "} else {\n"
               "    set terminal svg size %d,%d noenhanced font '" FONT "' background '#ffffff'\n"
               "    set output pb_out.'.svg'\n"
               "}\n"
               "reset\n"
               "set encoding utf8\n",
           g->W, g->H, g->W, g->H);
}

static void script_end(sbuf *gp) {
    sb_add(gp, "unset multiplot\nunset output\n}\n");
}

/* The multiplot title and the look shared by every panel. */
static void script_multiplot(sbuf *gp, const char *title) {
    sb_add(gp, "set multiplot title ");
    sb_quote(gp, title);
    sb_add(gp, " font ',14'\n"
               "set grid back lc rgb '#e0e0e0' lw 1 dt 1\n"
               "set border 3 lc rgb '#444444'\n"
               "set tics nomirror out scale 0.6\n"
               "unset key\n");
}

/* The dense baseline across the whole panel (an arrow, so it spans the graph
 * whatever the data range), named in the legend (not at the line, where a
 * label could sit on the data); dense_off removes it before the next panel. */
static void dense_on(sbuf *gp, double dense) {
    sb_add(gp, "set arrow 1 from graph 0, first %.10g to graph 1, first %.10g nohead " DENSE_STYLE " front\n", dense,
           dense);
}

static void dense_off(sbuf *gp) {
    sb_add(gp, "unset arrow 1\n");
}

static int hline_on(const pb_plot_hline *h) {
    return h->label && isfinite(h->y);
}

/* The chance and majority lines of a panel (arrows 3 and 4); hlines_off removes them. */
static void hlines_on(sbuf *gp, const pb_plot_hline *chance, const pb_plot_hline *majority) {
    if (hline_on(chance))
        sb_add(gp, "set arrow 3 from graph 0, first %.10g to graph 1, first %.10g nohead " CHANCE_STYLE " front\n",
               chance->y, chance->y);
    if (hline_on(majority))
        sb_add(gp, "set arrow 4 from graph 0, first %.10g to graph 1, first %.10g nohead " MAJORITY_STYLE " front\n",
               majority->y, majority->y);
}

static void hlines_off(sbuf *gp) {
    sb_add(gp, "unset arrow 3; unset arrow 4\n");
}

/* The y axis of a metric panel (plot.h): lo and hi span every value drawn
 * except the chance line (NaN-free; lo > hi when nothing is drawn). */
static void metric_yrange(double lo, double hi, const pb_plot_hline *chance, const pb_plot_range *r, double *y0,
                          double *y1) {
    const int has_chance = hline_on(chance);
    const int has_lo = r->set && isfinite(r->lo), has_hi = r->set && isfinite(r->hi);
    if (lo > hi) { /* nothing drawn: the chance line, or the range */
        lo = has_chance ? chance->y : has_lo ? r->lo : 0.0;
        hi = has_chance ? chance->y : lo;
    }
    if (has_chance) hi = fmax(hi, chance->y);
    double base;
    if (has_chance && lo >= chance->y) base = chance->y;
    else if (has_lo && r->lo > 0) base = r->lo;
    else if (lo >= 0 || (has_lo && r->lo >= 0)) base = 0.0;
    else if (has_lo) base = r->lo;
    else {
        /* unbounded below: a round number under the data */
        const double span = hi - lo > 0 ? hi - lo : fabs(lo) > 0 ? fabs(lo) : 1.0;
        const double step = pow(10.0, floor(log10(span)));
        base = step * floor((lo - 0.05 * span) / step);
    }
    double top = hi > base ? hi + 0.08 * (hi - base) : base + (fabs(base) > 0 ? 0.1 * fabs(base) : 1.0);
    if (has_hi && top > r->hi) top = r->hi;
    if (!(top > base)) top = has_hi && r->hi > base ? r->hi : base + 1.0;
    *y0 = base;
    *y1 = top;
}

/* Append the legend entries of the panels' dense, chance and majority lines
 * (each distinct label once). */
static void ref_legend(legend_entry *leg, size_t *n_leg, const char **seen, size_t *n_seen, int kind, const char *label) {
    if (!label) return;
    for (size_t i = 0; i < *n_seen; i++)
        if (!strcmp(seen[i], label)) return;
    seen[(*n_seen)++] = label;
    leg[(*n_leg)++] = (legend_entry){kind, label, 0};
}

/* ---- running gnuplot --------------------------------------------------------- */

/* A name is one file-name component we also put into gnuplot strings. */
static int check_name(const char *dir, const char *name) {
    if (!dir || !*dir) return PB_ERR(PB_EINVAL, "plot: output folder is empty");
    if (!name || !*name || name[0] == '.' || strlen(name) > 128)
        return PB_ERR(PB_EINVAL, "plot: figure name '%s' must be 1-128 characters, not starting with '.'",
                      name ? name : "(null)");
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.'))
            return PB_ERR(PB_EINVAL, "plot: figure name '%s' may hold only letters, digits, '_', '-' and '.'", name);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return PB_ERR(PB_ENOTFOUND, "plot: output folder '%s' does not exist", dir);
    return 0;
}

static int is_exec_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* Resolve the gnuplot executable the way execvp would, so a missing one is
 * known before anything is written. out gets an absolute or given path. */
static int find_gnuplot(const char *want, char *out, size_t cap) {
    const char *g = want && *want ? want : "gnuplot";
    if (strchr(g, '/')) {
        if (is_exec_file(g) && strlen(g) < cap) {
            snprintf(out, cap, "%s", g);
            return 0;
        }
        return PB_ERR(PB_ENOTFOUND, "gnuplot not found: '%s' is not an executable file; install gnuplot-nox", g);
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int k = snprintf(out, cap, "%.*s%s%s", (int)len, p, len ? "/" : "", g);
        if (k > 0 && (size_t)k < cap && is_exec_file(out)) return 0;
        p += len + (e ? 1 : 0);
        if (!e) break;
    }
    return PB_ERR(PB_ENOTFOUND, "gnuplot not found: no '%s' on PATH; install gnuplot-nox", g);
}

static int write_file(const char *path, const sbuf *b) {
    FILE *f = fopen(path, "wb");
    if (!f) return PB_ERR(PB_EIO, "plot: cannot write '%s': %s", path, strerror(errno));
    int bad = b->n && fwrite(b->s, 1, b->n, f) != b->n;
    if (fclose(f) != 0) bad = 1;
    if (bad) return PB_ERR(PB_EIO, "plot: cannot write '%s': %s", path, strerror(errno));
    return 0;
}

enum { F_DAT, F_GP, F_PNG, F_SVG, N_FILES };
static const char *const k_ext[N_FILES] = {".dat", ".gp", ".png", ".svg"};

/* Run gnuplot on the staged script in dir; stderr into err (NUL-terminated,
 * its last cap-1 bytes kept). Returns the exit status, -1 if it did not exit,
 * or a PB_E code when it could not be started. */
static int run_gnuplot(const char *exe, const char *dir, const char *base, char *err, size_t cap) {
    char setvars[480], script[240];
    snprintf(setvars, sizeof setvars, "pb_out='%s'; pb_dat='%s.dat'", base, base);
    snprintf(script, sizeof script, "%s.gp", base);
    char *const argv[] = {(char *)exe, "-d", "-e", setvars, script, NULL};
    int fds[2];
    if (pipe(fds) != 0) return PB_ERR(PB_EIO, "plot: cannot create a pipe: %s", strerror(errno));
    (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return PB_ERR(PB_EIO, "plot: cannot start gnuplot: %s", strerror(errno));
    }
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec */
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
        }
        dup2(fds[1], 2);
        if (chdir(dir) != 0) {
            static const char m[] = "cannot enter the output folder\n";
            (void)!write(2, m, sizeof m - 1);
            _exit(126);
        }
        execv(exe, argv);
        static const char m[] = "cannot execute gnuplot\n";
        (void)!write(2, m, sizeof m - 1);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    char chunk[4096];
    for (;;) {
        ssize_t k = read(fds[0], chunk, sizeof chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        for (ssize_t i = 0; i < k; i++) { /* keep the tail: gnuplot's error is last */
            if (n + 1 >= cap) {
                memmove(err, err + cap / 2, n - cap / 2);
                n -= cap / 2;
            }
            err[n++] = chunk[i];
        }
    }
    err[n] = '\0';
    close(fds[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return PB_ERR(PB_EIO, "plot: cannot wait for gnuplot: %s", strerror(errno));
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int png_ok(const char *path) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char got[8];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t k = fread(got, 1, 8, f);
    fclose(f);
    return k == 8 && !memcmp(got, sig, 8);
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long)st.st_size : -1;
}

/* Stage, render and commit one figure; frees nothing (the caller owns gp/dat). */
static int render(const char *dir, const char *name, const sbuf *gp, const sbuf *dat, const pb_plot_opts *o) {
    if (gp->oom || dat->oom) return PB_ERR(PB_ENOMEM, "plot: out of memory building figure '%s'", name);
    char exe[4096];
    PB_TRY(find_gnuplot(o ? o->gnuplot : NULL, exe, sizeof exe));
    char base[200];
    snprintf(base, sizeof base, "%s.tmp-%ld", name, (long)getpid());
    size_t plen = strlen(dir) + strlen(base) + 16;
    char *tmp[N_FILES] = {0}, *fin[N_FILES] = {0};
    int rc = 0;
    for (int i = 0; i < N_FILES; i++) {
        tmp[i] = malloc(plen);
        fin[i] = malloc(plen);
        if (!tmp[i] || !fin[i]) {
            rc = PB_ERR(PB_ENOMEM, "plot: out of memory");
            goto done;
        }
        snprintf(tmp[i], plen, "%s/%s%s", dir, base, k_ext[i]);
        snprintf(fin[i], plen, "%s/%s%s", dir, name, k_ext[i]);
    }
    if ((rc = write_file(tmp[F_DAT], dat)) < 0 || (rc = write_file(tmp[F_GP], gp)) < 0) goto done;
    char err[700];
    int st = run_gnuplot(exe, dir, base, err, sizeof err);
    if (st < 0 && st != -1) {
        rc = st;
        goto done;
    }
    size_t el = strlen(err);
    while (el && (err[el - 1] == '\n' || err[el - 1] == ' ')) err[--el] = '\0';
    if (st != 0) {
        rc = PB_ERR(PB_EIO, "gnuplot ('%s') failed (%s %d) rendering '%s/%s.gp': %s", exe,
                    st == -1 ? "killed, status" : "exit status", st, dir, name, el ? err : "(no message)");
        goto done;
    }
    if (!png_ok(tmp[F_PNG]) || file_size(tmp[F_SVG]) <= 0) {
        rc = PB_ERR(PB_EIO, "gnuplot ('%s') exited 0 but wrote no %s for '%s/%s.gp'%s%s", exe,
                    !png_ok(tmp[F_PNG]) ? "PNG" : "SVG", dir, name, el ? ": " : "", err);
        goto done;
    }
    for (int i = 0; i < N_FILES; i++)
        if (rename(tmp[i], fin[i]) != 0) {
            rc = PB_ERR(PB_EIO, "plot: cannot rename '%s' to '%s': %s", tmp[i], fin[i], strerror(errno));
            goto done;
        }
done:
    for (int i = 0; i < N_FILES; i++) {
        if (rc < 0 && tmp[i]) unlink(tmp[i]);
        free(tmp[i]);
        free(fin[i]);
    }
    return rc;
}

/* ---- metric vs sparsity -------------------------------------------------------- */

/* Index of `label` among the first n labels of seen (appending it if new). */
static size_t label_index(const char **seen, size_t *n, const char *label) {
    const char *l = label ? label : "";
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(seen[i], l)) return i;
    seen[*n] = l;
    return (*n)++;
}

static int check_opts(const pb_plot_opts *o) {
    if (o && (o->width < 0 || o->height < 0 || o->width > 20000 || o->height > 20000))
        return PB_ERR(PB_EINVAL, "plot: size %dx%d out of range (0 = default, at most 20000 px)", o->width,
                      o->height);
    return 0;
}

int pb_plot_lines(const char *dir, const char *name, const char *title, const char *xlabel, const char *ylabel,
                  const pb_plot_panel *panels, size_t n_panels, const pb_plot_opts *o) {
    PB_TRY(check_name(dir, name));
    PB_TRY(check_opts(o));
    if (!panels || !n_panels) return PB_ERR(PB_EINVAL, "plot '%s': no panels", name);
    size_t n_all = 0;
    for (size_t p = 0; p < n_panels; p++) {
        if (panels[p].n_series && !panels[p].series)
            return PB_ERR(PB_EINVAL, "plot '%s': panel %zu has %zu series but no array", name, p, panels[p].n_series);
        for (size_t s = 0; s < panels[p].n_series; s++)
            if (panels[p].series[s].n && !panels[p].series[s].pts)
                return PB_ERR(PB_EINVAL, "plot '%s': panel %zu series %zu has %zu points but no array", name, p, s,
                              panels[p].series[s].n);
        n_all += panels[p].n_series;
    }
    /* legend: each distinct label once (its colour), then the band, dense, chance and majority entries if drawn */
    const char **labels = calloc(n_all + 1, sizeof *labels);
    const char **refs = calloc(3 * n_panels + 1, sizeof *refs);
    legend_entry *leg = calloc(n_all + 3 * n_panels + 2, sizeof *leg);
    sbuf gp = {0}, dat = {0};
    int rc = 0;
    if (!labels || !leg || !refs) {
        rc = PB_ERR(PB_ENOMEM, "plot '%s': out of memory", name);
        goto out;
    }
    size_t n_labels = 0, n_leg = 0, n_refs = 0;
    int any_band = 0, any_errbar = 0;
    for (size_t p = 0; p < n_panels; p++) {
        for (size_t s = 0; s < panels[p].n_series; s++) {
            const pb_plot_series *se = &panels[p].series[s];
            size_t before = n_labels, li = label_index(labels, &n_labels, se->label);
            if (li == before) leg[n_leg++] = (legend_entry){LEG_LINE, labels[li], (int)li};
            size_t n_ci = 0;
            for (size_t i = 0; i < se->n; i++)
                n_ci += isfinite(se->pts[i].x) && isfinite(se->pts[i].lo) && isfinite(se->pts[i].hi);
            /* a band needs two points; a lone interval is a vertical bar */
            if (n_ci >= 2) any_band = 1;
            else if (n_ci == 1) any_errbar = 1;
        }
    }
    if (any_band) leg[n_leg++] = (legend_entry){LEG_BAND, "95% CI", 0};
    if (any_errbar) leg[n_leg++] = (legend_entry){LEG_ERRBAR, any_band ? "95% CI (single point)" : "95% CI", 0};
    for (size_t p = 0; p < n_panels; p++)
        if (isfinite(panels[p].dense))
            ref_legend(leg, &n_leg, refs, &n_refs, LEG_DENSE, panels[p].dense_label ? panels[p].dense_label : "dense");
    for (size_t p = 0; p < n_panels; p++)
        if (hline_on(&panels[p].chance)) ref_legend(leg, &n_leg, refs, &n_refs, LEG_CHANCE, panels[p].chance.label);
    for (size_t p = 0; p < n_panels; p++)
        if (hline_on(&panels[p].majority))
            ref_legend(leg, &n_leg, refs, &n_refs, LEG_MAJORITY, panels[p].majority.label);

    grid g;
    if ((rc = grid_init(&g, n_panels, 3, 560, 420, title, leg, n_leg, o)) < 0) goto out;
    script_begin(&gp, name, "metric vs sparsity", &g);
    script_multiplot(&gp, title);
    sb_add(&gp, "set xlabel ");
    sb_quote(&gp, xlabel);
    sb_add(&gp, "\nset ylabel ");
    sb_quote(&gp, ylabel);
    sb_add(&gp, "\n");
    sb_add(&dat, "# prunebench figure %s: blocks (index) per panel and series; lines: x y, bands: x lo hi\n", name);
    int block = 0;
    for (size_t p = 0; p < n_panels; p++) {
        const pb_plot_panel *pa = &panels[p];
        sb_add(&gp, "\n# panel %zu\n", p + 1);
        grid_panel(&gp, &g, p, 78, 64, pa->title && *pa->title ? 34 : 10);
        sb_add(&gp, "set title ");
        sb_quote(&gp, pa->title);
        sb_add(&gp, "\n");
        /* ranges from the finite values and the dense line, padded */
        double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
        for (size_t s = 0; s < pa->n_series; s++)
            for (size_t i = 0; i < pa->series[s].n; i++) {
                const pb_plot_point *q = &pa->series[s].pts[i];
                if (!isfinite(q->x)) continue;
                const double v[3] = {q->y, q->lo, q->hi};
                int used = 0;
                for (int k = 0; k < 3; k++) {
                    if (!isfinite(v[k]) || (k && !(isfinite(q->lo) && isfinite(q->hi)))) continue;
                    used = 1;
                    y0 = fmin(y0, v[k]);
                    y1 = fmax(y1, v[k]);
                }
                if (used) {
                    x0 = fmin(x0, q->x);
                    x1 = fmax(x1, q->x);
                }
            }
        if (isfinite(pa->dense)) {
            y0 = fmin(y0, pa->dense);
            y1 = fmax(y1, pa->dense);
        }
        if (hline_on(&pa->majority)) {
            y0 = fmin(y0, pa->majority.y);
            y1 = fmax(y1, pa->majority.y);
        }
        if (x0 > x1) x0 = 0, x1 = 1;
        /* a single x (one sparsity) gets a span of 10 around it */
        double px = x1 > x0 ? 0.04 * (x1 - x0) : 5.0, ya, yb;
        const double cap = 0.012 * (x1 - x0 + 2 * px);
        metric_yrange(y0, y1, &pa->chance, &pa->range, &ya, &yb);
        sb_add(&gp, "set xrange [%.6g:%.6g]; set yrange [%.6g:%.6g]\n", x0 - px, x1 + px, ya, yb);
        /* an axis starting at chance: the chance line is its bottom edge, not hidden under a border */
        const int on_chance = hline_on(&pa->chance) && ya == pa->chance.y;
        if (on_chance) sb_add(&gp, "set border 2 lc rgb '#444444'\n");
        /* one x only: the series sit side by side around it (dodged by 0.6 on
         * the axis, the data file keeps the exact x) so their bars stay apart */
        size_t n_drawn = 0;
        for (size_t s = 0; s < pa->n_series; s++) {
            int any = 0;
            for (size_t i = 0; i < pa->series[s].n; i++)
                any |= isfinite(pa->series[s].pts[i].x) && isfinite(pa->series[s].pts[i].y);
            n_drawn += any != 0;
        }
        const int dodge = x1 == x0 && n_drawn > 1;
        /* bands first so every line is drawn over every band */
        sbuf bands = {0}, lines = {0};
        for (int pass = 0; pass < 2; pass++) {
            for (size_t s = 0; s < pa->n_series; s++) {
                const pb_plot_series *se = &pa->series[s];
                size_t li = label_index(labels, &n_labels, se->label);
                size_t n_ok = 0;
                for (size_t i = 0; i < se->n; i++) {
                    const pb_plot_point *q = &se->pts[i];
                    n_ok += pass == 0 ? isfinite(q->x) && isfinite(q->lo) && isfinite(q->hi)
                                      : isfinite(q->x) && isfinite(q->y);
                }
                if (n_ok < 1) continue;
                const int lone = pass == 0 && n_ok == 1; /* one interval: a bar, not a band */
                size_t r = 0; /* the series' place among those drawn, for the dodge */
                for (size_t t = 0; t < s; t++)
                    for (size_t i = 0; i < pa->series[t].n; i++)
                        if (isfinite(pa->series[t].pts[i].x) && isfinite(pa->series[t].pts[i].y)) {
                            r++;
                            break;
                        }
                char xcol[64];
                if (dodge)
                    snprintf(xcol, sizeof xcol, "($1%+.4g)", 0.6 * ((double)r - (double)(n_drawn - 1) / 2.0));
                else
                    snprintf(xcol, sizeof xcol, "1");
                sb_add(&dat, "\n\n# panel %zu '", p + 1);
                sb_comment_text(&dat, pa->title);
                sb_add(&dat, "', series '");
                sb_comment_text(&dat, se->label);
                sb_add(&dat, lone ? "': x lo hi (95%% CI, one point)\n" : pass == 0 ? "': x lo hi (95%% CI)\n" : "': x y\n");
                for (size_t i = 0; i < se->n; i++) {
                    const pb_plot_point *q = &se->pts[i];
                    if (pass == 0 && isfinite(q->x) && isfinite(q->lo) && isfinite(q->hi))
                        sb_add(&dat, "%.10g %.10g %.10g\n", q->x, q->lo, q->hi);
                    else if (pass == 1 && isfinite(q->x) && isfinite(q->y))
                        sb_add(&dat, "%.10g %.10g\n", q->x, q->y);
                }
                const char *c = k_colors[li % N_COLORS];
                if (lone) {
                    sb_add(&bands, "pb_dat index %d using %s:2:(0):($3-$2) with vectors nohead lc rgb '%s' lw 1.5 "
                                   "notitle, \\\n     ",
                           block, xcol, c);
                    for (int v = 2; v <= 3; v++)
                        sb_add(&bands, "pb_dat index %d using (%s-%.4g):%d:(%.4g):(0) with vectors nohead lc rgb '%s' "
                                       "lw 1.5 notitle, \\\n     ",
                               block, dodge ? xcol : "$1", cap / 2, v, cap, c);
                } else if (pass == 0)
                    sb_add(&bands, "pb_dat index %d using 1:2:3 with filledcurves fs transparent solid 0.18 noborder "
                                   "lc rgb '%s' notitle, \\\n     ",
                           block, c);
                else
                    sb_add(&lines, "pb_dat index %d using %s:2 with linespoints lc rgb '%s' lw 2 pt %d ps 0.9 notitle, "
                                   "\\\n     ",
                           block, xcol, c, k_points[li % N_COLORS]);
                block++;
            }
        }
        if (bands.oom || lines.oom) gp.oom = 1;
        int empty = !lines.n && !bands.n;
        if (empty) sb_add(&gp, "set label 1 'no data' at graph 0.5, 0.5 center tc rgb '#888888'\n");
        if (isfinite(pa->dense)) dense_on(&gp, pa->dense);
        hlines_on(&gp, &pa->chance, &pa->majority);
        sb_add(&gp, "plot %s%sNaN notitle\n", bands.n ? bands.s : "", lines.n ? lines.s : "");
        hlines_off(&gp);
        if (on_chance) sb_add(&gp, "set border 3 lc rgb '#444444'\n");
        if (isfinite(pa->dense)) dense_off(&gp);
        if (empty) sb_add(&gp, "unset label 1\n");
        free(bands.s);
        free(lines.s);
    }
    grid_legend(&gp, &g, leg, n_leg);
    script_end(&gp);
    rc = render(dir, name, &gp, &dat, o);
out:
    free(labels);
    free(refs);
    free(leg);
    free(gp.s);
    free(dat.s);
    return rc;
}

/* ---- grouped bars ------------------------------------------------------------------ */

/* Bars for pb_plot_bars and pb_plot_costs; value_fmt (a gnuplot sprintf
 * format) adds a value label over each bar. */
static int bars_common(const char *dir, const char *name, const char *what, const char *title, const char *ylabel,
                       const pb_plot_bars_panel *panels, size_t n_panels, const char *value_fmt,
                       const pb_plot_opts *o) {
    PB_TRY(check_name(dir, name));
    PB_TRY(check_opts(o));
    if (!panels || !n_panels) return PB_ERR(PB_EINVAL, "plot '%s': no panels", name);
    size_t n_all = 0;
    for (size_t p = 0; p < n_panels; p++) {
        const pb_plot_bars_panel *pa = &panels[p];
        if (!pa->n_categories || !pa->n_series || !pa->categories || !pa->series_labels || !pa->mean)
            return PB_ERR(PB_EINVAL, "plot '%s': panel %zu needs categories, series labels and means", name, p);
        n_all += pa->n_series;
    }
    const char **labels = calloc(n_all + 1, sizeof *labels);
    const char **refs = calloc(3 * n_panels + 1, sizeof *refs);
    legend_entry *leg = calloc(n_all + 3 * n_panels + 1, sizeof *leg);
    sbuf gp = {0}, dat = {0};
    int rc = 0;
    if (!labels || !leg || !refs) {
        rc = PB_ERR(PB_ENOMEM, "plot '%s': out of memory", name);
        goto out;
    }
    size_t n_labels = 0, n_leg = 0, n_refs = 0;
    size_t most_cats = 0;
    for (size_t p = 0; p < n_panels; p++) {
        for (size_t s = 0; s < panels[p].n_series; s++) {
            size_t before = n_labels, li = label_index(labels, &n_labels, panels[p].series_labels[s]);
            if (li == before) leg[n_leg++] = (legend_entry){LEG_BAR, labels[li], (int)li};
        }
        if (panels[p].n_categories > most_cats) most_cats = panels[p].n_categories;
    }
    for (size_t p = 0; p < n_panels; p++)
        if (isfinite(panels[p].dense))
            ref_legend(leg, &n_leg, refs, &n_refs, LEG_DENSE, panels[p].dense_label ? panels[p].dense_label : "dense");
    for (size_t p = 0; p < n_panels; p++)
        if (hline_on(&panels[p].chance)) ref_legend(leg, &n_leg, refs, &n_refs, LEG_CHANCE, panels[p].chance.label);
    for (size_t p = 0; p < n_panels; p++)
        if (hline_on(&panels[p].majority))
            ref_legend(leg, &n_leg, refs, &n_refs, LEG_MAJORITY, panels[p].majority.label);

    grid g;
    if ((rc = grid_init(&g, n_panels, 3, 560, 420, title, leg, n_leg, o)) < 0) goto out;
    /* category labels wrap at spaces to the width of their slot; the bottom
     * margin grows with the most lines any label needs */
    double plot_w = g.cell_w - 78 - 24;
    size_t wrap = (size_t)(plot_w / (double)(most_cats ? most_cats : 1) / 8.5);
    if (wrap < 6) wrap = 6;
    int max_lines = 1;
    for (size_t p = 0; p < n_panels; p++)
        for (size_t c = 0; c < panels[p].n_categories; c++) {
            sbuf probe = {0};
            int l = sb_quote_wrapped(&probe, panels[p].categories[c], wrap);
            free(probe.s);
            if (l > max_lines) max_lines = l;
        }
    double bottom = 26 + 16.0 * max_lines;
    script_begin(&gp, name, what, &g);
    script_multiplot(&gp, title);
    sb_add(&gp, "set style fill solid 0.85 border lc rgb '#333333'\nset xtics scale 0\n");
    sb_add(&gp, "set ylabel ");
    sb_quote(&gp, ylabel);
    sb_add(&gp, "\n");
    sb_add(&dat, "# prunebench figure %s: a block (index) per panel and series: x mean [half]\n", name);
    int block = 0;
    for (size_t p = 0; p < n_panels; p++) {
        const pb_plot_bars_panel *pa = &panels[p];
        size_t C = pa->n_categories, S = pa->n_series;
        double bw = 0.8 / (double)S, lo = INFINITY, hi = -INFINITY;
        sb_add(&gp, "\n# panel %zu\n", p + 1);
        grid_panel(&gp, &g, p, 78, bottom, pa->title && *pa->title ? 34 : 10);
        sb_add(&gp, "set title ");
        sb_quote(&gp, pa->title);
        sb_add(&gp, "\nset boxwidth %.6g absolute\nset xrange [-0.6:%.6g]\nset xtics (", bw, (double)C - 0.4);
        for (size_t c = 0; c < C; c++) {
            /* gnuplot reads an explicit tic label as a format: a literal % must be %% */
            char cat[512];
            size_t k = 0;
            for (const char *q = pa->categories[c]; *q && k + 2 < sizeof cat; q++) {
                if (*q == '%') cat[k++] = '%';
                cat[k++] = *q;
            }
            cat[k] = 0;
            sb_add(&gp, "%s", c ? ", " : "");
            sb_quote_wrapped(&gp, cat, wrap);
            sb_add(&gp, " %zu", c);
        }
        sb_add(&gp, ")\n");
        sbuf cmd = {0};
        for (size_t s = 0; s < S; s++) {
            size_t li = label_index(labels, &n_labels, pa->series_labels[s]);
            const double *m = pa->mean + s * C, *h = pa->half ? pa->half + s * C : NULL;
            size_t n_bar = 0, n_err = 0;
            for (size_t c = 0; c < C; c++) {
                n_bar += isfinite(m[c]) != 0;
                n_err += isfinite(m[c]) && h && isfinite(h[c]);
            }
            if (!n_bar) continue;
            for (int pass = 0; pass < 2; pass++) {
                if (pass == 1 && !n_err) break;
                sb_add(&dat, "\n\n# panel %zu '", p + 1);
                sb_comment_text(&dat, pa->title);
                sb_add(&dat, "', series '");
                sb_comment_text(&dat, pa->series_labels[s]);
                sb_add(&dat, pass == 0 ? "': x mean\n" : "': x mean half (95%% CI)\n");
                for (size_t c = 0; c < C; c++) {
                    double x = (double)c + ((double)s - (double)(S - 1) / 2.0) * bw;
                    if (!isfinite(m[c])) continue;
                    if (pass == 0) {
                        sb_add(&dat, "%.6g %.10g\n", x, m[c]);
                        if (m[c] < lo) lo = m[c];
                        if (m[c] > hi) hi = m[c];
                    } else if (h && isfinite(h[c])) {
                        sb_add(&dat, "%.6g %.10g %.10g\n", x, m[c], fabs(h[c]));
                        if (m[c] - fabs(h[c]) < lo) lo = m[c] - fabs(h[c]);
                        if (m[c] + fabs(h[c]) > hi) hi = m[c] + fabs(h[c]);
                    }
                }
                if (pass == 0) {
                    sb_add(&cmd, "pb_dat index %d using 1:2 with boxes lc rgb '%s' notitle, \\\n     ", block,
                           k_colors[li % N_COLORS]);
                    if (value_fmt)
                        sb_add(&cmd,
                               "pb_dat index %d using 1:2:(sprintf('%s', $2)) with labels offset 0,0.7 font ',10' "
                               "notitle, \\\n     ",
                               block, value_fmt);
                } else {
                    /* bar and caps as vectors: yerrorbars would stamp a point on every bar top */
                    double cap = 0.35 * bw;
                    sb_add(&cmd,
                           "pb_dat index %d using 1:($2-$3):(0):(2*$3) with vectors nohead lc rgb '#222222' lw 1.2 "
                           "notitle, \\\n     ",
                           block);
                    for (int v = 0; v < 2; v++)
                        sb_add(&cmd,
                               "pb_dat index %d using ($1-%.4g):($2%c$3):(%.4g):(0) with vectors nohead lc rgb "
                               "'#222222' lw 1.2 notitle, \\\n     ",
                               block, cap / 2, v ? '+' : '-', cap);
                }
                block++;
            }
        }
        if (isfinite(pa->dense)) {
            if (pa->dense < lo) lo = pa->dense;
            if (pa->dense > hi) hi = pa->dense;
        }
        if (hline_on(&pa->majority)) {
            if (pa->majority.y < lo) lo = pa->majority.y;
            if (pa->majority.y > hi) hi = pa->majority.y;
        }
        double base, top;
        if (value_fmt) {
            /* shares start at zero, with room above the bars for their value labels */
            if (lo > hi) lo = 0, hi = 1;
            double span = hi - lo > 0 ? hi - lo : fabs(hi) > 0 ? fabs(hi) : 1.0;
            base = lo < 0 ? lo - 0.08 * span : 0.0;
            top = hi > 0 ? hi + 0.14 * (hi - base) : 0.0;
            /* shares are percentages: the axis ends at 100 when the labels still fit under it */
            if (top > 100.0 && hi + 0.08 * (hi - base) <= 100.0) top = 100.0;
            if (!(top > base)) top = base + 1.0;
        } else {
            /* metric bars rise from a meaningful floor: chance, or 0 */
            metric_yrange(lo, hi, &pa->chance, &pa->range, &base, &top);
        }
        sb_add(&gp, "set yrange [%.6g:%.6g]\n", base, top);
        const int on_chance = !value_fmt && hline_on(&pa->chance) && base == pa->chance.y;
        if (on_chance) sb_add(&gp, "set border 2 lc rgb '#444444'\n");
        if (cmd.oom) gp.oom = 1;
        if (!cmd.n) sb_add(&gp, "set label 1 'no data' at graph 0.5, 0.5 center tc rgb '#888888'\n");
        if (isfinite(pa->dense)) dense_on(&gp, pa->dense);
        hlines_on(&gp, &pa->chance, &pa->majority);
        sb_add(&gp, "plot %sNaN notitle\n", cmd.n ? cmd.s : "");
        hlines_off(&gp);
        if (on_chance) sb_add(&gp, "set border 3 lc rgb '#444444'\n");
        if (isfinite(pa->dense)) dense_off(&gp);
        if (!cmd.n) sb_add(&gp, "unset label 1\n");
        free(cmd.s);
    }
    grid_legend(&gp, &g, leg, n_leg);
    script_end(&gp);
    rc = render(dir, name, &gp, &dat, o);
out:
    free(labels);
    free(refs);
    free(leg);
    free(gp.s);
    free(dat.s);
    return rc;
}

int pb_plot_bars(const char *dir, const char *name, const char *title, const char *ylabel,
                 const pb_plot_bars_panel *panels, size_t n_panels, const pb_plot_opts *o) {
    return bars_common(dir, name, "grouped bars", title, ylabel, panels, n_panels, NULL, o);
}

int pb_plot_costs(const char *dir, const char *name, const char *title, const char *const *groups,
                  const double *param_share, const double *flop_share, size_t n_groups, const pb_plot_opts *o) {
    if (!groups || !param_share || !flop_share || !n_groups)
        return PB_ERR(PB_EINVAL, "plot '%s': costs need groups and both shares", name ? name : "(null)");
    double *mean = malloc(2 * n_groups * sizeof *mean);
    if (!mean) return PB_ERR(PB_ENOMEM, "plot: out of memory");
    for (size_t i = 0; i < n_groups; i++) {
        const double v[2] = {param_share[i], flop_share[i]};
        for (int k = 0; k < 2; k++) {
            if (isfinite(v[k]) && (v[k] < 0 || v[k] > 1)) {
                free(mean);
                return PB_ERR(PB_EINVAL, "plot '%s': %s share of group '%s' is %g; expected a fraction in [0, 1]",
                              name ? name : "(null)", k ? "FLOP" : "parameter", groups[i] ? groups[i] : "", v[k]);
            }
            mean[(size_t)k * n_groups + i] = 100.0 * v[k];
        }
    }
    static const char *const series[2] = {"parameters", "forward FLOPs"};
    const pb_plot_bars_panel panel = {.categories = groups, .n_categories = n_groups, .series_labels = series,
                                      .n_series = 2, .mean = mean, .dense = NAN};
    int rc = bars_common(dir, name, "cost vs benefit", title, "share of the model (%)", &panel, 1, "%.1f%%", o);
    free(mean);
    return rc;
}

/* ---- training curves ---------------------------------------------------------------- */

int pb_plot_curves(const char *dir, const char *name, const char *title, const float *loss, const float *lr,
                   const float *sparsity, size_t n_steps, size_t stride, const pb_plot_opts *o) {
    PB_TRY(check_name(dir, name));
    PB_TRY(check_opts(o));
    if (!loss || !lr || !sparsity || !n_steps)
        return PB_ERR(PB_EINVAL, "plot '%s': curves need loss, lr and sparsity arrays and at least one step", name);
    if (!stride) stride = 1;
    /* three stacked panels of one column; the grid code sizes them */
    grid g;
    PB_TRY(grid_init(&g, 3, 1, 1000, 260, title, NULL, 0, o));
    sbuf gp = {0}, dat = {0};
    /* one data block for all three panels; '?' marks a missing value per column */
    sb_add(&dat, "# prunebench figure %s: step loss lr sparsity(%%); ? = not finite\n", name);
    for (size_t i = 0; i < n_steps; i++) {
        const float v[3] = {loss[i * stride], lr[i * stride], sparsity[i * stride]};
        sb_add(&dat, "%zu", i + 1);
        for (int k = 0; k < 3; k++) {
            if (isfinite(v[k])) sb_add(&dat, " %.8g", k == 2 ? 100.0 * (double)v[k] : (double)v[k]);
            else sb_add(&dat, " ?");
        }
        sb_add(&dat, "\n");
    }
    script_begin(&gp, name, "training curves", &g);
    script_multiplot(&gp, title);
    sb_add(&gp, "set datafile missing '?'\nset xrange [1:%zu]\nunset title\n", n_steps > 1 ? n_steps : 2);
    static const char *const ylab[3] = {"loss", "learning rate", "sparsity (%)"};
    static const char *const col[3] = {"#0072B2", "#D55E00", "#009E73"};
    for (int k = 0; k < 3; k++) {
        sb_add(&gp, "\n# panel %d: %s\n", k + 1, ylab[k]);
        /* panels touch: only the bottom one has x tick labels */
        size_t r = (size_t)k;
        double ytop = (double)g.H - g.top_px - (double)r * g.cell_h;
        double yb = ytop - g.cell_h + (k == 2 ? 56 : 0), yt = ytop - (k == 0 ? 0 : 8);
        sb_add(&gp, "set lmargin at screen %.4f; set rmargin at screen %.4f\n", 112.0 / g.W, (g.W - 28.0) / g.W);
        sb_add(&gp, "set bmargin at screen %.4f; set tmargin at screen %.4f\n", yb / g.H, (yt - 8) / g.H);
        sb_add(&gp, "set ylabel '%s'\n", ylab[k]);
        sb_add(&gp, k == 1 ? "set format y '%%.1e'\n" : "set format y '%%g'\n");
        sb_add(&gp, k == 2 ? "set yrange [0:100]\n" : "set autoscale y\n");
        if (k == 2) sb_add(&gp, "set format x '%%g'\nset xlabel 'step'\n");
        else sb_add(&gp, "set format x ''\nunset xlabel\n");
        sb_add(&gp, "plot pb_dat using 1:%d with lines lc rgb '%s' lw 1.5 notitle\n", k + 2, col[k]);
    }
    script_end(&gp);
    int rc = render(dir, name, &gp, &dat, o);
    free(gp.s);
    free(dat.s);
    return rc;
}
