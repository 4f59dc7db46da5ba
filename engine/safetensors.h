/* Hugging Face safetensors checkpoints and model folders.
 *
 * Format: 8-byte little-endian u64 N, N bytes of UTF-8 JSON mapping tensor
 * name -> {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative
 * to the first byte after the header) plus an optional "__metadata__" object
 * of string -> string, then the data buffer (little-endian, C order). */
#ifndef PB_SAFETENSORS_H
#define PB_SAFETENSORS_H

#include "config.h"
#include "model.h"

/* Largest header accepted (the reference implementation's limit). */
#define PB_SAFETENSORS_MAX_HEADER ((unsigned long long)100 * 1000 * 1000)

/* Load parameters into an initialized model by Hugging Face name. Names are
 * accepted with or without the model's `bert.` / `roberta.` prefix. F32, F64,
 * F16 and BF16 tensors are converted exactly to f32; other known dtypes are
 * accepted only for tensors the model lacks. Tensors the model lacks are
 * counted in *n_extra (position_ids buffers, pretraining heads); the tied
 * decoder weight (`cls.predictions.decoder.weight`, `lm_head.decoder.weight`)
 * is ignored when it equals the word embeddings and counted as extra
 * otherwise. Model tensors absent from the file are an error unless
 * allow_missing (then they keep their values and are counted in *n_missing).
 * The whole header (types, offsets, overlaps, shapes, missing tensors) is
 * checked before any parameter is written; only an I/O error or a non-finite
 * value found while reading the data can leave the model partly loaded.
 * Either count pointer may be NULL. */
int pb_safetensors_load(pb_model *m, const char *path, int allow_missing, int *n_missing, int *n_extra);

/* pb_safetensors_load with the details, as Hugging Face's loading info
 * reports them: which model tensors the file had (loaded, when the caller
 * passes an [n_params] array), every tensor of the file the model does not use
 * ("unexpected", by its name in the file) and every model tensor the file
 * lacks ("missing": it keeps its value, the newly initialized head of a
 * pretraining checkpoint), plus the first unexpected names as one text
 * (comma-separated, "..." when cut). The lists are allocated on success and
 * freed by pb_st_report_free (also after pb_hf_folder_load and
 * pb_io_load_checkpoint_report); on error nothing is left to free. */
typedef struct {
    int n_missing, n_extra;
    unsigned char *loaded; /* optional, caller's [n_params]; 1 where the file had the tensor */
    char extra[512];
    char **unexpected; /* [n_extra] names in the file, in header order */
    char **missing;    /* [n_missing] model parameter names, in parameter-table order */
} pb_st_report;
int pb_safetensors_load_report(pb_model *m, const char *path, int allow_missing, pb_st_report *rep);
void pb_st_report_free(pb_st_report *rep);
/* The growable name lists of a report: append a copy of name to *list of *n
 * names (PB_ENOMEM), and free a list of n names. */
int pb_st_names_push(char ***list, int *n, const char *name);
void pb_st_names_free(char **list, int n);

/* Write every parameter as F32 under its Hugging Face name. Tensors appear in
 * the engine's table order (header keys and data buffer alike, contiguous, no
 * gaps) after "__metadata__": {"format": "pt"}; the header is padded with
 * spaces to a multiple of 8 bytes. Readers accept any order; the table order
 * keeps the output deterministic and the buffer laid out as in memory.
 * Atomic (temp file + rename). */
int pb_safetensors_save(const pb_model *m, const char *path);

/* Hugging Face architecture name for the model type and head, e.g.
 * "BertForSequenceClassification", "RobertaForMaskedLM". */
const char *pb_hf_architecture(pb_model_type type, pb_head_kind head);

/* Write dir/config.json (pb_config_to_hf_json: the config with
 * "architectures", id2label and label2id; floats in their shortest form;
 * num_labels 1 for a regression head) and dir/model.safetensors; dir is
 * created if absent. labels: the class names (NULL: LABEL_0, LABEL_1, ...). */
int pb_hf_folder_save(const pb_model *m, const char *dir);
int pb_hf_folder_save_labels(const pb_model *m, const char *dir, const pb_config_labels *labels);
/* Read dir/config.json through pb_config_load_json. */
int pb_hf_folder_load_config(const char *dir, pb_config *cfg);
/* The id2label names of dir/config.json (pb_config_parse_labels; n = 0 when none). */
int pb_hf_folder_load_labels(const char *dir, pb_config_labels *labels);

/* Build a model from a Hugging Face folder (config.json + model.safetensors):
 * the config's shape, head `head` (num_labels overrides the config's for a
 * classification head when > 0), capacity max_rows x max_seq; every weight
 * starts from Hugging Face's initialization (normal(0, 0.02) with `seed`,
 * LayerNorm 1/0, biases 0) and the file's tensors replace it. The embeddings
 * and encoder must all be in the file (PB_ENOTFOUND names the first absent
 * one); the pooler and task head may be absent (a pretraining checkpoint)
 * and are counted and named in rep (n_missing, missing); tensors the model
 * lacks are reported in rep (n_extra, unexpected, extra). Free rep with
 * pb_st_report_free. On error the model is freed and rep holds nothing to
 * free. rep may be NULL. */
int pb_hf_folder_load(pb_model *m, const char *dir, pb_head_kind head, int num_labels, int max_rows, int max_seq,
                      uint64_t seed, pb_st_report *rep);

#endif
