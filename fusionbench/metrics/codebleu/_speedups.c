/*
 * fusionbench.metrics.codebleu._speedups: an optional compiled accelerator for CodeBLEU's
 * n-gram statistics (the BLEU and keyword-weighted BLEU components).
 *
 * One call, ngram_stats_many(pairs, keywords), computes for every (prediction, reference) pair
 * of strings the same numbers as the pure-Python ngram.ngram_stats, with the same Python types:
 *
 *   (matches[4], hyp_ngrams[4], weighted_matches[4], ref_ngrams[4], hyp_len, ref_len)
 *
 * Why it is faster: tokens (exactly str.split(), via PyUnicode_Split) are interned once per call
 * to dense integer ids in a hash table keyed by the str objects' cached hashes, and n-grams are
 * counted on those ids in C hash tables instead of Python Counters of tuples.
 *
 * Exactness (see ngram.py): the weighted unigram numerator and denominator are summed in the
 * official order (reference token types in first-occurrence order) starting from the int 0, so
 * they stay Python ints while every term is an int (keyword weight 1) and become floats at the
 * first 0.2-weighted term; each float product is stored before it is added, so that a compiler
 * cannot fuse the multiply and the add (FMA) and change the last bit.  max(1, x) returns the
 * int 1 unless x > 1, as Python's max does.  For n >= 2 the clipped matches of both components
 * are the same integer: the sum over n-grams present in both token lists of min(counts).
 *
 * The keyword set is passed in by the caller (ngram.PYTHON_KEYWORDS), not repeated here.
 * The weights (1 for a keyword, 0.2 otherwise) are ngram.KEYWORD_WEIGHT / OTHER_WEIGHT; ngram.py
 * refuses to use this module if those constants ever change.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_ORDER 4
#define OTHER_WEIGHT 0.2
#define PERTURB_SHIFT 5

/* ---------------------------------------------------------------- token interning */

typedef struct {
    PyObject *key;   /* strong reference; NULL marks an empty slot */
    Py_hash_t hash;
    Py_ssize_t id;
} TokenSlot;

typedef struct {
    TokenSlot *slots;
    size_t mask;                 /* slot count - 1 (a power of two minus one) */
    Py_ssize_t count;            /* ids handed out */
    Py_ssize_t id_cap;           /* capacity of the per-id arrays */
    unsigned char *keyword;      /* per id: 1 if a Python keyword */
    Py_hash_t *token_hash;       /* per id: the str hash (seeds the n-gram hashes) */
    Py_ssize_t *hyp_count;       /* per id: scratch unigram counts of the current pair */
    Py_ssize_t *ref_count;
} Vocab;

static void
vocab_free(Vocab *v)
{
    if (v->slots != NULL) {
        for (size_t i = 0; i <= v->mask; i++) {
            Py_XDECREF(v->slots[i].key);
        }
    }
    PyMem_Free(v->slots);
    PyMem_Free(v->keyword);
    PyMem_Free(v->token_hash);
    PyMem_Free(v->hyp_count);
    PyMem_Free(v->ref_count);
    memset(v, 0, sizeof(*v));
}

