/* HDF5 files of the engine: the native checkpoint (one float32 dataset per
 * parameter at the root, named by its Hugging Face name, root attribute
 * `config` holding config.json text), input batches and gradient dumps. */
#ifndef PB_IO_H
#define PB_IO_H

#include "model.h"

/* Read only the `config` attribute of a checkpoint. */
int pb_io_read_checkpoint_config(const char *path, pb_config *cfg);
/* Load parameters into an initialized model. Every model parameter must be
 * present with the right shape unless allow_missing (then missing tensors keep
 * their values and are reported through *n_missing). Extra datasets are
 * counted in *n_extra (either pointer may be NULL). */
int pb_io_load_checkpoint(pb_model *m, const char *path, int allow_missing, int *n_missing, int *n_extra);
/* Write every parameter and the config; atomic (temp file + rename). */
int pb_io_save_checkpoint(const pb_model *m, const char *path);

/* A batch read from HDF5 owns its arrays. */
typedef struct {
    pb_batch b;
    int32_t *input_ids, *attention_mask, *token_type_ids, *labels, *start_positions, *end_positions;
    float *labels_f;
} pb_io_batch;

/* B.h5: int32 input_ids, attention_mask, optional token_type_ids ([n, seq] or
 * [n, choices, seq] for mc); labels int32 (float32 for reg), or [n, seq] for
 * mlm; start_positions / end_positions for span. Every shape is checked
 * against input_ids; ids and token types must be >= 0, the mask 0/1 with at
 * least one 1 per row, mc labels in [0, choices), mlm labels >= 0 or -100.
 * Upper bounds that need the model (vocab, type vocab, num_labels, max
 * positions) are the caller's to check. */
int pb_io_read_batch(pb_io_batch *out, const char *path, pb_head_kind head);
void pb_io_batch_free(pb_io_batch *b);

/* Read the float dataset `name` (a path inside the file, e.g. "teacher_logits")
 * of exactly `ndim` dims `shape` (ndim 0: scalar) into out, converting from
 * float64 if stored so; non-finite values are rejected. */
int pb_io_read_tensor(const char *path, const char *name, int ndim, const int *shape, float *out);

/* G.h5: float32 `logits` (shape per head, from the last forward), scalar
 * `loss`, grad/<name> for every parameter, root attribute `head`; atomic. */
int pb_io_write_grads(const pb_model *m, float loss, const char *path);

#endif
