/* The resumable training state: a save/load round trip restores every array
 * bit for bit; a state from another run, or a damaged file, is refused. */
#include <stdlib.h>
#include <string.h>

#include "optim.h"
#include "rng.h"
#include "testutil.h"
#include "trainstate.h"

PB_TEST_TMPDIR_FIXTURE("trainstate")

static void make(pb_model *m, pb_adamw *o) {
    pb_config c;
    pb_test_config(&c, PB_MODEL_BERT, 40, 16, 2, 2, 32, 20);
    assert_int_equal(pb_model_init(m, &c, PB_HEAD_CLS, 2, 8), 0);
    assert_int_equal(pb_adamw_init(o, m), 0);
    assert_int_equal(pb_model_masks_enable(m), 0);
}

static void test_round_trip(void **state) {
    (void)state;
    pb_model a, b;
    pb_adamw oa, ob;
    make(&a, &oa);
    make(&b, &ob);
    pb_model_init_weights(&a, 3);
    for (size_t j = 0; j < a.n_floats; j++) {
        oa.m[j] = pb_rng_normal(4, j);
        oa.v[j] = fabsf(pb_rng_normal(5, j));
    }
    for (size_t j = 0; j < a.n_mask_floats; j++) a.masks_mem[j] = (float)(pb_rng_u64(6, j) & 1);
    oa.step = 17;
    float method[5] = {1, 2, 3, 4, 5}, curves[6] = {0.5f, 1e-3f, 0.1f, 0.4f, 9e-4f, 0.2f};
    pb_trainstate st = {17, 0x123456789abcdef0ULL, 0.7, "run: a", method, 5, curves, 2, 3};
    char path[512];
    pb_test_path(path, sizeof path, g_dir, "state.h5");
    assert_int_equal(pb_trainstate_save(path, &a, &oa, &st), 0);

    float method_b[5] = {0};
    pb_trainstate sb = {0, 0, 0, "run: a", method_b, 5, NULL, 0, 3};
    int rc = pb_trainstate_load(path, &b, &ob, &sb);
    if (rc) print_error("%s\n", pb_error_msg());
    assert_int_equal(rc, 0);
    assert_memory_equal(a.params_mem, b.params_mem, a.n_floats * sizeof(float));
    assert_memory_equal(a.masks_mem, b.masks_mem, a.n_mask_floats * sizeof(float));
    assert_memory_equal(oa.m, ob.m, oa.n * sizeof(float));
    assert_memory_equal(oa.v, ob.v, oa.n * sizeof(float));
    assert_memory_equal(method, method_b, sizeof method);
    assert_int_equal(sb.step, 17);
    assert_int_equal(ob.step, 17);
    assert_true(sb.seed == 0x123456789abcdef0ULL);
    assert_true(sb.applied_sparsity == 0.7);
    assert_int_equal(sb.n_curve_rows, 2);
    assert_memory_equal(sb.curves, curves, sizeof curves);
    free(sb.curves);

    /* another run's state is refused, naming the file */
    pb_trainstate other = {0, 0, 0, "run: b", method_b, 5, NULL, 0, 3};
    assert_int_equal(pb_trainstate_load(path, &b, &ob, &other), PB_EINVAL);
    PB_ASSERT_MSG_HAS("different run config");
    PB_ASSERT_MSG_HAS("state.h5");
    /* a model of another size is refused, naming the array */
    pb_model c;
    pb_adamw oc;
    pb_config cfg;
    pb_test_config(&cfg, PB_MODEL_BERT, 41, 16, 2, 2, 32, 20);
    assert_int_equal(pb_model_init(&c, &cfg, PB_HEAD_CLS, 2, 8), 0);
    assert_int_equal(pb_adamw_init(&oc, &c), 0);
    pb_trainstate sc = {0, 0, 0, "run: a", NULL, 0, NULL, 0, 3};
    assert_int_equal(pb_trainstate_load(path, &c, &oc, &sc), PB_ESHAPE);
    PB_ASSERT_MSG_HAS("params");
    /* a missing file */
    pb_test_path(path, sizeof path, g_dir, "none.h5");
    assert_true(pb_trainstate_load(path, &b, &ob, &sb) < 0);
    PB_ASSERT_MSG_HAS("none.h5");
    pb_adamw_free(&oa); pb_adamw_free(&ob); pb_adamw_free(&oc);
    pb_model_free(&a); pb_model_free(&b); pb_model_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip)};
    return cmocka_run_group_tests_name("trainstate", tests, setup, teardown);
}