static int
vocab_init(Vocab *v)
{
    memset(v, 0, sizeof(*v));
    size_t slots = 1024;
    v->slots = PyMem_Calloc(slots, sizeof(TokenSlot));
    v->mask = slots - 1;
    v->id_cap = 256;
    v->keyword = PyMem_Calloc((size_t)v->id_cap, 1);
    v->token_hash = PyMem_Calloc((size_t)v->id_cap, sizeof(Py_hash_t));
    v->hyp_count = PyMem_Calloc((size_t)v->id_cap, sizeof(Py_ssize_t));
    v->ref_count = PyMem_Calloc((size_t)v->id_cap, sizeof(Py_ssize_t));
    if (!v->slots || !v->keyword || !v->token_hash || !v->hyp_count || !v->ref_count) {
        vocab_free(v);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The empty slot for hash in a table with this mask (CPython's dict probe sequence). */
static size_t
token_probe_empty(TokenSlot *slots, size_t mask, Py_hash_t hash)
{
    size_t perturb = (size_t)hash;
    size_t i = (size_t)hash & mask;
    while (slots[i].key != NULL) {
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & mask;
    }
    return i;
}

static int
vocab_grow_slots(Vocab *v)
{
    size_t old_size = v->mask + 1, new_size = old_size * 2;
    if (new_size > PY_SSIZE_T_MAX / sizeof(TokenSlot)) {
        PyErr_NoMemory();
        return -1;
    }
    TokenSlot *fresh = PyMem_Calloc(new_size, sizeof(TokenSlot));
    if (fresh == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < old_size; i++) {
        if (v->slots[i].key != NULL) {
            fresh[token_probe_empty(fresh, new_size - 1, v->slots[i].hash)] = v->slots[i];
        }
    }
    PyMem_Free(v->slots);
    v->slots = fresh;
    v->mask = new_size - 1;
    return 0;
}

static int
vocab_grow_ids(Vocab *v)
{
    Py_ssize_t old_cap = v->id_cap, new_cap = old_cap * 2;
    if ((size_t)new_cap > PY_SSIZE_T_MAX / sizeof(Py_ssize_t)) {
        PyErr_NoMemory();
        return -1;
    }
    unsigned char *kw = PyMem_Realloc(v->keyword, (size_t)new_cap);
    if (kw == NULL) goto nomem;
    v->keyword = kw;
    Py_hash_t *th = PyMem_Realloc(v->token_hash, (size_t)new_cap * sizeof(Py_hash_t));
    if (th == NULL) goto nomem;
    v->token_hash = th;
    Py_ssize_t *hc = PyMem_Realloc(v->hyp_count, (size_t)new_cap * sizeof(Py_ssize_t));
    if (hc == NULL) goto nomem;
    v->hyp_count = hc;
    Py_ssize_t *rc = PyMem_Realloc(v->ref_count, (size_t)new_cap * sizeof(Py_ssize_t));
    if (rc == NULL) goto nomem;
    v->ref_count = rc;
    memset(v->hyp_count + old_cap, 0, (size_t)(new_cap - old_cap) * sizeof(Py_ssize_t));
    memset(v->ref_count + old_cap, 0, (size_t)(new_cap - old_cap) * sizeof(Py_ssize_t));
    v->id_cap = new_cap;
    return 0;
nomem:
    PyErr_NoMemory();
    return -1;
}

/* The id of token (an exact str from PyUnicode_Split), interning it if new; -1 on error. */
static Py_ssize_t
vocab_id(Vocab *v, PyObject *token, PyObject *keywords)
{
    Py_hash_t hash = PyObject_Hash(token);  /* cached in the str object after the first call */
    if (hash == -1) {
        return -1;
    }
    size_t perturb = (size_t)hash;
    size_t i = (size_t)hash & v->mask;
    while (v->slots[i].key != NULL) {
        TokenSlot *slot = &v->slots[i];
        if (slot->hash == hash) {
            if (slot->key == token) {
                return slot->id;
            }
            int eq = PyUnicode_Compare(slot->key, token);
            if (eq == -1 && PyErr_Occurred()) {
                return -1;
            }
            if (eq == 0) {
                return slot->id;
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & v->mask;
    }
    /* new token */
    int is_keyword = PySet_Contains(keywords, token);
    if (is_keyword < 0) {
        return -1;
    }
    if (v->count == v->id_cap && vocab_grow_ids(v) < 0) {
        return -1;
    }
    Py_ssize_t id = v->count++;
    v->keyword[id] = (unsigned char)is_keyword;
    v->token_hash[id] = hash;
    Py_INCREF(token);
    v->slots[i].key = token;
    v->slots[i].hash = hash;
    v->slots[i].id = id;
    if ((size_t)v->count * 2 > v->mask + 1 && vocab_grow_slots(v) < 0) {
        return -1;  /* the token is already stored: vocab_free releases it */
    }
    return id;
}

/* ---------------------------------------------------------------- n-gram counting */

typedef struct {
    const Py_ssize_t *gram;  /* n ids inside the hypothesis id array */
    uint64_t hash;
    uint64_t generation;     /* the slot is in use iff this equals the table's generation */
    Py_ssize_t hyp;          /* occurrences in the hypothesis */
    Py_ssize_t ref;          /* reference occurrences matched so far (never above hyp) */
} GramSlot;

typedef struct {
    GramSlot *slots;
    size_t size;             /* allocated slots (a power of two) */
    uint64_t generation;     /* bumped per (pair, order): no clearing between uses */
} GramTable;

static inline uint64_t
gram_hash(const Py_hash_t *token_hash, const Py_ssize_t *gram, int n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    for (int k = 0; k < n; k++) {
        h ^= (uint64_t)token_hash[gram[k]];
        h *= 0xFF51AFD7ED558CCDULL;
        h ^= h >> 29;
    }
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 32;
    return h;
}

/* Clipped matches of order n: the sum over n-grams in both lists of min(hyp count, ref count). */
static Py_ssize_t
clipped_matches(GramTable *t, const Py_hash_t *token_hash,
                const Py_ssize_t *hyp, Py_ssize_t hyp_len,
                const Py_ssize_t *ref, Py_ssize_t ref_len, int n)
{
    Py_ssize_t hyp_grams = hyp_len - n + 1, ref_grams = ref_len - n + 1;
    if (hyp_grams <= 0 || ref_grams <= 0) {
        return 0;
    }
    size_t need = 16;
    while (need < (size_t)hyp_grams * 2) {
        if (need > ((size_t)PY_SSIZE_T_MAX / sizeof(GramSlot)) / 2) {
            PyErr_NoMemory();
            return -1;
        }
        need *= 2;
    }
    if (need > t->size) {
        GramSlot *fresh = PyMem_Calloc(need, sizeof(GramSlot));
        if (fresh == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        PyMem_Free(t->slots);
        t->slots = fresh;
        t->size = need;
    }
    size_t mask = need - 1;
    uint64_t generation = ++t->generation;
    size_t width = (size_t)n * sizeof(Py_ssize_t);

    for (Py_ssize_t i = 0; i < hyp_grams; i++) {
        const Py_ssize_t *gram = hyp + i;
        uint64_t h = gram_hash(token_hash, gram, n);
        size_t perturb = (size_t)h, j = (size_t)h & mask;
        for (;;) {
            GramSlot *slot = &t->slots[j];
            if (slot->generation != generation) {
                slot->generation = generation;
                slot->gram = gram;
                slot->hash = h;
                slot->hyp = 1;
                slot->ref = 0;
                break;
            }
            if (slot->hash == h && memcmp(slot->gram, gram, width) == 0) {
                slot->hyp++;
                break;
            }
            perturb >>= PERTURB_SHIFT;
            j = (j * 5 + perturb + 1) & mask;
        }
    }
    Py_ssize_t matches = 0;
    for (Py_ssize_t i = 0; i < ref_grams; i++) {
        const Py_ssize_t *gram = ref + i;
        uint64_t h = gram_hash(token_hash, gram, n);
        size_t perturb = (size_t)h, j = (size_t)h & mask;
        for (;;) {
            GramSlot *slot = &t->slots[j];
            if (slot->generation != generation) {
                break;  /* not in the hypothesis */
            }
            if (slot->hash == h && memcmp(slot->gram, gram, width) == 0) {
                if (slot->ref < slot->hyp) {
                    slot->ref++;
                    matches++;
                }
                break;
            }
            perturb >>= PERTURB_SHIFT;
            j = (j * 5 + perturb + 1) & mask;
        }
    }
    return matches;
}

/* ---------------------------------------------------------------- Python-typed sums */

/* A sum that starts as the int 0 and turns float at the first float term, like Python's. */
typedef struct {
    int is_float;
    Py_ssize_t i;
    double f;
} MixedSum;

static inline void
mixed_add_int(MixedSum *s, Py_ssize_t x)
{
    if (s->is_float) {
        s->f = s->f + (double)x;
    }
    else {
        s->i += x;
    }
}

static inline void
mixed_add_weighted(MixedSum *s, Py_ssize_t count)
{
    /* volatile: the product is rounded on its own, never fused with the addition */
    volatile double term = (double)count * OTHER_WEIGHT;
    if (s->is_float) {
        s->f = s->f + term;
    }
    else {
        s->f = (double)s->i + term;
        s->is_float = 1;
    }
}

static PyObject *
mixed_value(const MixedSum *s)
{
    return s->is_float ? PyFloat_FromDouble(s->f) : PyLong_FromSsize_t(s->i);
}

/* Python's max(1, s): s if s > 1, else the int 1. */
static PyObject *
mixed_max_one(const MixedSum *s)
{
    if (s->is_float) {
        return s->f > 1.0 ? PyFloat_FromDouble(s->f) : PyLong_FromLong(1);
    }
    return PyLong_FromSsize_t(s->i > 1 ? s->i : 1);
}

/* ---------------------------------------------------------------- per pair */

typedef struct {
    Vocab vocab;
    GramTable grams;
    Py_ssize_t *hyp, *ref, *order;
    Py_ssize_t hyp_cap, ref_cap, order_cap;
} Workspace;

static void
workspace_free(Workspace *w)
{
    vocab_free(&w->vocab);
    PyMem_Free(w->grams.slots);
    PyMem_Free(w->hyp);
    PyMem_Free(w->ref);
    PyMem_Free(w->order);
}

static int
ensure_ids(Py_ssize_t **buf, Py_ssize_t *cap, Py_ssize_t need)
{
    if (need <= *cap) {
        return 0;
    }
    Py_ssize_t new_cap = *cap > 0 ? *cap : 256;
    while (new_cap < need) {
        new_cap *= 2;
    }
    if ((size_t)new_cap > PY_SSIZE_T_MAX / sizeof(Py_ssize_t)) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t *fresh = PyMem_Realloc(*buf, (size_t)new_cap * sizeof(Py_ssize_t));
    if (fresh == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *buf = fresh;
    *cap = new_cap;
    return 0;
}

/* Split text like str.split() and store its token ids in *buf; the token count, or -1. */
static Py_ssize_t
tokenize(Workspace *w, PyObject *text, PyObject *keywords, Py_ssize_t **buf, Py_ssize_t *cap)
{
    PyObject *tokens = PyUnicode_Split(text, NULL, -1);
    if (tokens == NULL) {
        return -1;
    }
    Py_ssize_t len = PyList_GET_SIZE(tokens);
    if (ensure_ids(buf, cap, len) < 0) {
        Py_DECREF(tokens);
        return -1;
    }
    for (Py_ssize_t k = 0; k < len; k++) {
        Py_ssize_t id = vocab_id(&w->vocab, PyList_GET_ITEM(tokens, k), keywords);
        if (id < 0) {
            Py_DECREF(tokens);
            return -1;
        }
        (*buf)[k] = id;
    }
    Py_DECREF(tokens);
    return len;
}

static PyObject *
pair_stats(Workspace *w, PyObject *prediction, PyObject *reference, PyObject *keywords)
{
    Py_ssize_t hyp_len = tokenize(w, prediction, keywords, &w->hyp, &w->hyp_cap);
    if (hyp_len < 0) {
        return NULL;
    }
    Py_ssize_t ref_len = tokenize(w, reference, keywords, &w->ref, &w->ref_cap);
    if (ref_len < 0) {
        return NULL;
    }
    if (ensure_ids(&w->order, &w->order_cap, ref_len) < 0) {
        return NULL;
    }
    Vocab *v = &w->vocab;
    const Py_ssize_t *hyp = w->hyp, *ref = w->ref;

    /* unigrams: counts per id, reference types in first-occurrence order */
    for (Py_ssize_t k = 0; k < hyp_len; k++) {
        v->hyp_count[hyp[k]]++;
    }
    Py_ssize_t types = 0;
    for (Py_ssize_t k = 0; k < ref_len; k++) {
        if (v->ref_count[ref[k]]++ == 0) {
            w->order[types++] = ref[k];
        }
    }
    Py_ssize_t matches[MAX_ORDER];
    MixedSum weighted = {0, 0, 0.0}, reference_total = {0, 0, 0.0};
    matches[0] = 0;
    for (Py_ssize_t t = 0; t < types; t++) {
        Py_ssize_t id = w->order[t];
        Py_ssize_t rc = v->ref_count[id], hc = v->hyp_count[id];
        Py_ssize_t clipped = rc < hc ? rc : hc;
        matches[0] += clipped;
        if (v->keyword[id]) {
            mixed_add_int(&weighted, clipped);
            mixed_add_int(&reference_total, rc);
        }
        else {
            mixed_add_weighted(&weighted, clipped);
            mixed_add_weighted(&reference_total, rc);
        }
    }
    for (Py_ssize_t k = 0; k < hyp_len; k++) {
        v->hyp_count[hyp[k]] = 0;
    }
    for (Py_ssize_t t = 0; t < types; t++) {
        v->ref_count[w->order[t]] = 0;
    }

    for (int n = 2; n <= MAX_ORDER; n++) {
        matches[n - 1] = clipped_matches(&w->grams, v->token_hash, hyp, hyp_len, ref, ref_len, n);
        if (matches[n - 1] < 0) {
            return NULL;
        }
    }
    Py_ssize_t hyp_ngrams[MAX_ORDER], ref_ngrams[MAX_ORDER];
    for (int n = 1; n <= MAX_ORDER; n++) {
        hyp_ngrams[n - 1] = hyp_len - n + 1 > 1 ? hyp_len - n + 1 : 1;
        ref_ngrams[n - 1] = ref_len - n + 1 > 1 ? ref_len - n + 1 : 1;
    }
    PyObject *weighted_1 = mixed_value(&weighted);
    if (weighted_1 == NULL) {
        return NULL;
    }
    PyObject *ref_ngrams_1 = mixed_max_one(&reference_total);
    if (ref_ngrams_1 == NULL) {
        Py_DECREF(weighted_1);
        return NULL;
    }
    PyObject *result = Py_BuildValue(
        "((nnnn)(nnnn)(Onnn)(Onnn)nn)",
        matches[0], matches[1], matches[2], matches[3],
        hyp_ngrams[0], hyp_ngrams[1], hyp_ngrams[2], hyp_ngrams[3],
        weighted_1, matches[1], matches[2], matches[3],
        ref_ngrams_1, ref_ngrams[1], ref_ngrams[2], ref_ngrams[3],
        hyp_len, ref_len);
    Py_DECREF(weighted_1);
    Py_DECREF(ref_ngrams_1);
    return result;
}

/* ---------------------------------------------------------------- module */

PyDoc_STRVAR(ngram_stats_many_doc,
"ngram_stats_many(pairs, keywords, /)\n--\n\n"
"For each (prediction, reference) pair of str, the tuple (matches, hyp_ngrams,\n"
"weighted_matches, ref_ngrams, hyp_len, ref_len) exactly as ngram.ngram_stats computes it\n"
"(the first four are 4-tuples).  keywords: the set of tokens weighted 1 (others 0.2).\n"
"Raises TypeError for anything but a sequence of 2-item pairs of str and a set.");

static PyObject *
ngram_stats_many(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "ngram_stats_many() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *keywords = args[1];
    if (!PyAnySet_Check(keywords)) {
        PyErr_Format(PyExc_TypeError, "ngram_stats_many(): keywords must be a set or frozenset, not %.100s",
                     Py_TYPE(keywords)->tp_name);
        return NULL;
    }
    /* a private tuple: nothing can change the sequence while it is read */
    PyObject *items = PySequence_Tuple(args[0]);
    if (items == NULL) {
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(items);
    PyObject *out = PyList_New(count);
    if (out == NULL) {
        Py_DECREF(items);
        return NULL;
    }
    Workspace w;
    memset(&w, 0, sizeof(w));
    if (vocab_init(&w.vocab) < 0) {
        Py_DECREF(items);
        Py_DECREF(out);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *pair = PyTuple_GET_ITEM(items, i);
        PyObject *fields = PySequence_Tuple(pair);
        if (fields == NULL && !PyErr_ExceptionMatches(PyExc_TypeError)) {
            goto error;  /* e.g. MemoryError: propagate it */
        }
        if (fields == NULL || PyTuple_GET_SIZE(fields) != 2) {
            Py_XDECREF(fields);
            PyErr_Format(PyExc_TypeError,
                         "ngram_stats_many(): item %zd must be a (prediction, reference) pair, not %.100s",
                         i, Py_TYPE(pair)->tp_name);
            goto error;
        }
        PyObject *prediction = PyTuple_GET_ITEM(fields, 0), *reference = PyTuple_GET_ITEM(fields, 1);
        if (!PyUnicode_Check(prediction) || !PyUnicode_Check(reference)) {
            PyErr_Format(PyExc_TypeError,
                         "ngram_stats_many(): item %zd must hold two str, not (%.100s, %.100s)",
                         i, Py_TYPE(prediction)->tp_name, Py_TYPE(reference)->tp_name);
            Py_DECREF(fields);
            goto error;
        }
        PyObject *stats = pair_stats(&w, prediction, reference, keywords);
        Py_DECREF(fields);
        if (stats == NULL) {
            goto error;
        }
        PyList_SET_ITEM(out, i, stats);
    }
    workspace_free(&w);
    Py_DECREF(items);
    return out;
error:
    workspace_free(&w);
    Py_DECREF(items);
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef speedups_methods[] = {
    {"ngram_stats_many", (PyCFunction)(void (*)(void))ngram_stats_many, METH_FASTCALL, ngram_stats_many_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "fusionbench.metrics.codebleu._speedups",
    "Optional compiled accelerator for CodeBLEU's n-gram statistics (see ngram.py).",
    -1,
    speedups_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&speedups_module);
}
