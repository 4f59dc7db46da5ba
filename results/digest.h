/* SHA-256 (FIPS 180-4) of the files a cell read, for its provenance: the
 * task's data folder and the model it started from. A folder's digest is
 * the SHA-256 of its manifest, the lines `sha256sum` prints for its regular
 * files ("<64 hex>  <path relative to the folder>\n", sorted bytewise by
 * path, subfolders included), so it can be checked with coreutils:
 *
 *   cd DIR && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum
 */
#ifndef PB_DIGEST_H
#define PB_DIGEST_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t bytes;
    unsigned char buf[64];
    size_t fill;
} pb_sha256_ctx;

void pb_sha256_init(pb_sha256_ctx *c);
void pb_sha256_update(pb_sha256_ctx *c, const void *data, size_t n);
/* 64 lowercase hex digits and a NUL */
void pb_sha256_final(pb_sha256_ctx *c, char hex[65]);

/* The digest of a file's bytes; PB_ENOTFOUND / PB_EIO naming the file. */
int pb_digest_file(const char *path, char hex[65]);
/* A file: pb_digest_file. A folder: the digest of the manifest of its regular
 * files; `only`, when not NULL, is a NULL-terminated list of the top-level
 * names to include (those present), e.g. the files a model loader reads. */
int pb_digest_path(const char *path, const char *const *only, char hex[65]);

#endif
