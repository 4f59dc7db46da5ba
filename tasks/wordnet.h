/* WordNet 3.0 database files (wndb(5)): data.noun, data.verb, data.adj and
 * data.adv read whole into memory.
 *
 * A data line: `synset_offset lex_filenum ss_type w_cnt word lex_id [word
 * lex_id...] p_cnt [ptr...] [frames...] | gloss`, fields separated by one
 * space: offset 8 decimal digits, lex_filenum 2 decimal digits, ss_type one
 * of n v a s r (s, an adjective satellite, lives in data.adj), w_cnt 2 hex
 * digits, lex_id 1 hex digit, p_cnt 3 decimal digits, a pointer `symbol
 * offset pos source/target` (4 hex digits: source word number, target word
 * number; 0000 = between synsets), verb frames (data.verb only) `f_cnt` (2
 * decimal digits) then f_cnt times `+ f_num w_num`. Adjective words may end
 * in a syntactic marker "(a)", "(p)" or "(ip)", stripped from the lemma and
 * kept in `marker`. Lines that begin with two spaces are the license header.
 *
 * The gloss is split as NLTK's WordNet reader does it: the examples are the
 * texts between successive pairs of double quotes (re.findall(r'"([^"]*)"')),
 * the definition is the gloss with every quoted part removed, stripped of
 * whitespace and then of "; " characters at both ends. */
#ifndef PB_TASKS_WORDNET_H
#define PB_TASKS_WORDNET_H

#include <stddef.h>
#include <stdint.h>

/* Files in load order; a synset's `file` indexes these. */
enum { PB_WN_NOUN = 0, PB_WN_VERB = 1, PB_WN_ADJ = 2, PB_WN_ADV = 3, PB_WN_FILES = 4 };

typedef struct {
    char symbol[3];      /* pointer_symbol, e.g. "@", "@i", "~", "!", "&", "#m" */
    uint8_t source;      /* word number in this synset (1-based), 0 = the whole synset */
    uint8_t target_word; /* word number in the target synset, 0 = the whole synset */
    int32_t target;      /* index of the target in pb_wordnet.synsets */
} pb_wn_ptr;

typedef struct {
    char id[12];         /* stable id: ss_type then the 8-digit offset, e.g. "n02084071" */
    char pos;            /* ss_type: 'n', 'v', 'a', 's' or 'r' */
    uint8_t file;        /* PB_WN_NOUN ... PB_WN_ADV */
    uint8_t lex_filenum; /* lexicographer file (e.g. 5 = noun.animal) */
    uint32_t offset;
    long line; /* line in its data file */
    int n_lemmas;
    const char *const *lemmas;  /* words as in the file ('_' for spaces), marker stripped */
    const char *const *markers; /* "" or "a", "p", "ip" (adjectives) */
    const uint8_t *lex_ids;
    const char *definition; /* the gloss without its examples */
    int n_examples;
    const char *const *examples;
    int n_ptrs;
    const pb_wn_ptr *ptrs;
} pb_wn_synset;

typedef struct {
    pb_wn_synset *synsets; /* data.noun's, then data.verb's, data.adj's, data.adv's, each sorted by offset */
    int32_t n;
    int32_t begin[PB_WN_FILES + 1]; /* synsets of file f: [begin[f], begin[f + 1]) */
    /* storage behind the pointers above */
    char *text[PB_WN_FILES];
    char *defs[PB_WN_FILES];
    const char **strs;
    uint8_t *bytes;
    pb_wn_ptr *ptrs;
} pb_wordnet;

/* Load dir/data.noun, data.verb, data.adj and data.adv (each required; a file
 * with only the license header is accepted). Errors name the file and line:
 * a field missing or malformed (truncated line), a count that disagrees with
 * the fields present, an ss_type that does not belong in the file, a repeated
 * offset, a pointer to a synset that is not in the files. *wn is zeroed on
 * error. */
int pb_wordnet_load(pb_wordnet *wn, const char *dir);
void pb_wordnet_free(pb_wordnet *wn);

/* Index of the synset at `offset` in the file of pos ('s' = 'a': data.adj), or -1. */
int32_t pb_wordnet_find(const pb_wordnet *wn, char pos, uint32_t offset);
/* Index of the synset with stable id such as "n02084071" (the pos letter must
 * be the synset's own ss_type), or -1. */
int32_t pb_wordnet_find_id(const pb_wordnet *wn, const char *id);

#endif
