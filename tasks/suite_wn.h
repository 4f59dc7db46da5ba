/* The WordNet tasks of the embedded suite, generated from WordNet 3.0's data
 * files (wordnet.h) for a BERT-tiny pretrained on masked LM over mail text and
 * the glosses and examples of TRAIN-split synsets.
 *
 * One split rule: every item is anchored on one synset and its split is
 * pb_suite_split(anchor id) ("n02084071"); within a split anchors are taken
 * in order of pb_suite_hash(id) (ties by id) up to the cap (train 6000 items,
 * dev and test 1000 each; wn-pair takes 2000 / 333 / 333 anchors of 3 items).
 * Other synsets an item mentions (hypernyms, distractors, genus words) may
 * belong to any split: only the anchor's own gloss and examples are held out
 * of pretraining.
 * All random choices are ranked by pb_suite_hash of "<anchor id>/<tag>/<other
 * id>", so the output depends on WordNet's content only (not line order).
 * Lemmas are written with spaces for '_'; no text holds a tab or newline.
 *
 *   wn-pair    GLUE-like TSV "index\tsentence1\tsentence2\tlabel", labels
 *              hypernym / sibling / unrelated, files train.tsv, dev.tsv,
 *              test.tsv (labelled). Anchors: noun and verb synsets with a
 *              hypernym (@ or @i), a sibling and an unrelated partner; each
 *              anchor A gives all three items, so the classes are exactly
 *              balanced and sentence1 alone says nothing about the label.
 *              sentence1 = "lemma: definition" of A, sentence2 = "lemma:
 *              definition" of B. WordNet glosses are genus + differentia, so
 *              word overlap is a partial cue (A's gloss often names its
 *              hypernym; co-hyponyms often share the genus word). Measured on
 *              WordNet 3.0's dev split: a hand-written overlap rule scores 69%
 *              with B's gloss and 54-59% with B's lemmas only (chance 33%), so
 *              glosses do not make the task trivial, while the unrelated
 *              partner from the same lexicographer file keeps the topic from
 *              being a cue; beyond overlap, telling a sibling from an
 *              unrelated synset of the same file needs knowledge. (B without
 *              a definition: its lemmas, up to 3.) hypernym = a direct
 *              hypernym of A; sibling = a co-hyponym (shares a direct
 *              hypernym) or an antonym; unrelated = a synset of A's
 *              lexicographer file (noun.animal, verb.motion, ...) that is not
 *              A, an ancestor, descendant, sibling, cousin or antonym of A
 *              (nor a child or sibling of A's parents or grandparents): the
 *              first such synset of the file (in offset order) at or after a
 *              hashed position, cyclically.
 *   wn-span    SQuAD v1.1 JSON train-v1.1.json, dev-v1.1.json, test-v1.1.json,
 *              one article ("title" = anchor id) and paragraph per item, qa id
 *              = anchor id. Anchors: noun and verb synsets whose gloss names
 *              their genus: the first whole-word mention of a lemma of a
 *              direct hypernym, else of the last word of a multiword one
 *              ("bat" of "leafnose bat"). context = A's dictionary entry
 *              "<lemma>: <gloss>; "<example>"; ... ."; question = "What kind
 *              of thing is <lemma>?" (verbs: "What kind of action is to
 *              <lemma>?"); answer = that genus mention, answer_start in
 *              characters. stats.json adds two dev baselines: a uniformly
 *              random context word (chance) and the gloss's first word after
 *              an article (a parse heuristic). The first design (A's
 *              gloss as question over five "word: gloss." entries, the word as
 *              answer) left a BERT-tiny below picking an entry at random: it
 *              memorized words instead of matching question and entry.
 *   wn-choice  CommonsenseQA JSONL train_rand_split.jsonl, dev_rand_split.jsonl,
 *              test_rand_split_no_answers.jsonl (the test file KEEPS answerKey
 *              so the loader scores it). Anchors as wn-span's, the genus
 *              mentioned once. stem = "<lemma> is a kind of" (verbs: "to
 *              <lemma> is a way to"); choices = the genus and the genus words
 *              of 4 other synsets of A's lexicographer file (drawn at
 *              key(A, "choice-g", j) % bucket size for j = 0, 1, ...; distinct
 *              case-insensitively, none a lemma of A); the right position is
 *              key(A, "choice-pos") % 5; question_concept = A's lemma. The
 *              issue's first design (A's gloss as stem, A's lemma against
 *              co-hyponyms) stayed at the majority class with a BERT-tiny.
 *   wn-blank   WinoGrande JSONL train_xl.jsonl, dev.jsonl, test.jsonl: the first
 *              example sentence of A holding one of A's lemmas as a whole word
 *              (case-insensitive; letters, digits, '-' and '\'' are word
 *              characters) exactly once, with that occurrence replaced by
 *              "_"; options = the occurrence as written and a distractor: an
 *              antonym of A when there is one (like WinoGrande's twin
 *              sentences), else (adjective satellites) an antonym of its head
 *              ("a _ brute": reasonless / rational), else a co-hyponym, else a
 *              similar-to neighbour (near-synonyms, the hardest and rarest
 *              case); its first letter is upper-cased when the occurrence's
 *              is. An "a"/"an" right before the word is blanked with it ("an _
 *              turn" would give "unfortunate" away): options "a fortunate" /
 *              "an unfortunate", the distractor's article by its first letter.
 *              Order by hash.
 *
 * Corpus: for each TRAIN synset in file order, "lemma, lemma: definition" and
 * then each example sentence, one line each; a line whose definition or
 * example equals the text of a dev/test synset is left out (WordNet repeats
 * some examples across senses), so no held-out anchor text is pretrained on. */
#ifndef PB_TASKS_SUITE_WN_H
#define PB_TASKS_SUITE_WN_H

enum { PB_SUITE_WN_TRAIN_CAP = 6000, PB_SUITE_WN_EVAL_CAP = 1000 };

/* Load wordnet_dir/data.{noun,verb,adj,adv} and write suite_root/wn-pair,
 * wn-span, wn-choice, wn-blank (with stats.json each) and corpus_path (the
 * WordNet part of the pretraining corpus). A missing data file gives
 * PB_ENOTFOUND telling the user to run `make data`. */
int pb_suite_wn_build(const char *wordnet_dir, const char *suite_root, const char *corpus_path);

#endif
