/* Model configuration in Hugging Face config.json terms. */
#ifndef PB_CONFIG_H
#define PB_CONFIG_H

#include <stddef.h>

typedef enum { PB_MODEL_BERT = 0, PB_MODEL_ROBERTA = 1 } pb_model_type;

typedef struct {
    pb_model_type model_type;
    int vocab_size;
    int hidden_size;
    int num_hidden_layers;
    int num_attention_heads;
    int intermediate_size;
    int max_position_embeddings;
    int type_vocab_size;
    float layer_norm_eps;
    float hidden_dropout_prob;
    float attention_probs_dropout_prob;
    int pad_token_id;
    int num_labels; /* from num_labels, or the size of id2label; default 2 */
} pb_config;

/* BERT-base-like defaults scaled by the caller; model_type bert. */
void pb_config_default(pb_config *cfg);
/* Check every field; errors name the field and what was expected. */
int pb_config_validate(const pb_config *cfg);
/* Parse config.json text. `source` names the file in error messages (syntax
 * errors as source:line:column). model_type "bert" or "roberta" is required;
 * absent keys take Hugging Face's class defaults (RoBERTa: vocab 50265, pad 1);
 * num_labels is the key or the size of id2label (both present must agree);
 * hidden_act other than "gelu" and position_embedding_type other than
 * "absolute" are rejected; unknown keys are ignored. The result is validated. */
int pb_config_parse_json(pb_config *cfg, const char *json_text, const char *source);
int pb_config_load_json(pb_config *cfg, const char *path);
/* Serialize to config.json text (Hugging Face keys; floats in the shortest
 * form that parses back to the same float: the first of %.1g .. %.17g whose
 * strtod is the float, so 1e-12 rather than 9.9999999999999998e-13). Caller
 * frees with free(). */
int pb_config_to_json(const pb_config *cfg, char **out_text);

/* Class names of a classification config, in id order (id2label). */
typedef struct {
    int n;
    char **names; /* [n], owned */
} pb_config_labels;
void pb_config_labels_free(pb_config_labels *l);
/* The id2label names of config.json text (n = 0, names NULL when the key is
 * absent or its keys are not exactly "0" .. "n-1" with string values). Errors
 * only for JSON syntax (source:line:column) and memory. */
int pb_config_parse_labels(const char *json_text, const char *source, pb_config_labels *out);
/* config.json as Hugging Face writes it: pb_config_to_json's keys and values,
 * then "architectures": [architecture] (omitted when NULL), "id2label"
 * {"0": name, ...} and "label2id" {name: 0, ...} with num_labels entries: the
 * names of labels when it has exactly num_labels distinct UTF-8 names, else
 * LABEL_0, LABEL_1, ... (Hugging Face's defaults). Parses back to the same
 * pb_config. Caller frees *out_text. */
int pb_config_to_hf_json(const pb_config *cfg, const char *architecture, const pb_config_labels *labels,
                         char **out_text);

#endif
