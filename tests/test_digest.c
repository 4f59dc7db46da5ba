/* SHA-256 against the FIPS 180-2 / NIST example vectors (whole and streamed
 * in uneven pieces), file digests against coreutils' sha256sum, and folder
 * digests against the manifest pipeline results/digest.h documents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "pb_error.h"
#include "testutil.h"

PB_TEST_TMPDIR_FIXTURE("digest")

static void digest_of(const char *s, size_t n, size_t piece, char hex[65]) {
    pb_sha256_ctx c;
    pb_sha256_init(&c);
    for (size_t i = 0; i < n; i += piece) pb_sha256_update(&c, s + i, n - i < piece ? n - i : piece);
    pb_sha256_final(&c, hex);
}

static void test_vectors(void **state) {
    (void)state;
    static const struct {
        const char *msg, *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
         "nopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char hex[65];
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        for (size_t piece = 1; piece <= 65; piece += 7) {
            digest_of(v[i].msg, strlen(v[i].msg), piece, hex);
            assert_string_equal(hex, v[i].hex);
        }
    /* one million 'a' (many blocks; 55/56/64-byte padding boundaries are in the lengths above) */
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    digest_of(a, 1000000, 4093, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
    /* every length around the padding boundary agrees with streaming byte by byte */
    char msg[130], whole[65], bytes[65];
    for (int i = 0; i < 130; i++) msg[i] = (char)('a' + i % 26);
    for (size_t n = 50; n < 130; n++) {
        digest_of(msg, n, n ? n : 1, whole);
        digest_of(msg, n, 1, bytes);
        assert_string_equal(whole, bytes);
    }
}

static void sh_hex(const char *cmd, char hex[65]) {
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%64s", hex), 1);
    pclose(p);
}

static void test_files_and_folders(void **state) {
    (void)state;
    char root[256], sub[300], p[512], got[65], want[65], cmd[1200];
    pb_test_path(root, sizeof root, g_dir, "data");
    assert_int_equal(mkdir(root, 0777), 0);
    snprintf(sub, sizeof sub, "%s/train", root);
    assert_int_equal(mkdir(sub, 0777), 0);
    pb_test_write_file(p, sizeof p, root, "dev.tsv", "index\tsentence\tlabel\n0\ta b\t1\n");
    pb_test_write_file(p, sizeof p, root, "Z-upper.txt", "sorted before lower case in the C locale\n");
    pb_test_write_file(p, sizeof p, sub, "part-1.txt", "x\n");
    pb_test_write_file(p, sizeof p, root, "empty", "");
    /* a file: sha256sum */
    snprintf(p, sizeof p, "%s/dev.tsv", root);
    assert_int_equal(pb_digest_file(p, got), 0);
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", p);
    sh_hex(cmd, want);
    assert_string_equal(got, want);
    assert_int_equal(pb_digest_path(p, NULL, got), 0);
    assert_string_equal(got, want);
    /* a folder: the manifest's digest */
    assert_int_equal(pb_digest_path(root, NULL, got), 0);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && find . -type f | sed 's|^\\./||' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum", root);
    sh_hex(cmd, want);
    assert_string_equal(got, want);
    /* only the named top-level files */
    static const char *const only[] = {"dev.tsv", "empty", "missing.json", NULL};
    assert_int_equal(pb_digest_path(root, only, got), 0);
    snprintf(cmd, sizeof cmd, "cd '%s' && sha256sum dev.tsv empty | sha256sum", root);
    sh_hex(cmd, want);
    assert_string_equal(got, want);
    /* a change anywhere changes the digest */
    char before[65];
    assert_int_equal(pb_digest_path(root, NULL, before), 0);
    pb_test_write_file(p, sizeof p, sub, "part-1.txt", "y\n");
    assert_int_equal(pb_digest_path(root, NULL, got), 0);
    assert_string_not_equal(got, before);
    /* missing paths name themselves */
    snprintf(p, sizeof p, "%s/nope", root);
    assert_int_equal(pb_digest_path(p, NULL, got), PB_ENOTFOUND);
    assert_non_null(strstr(pb_error_msg(), "nope"));
    assert_int_equal(pb_digest_file(p, got), PB_ENOTFOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_files_and_folders),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
