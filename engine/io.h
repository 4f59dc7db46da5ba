/* HDF5 files of the engine: the native checkpoint (one float32 dataset per
 * parameter at the root, named by its Hugging Face name, root attribute
 * `config` holding config.json text, and optionally the group `tokenizer`
 * holding the tokenizer's files), input batches and gradient dumps. */
#ifndef PB_IO_H
#define PB_IO_H

#include <stddef.h>

#include "config.h"
#include "model.h"
#include "safetensors.h"

/* Read only the `config` attribute of a checkpoint. */
int pb_io_read_checkpoint_config(const char *path, pb_config *cfg);
/* Load parameters into an initialized model. Every model parameter must be
 * present with the right shape unless allow_missing (then missing tensors keep
 * their values and are reported through *n_missing). Extra datasets are
 * counted in *n_extra (the tokenizer group is not one; either pointer may be
 * NULL). */
int pb_io_load_checkpoint(pb_model *m, const char *path, int allow_missing, int *n_missing, int *n_extra);
/* The same with the names, in the safetensors report (safetensors.h):
 * rep->unexpected the root datasets that are not parameters of m, rep->missing
 * the parameters the file lacks (kept as they were), rep->loaded (when the
 * caller sets it to an [n_params] array) which it had. Free the lists with
 * pb_st_report_free; on error there is nothing to free. */
int pb_io_load_checkpoint_report(pb_model *m, const char *path, int allow_missing, pb_st_report *rep);
/* Write every parameter and the config; atomic (temp file + rename). */
int pb_io_save_checkpoint(const pb_model *m, const char *path);

/* The tokenizer a checkpoint remembers, so that an export is a folder that
 * loads again: group `tokenizer` with one uint8 [size] dataset per file,
 * named by its file name in a model folder and holding its bytes. Known
 * names: tokenizer.json, vocab.txt, vocab.json, merges.txt,
 * tokenizer_config.json, special_tokens_map.json (others are not written and
 * are ignored when read). */
#define PB_IO_TOKENIZER_GROUP "tokenizer"
#define PB_IO_TOKENIZER_MAX_FILES 8
#define PB_IO_TOKENIZER_MAX_BYTES ((unsigned long long)1 << 30)
typedef struct {
    int n;
    char name[PB_IO_TOKENIZER_MAX_FILES][32];
    unsigned char *data[PB_IO_TOKENIZER_MAX_FILES]; /* owned */
    size_t size[PB_IO_TOKENIZER_MAX_FILES];
} pb_io_tokenizer;
void pb_io_tokenizer_free(pb_io_tokenizer *t);
/* The files of a tokenizer path as the tokenizer loader (tasks/tok.h) reads
 * them: of a folder, those of the known names it has (none is not an error:
 * n = 0); one file is a tokenizer.json when it ends in .json, else a
 * vocab.txt. Errors name the file. */
int pb_io_tokenizer_from_path(pb_io_tokenizer *t, const char *path);
/* Those a checkpoint keeps (n = 0 when it has none). */
int pb_io_read_checkpoint_tokenizer(const char *path, pb_io_tokenizer *t);
/* Write each file into the existing folder dir (atomically, one by one). */
int pb_io_tokenizer_write(const pb_io_tokenizer *t, const char *dir);
/* The class names the checkpoint's config carries (its id2label; n = 0 when none). */
int pb_io_read_checkpoint_labels(const char *path, pb_config_labels *labels);
/* pb_io_save_checkpoint plus the tokenizer's files (tok NULL or empty: none)
 * and, when labels has names, id2label / label2id in the config text
 * (pb_config_to_hf_json; NULL: pb_config_to_json's text). */
int pb_io_save_checkpoint_ex(const pb_model *m, const char *path, const pb_io_tokenizer *tok,
                             const pb_config_labels *labels);

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
