#include "digest.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pb_error.h"

/* ---- SHA-256 ------------------------------------------------------------------ */

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        const uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void pb_sha256_init(pb_sha256_ctx *c) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->bytes = 0;
    c->fill = 0;
}

void pb_sha256_update(pb_sha256_ctx *c, const void *data, size_t n) {
    const unsigned char *p = data;
    c->bytes += n;
    if (c->fill) {
        const size_t take = n < 64 - c->fill ? n : 64 - c->fill;
        memcpy(c->buf + c->fill, p, take);
        c->fill += take;
        p += take;
        n -= take;
        if (c->fill < 64) return;
        block(c->h, c->buf);
        c->fill = 0;
    }
    for (; n >= 64; p += 64, n -= 64) block(c->h, p);
    memcpy(c->buf, p, n);
    c->fill = n;
}

void pb_sha256_final(pb_sha256_ctx *c, char hex[65]) {
    const uint64_t bits = c->bytes * 8;
    unsigned char pad[72] = {0x80};
    const size_t npad = (c->fill < 56 ? 56 : 120) - c->fill;
    for (int i = 0; i < 8; i++) pad[npad + i] = (unsigned char)(bits >> (56 - 8 * i));
    pb_sha256_update(c, pad, npad + 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", c->h[i]);
    hex[64] = '\0';
}

/* ---- files and folders ----------------------------------------------------------- */

int pb_digest_file(const char *path, char hex[65]) {
    FILE *f = fopen(path, "rb");
    if (!f) return PB_ERR(errno == ENOENT ? PB_ENOTFOUND : PB_EIO, "'%s': %s", path, strerror(errno));
    pb_sha256_ctx c;
    pb_sha256_init(&c);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) pb_sha256_update(&c, buf, n);
    const int bad = ferror(f);
    fclose(f);
    if (bad) return PB_ERR(PB_EIO, "'%s': read error", path);
    pb_sha256_final(&c, hex);
    return 0;
}

typedef struct {
    char **paths; /* relative to the root */
    size_t n, cap;
} path_list;

static int list_push(path_list *l, const char *rel) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (!p) return PB_ERR(PB_ENOMEM, "file list");
        l->paths = p;
        l->cap = cap;
    }
    if (!(l->paths[l->n] = strdup(rel))) return PB_ERR(PB_ENOMEM, "file list");
    l->n++;
    return 0;
}

static int in_names(const char *name, const char *const *only) {
    if (!only) return 1;
    for (; *only; only++)
        if (strcmp(name, *only) == 0) return 1;
    return 0;
}

/* the regular files under root/rel, recursively; symbolic links are skipped, as find -type f skips them */
static int walk(const char *root, const char *rel, const char *const *only, path_list *l) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) return PB_ERR(PB_EIO, "'%s': %s", dir, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (!*rel && !in_names(e->d_name, only)) continue;
        char sub[4096], full[8192];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) != 0) {
            rc = PB_ERR(PB_EIO, "'%s': %s", full, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(root, sub, NULL, l);
        } else if (S_ISREG(st.st_mode)) {
            rc = list_push(l, sub);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_paths(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int pb_digest_path(const char *path, const char *const *only, char hex[65]) {
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return PB_ERR(PB_ENOTFOUND, "'%s': %s", path ? path : "(null)", path ? strerror(errno) : "no path");
    if (!S_ISDIR(st.st_mode)) return pb_digest_file(path, hex);
    path_list l = {0};
    int rc = walk(path, "", only, &l);
    if (rc == 0) qsort(l.paths, l.n, sizeof *l.paths, cmp_paths);
    pb_sha256_ctx manifest;
    pb_sha256_init(&manifest);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        char full[8192], h[65];
        snprintf(full, sizeof full, "%s/%s", path, l.paths[i]);
        rc = pb_digest_file(full, h);
        if (rc < 0) break;
        pb_sha256_update(&manifest, h, 64);
        pb_sha256_update(&manifest, "  ", 2);
        pb_sha256_update(&manifest, l.paths[i], strlen(l.paths[i]));
        pb_sha256_update(&manifest, "\n", 1);
    }
    for (size_t i = 0; i < l.n; i++) free(l.paths[i]);
    free(l.paths);
    if (rc == 0) pb_sha256_final(&manifest, hex);
    return rc;
}
