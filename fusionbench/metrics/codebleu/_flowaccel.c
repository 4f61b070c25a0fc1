/* _flowaccel: CodeBLEU's data-flow walk (GraphCodeBERT's DFG_python) in C.
 *
 * data_flow(root, source, parents) returns exactly what
 * fusionbench.metrics.codebleu.dataflow.data_flow(source, root, parents=parents) returns, or None
 * where the tree is not supported (a node with children at depth >= MAX_FLAT_DEPTH, or a field
 * child that is not among its node's children); the caller then runs the Python walk.
 *
 * Why it is exact: every fact of the tree is read once through the binding's Python API (type,
 * start_byte, end_byte, children, child_by_field_name on the node types whose fields the walk
 * reads) into C arrays; the token texts (index_to_code) are built here for the two branches of
 * dataflow.index_tokens that need no row arithmetic (no line break in the code: the str sliced at
 * the byte offsets, the official quirk kept for non-ASCII code; ASCII code: the slice without its
 * line breaks), and by calling dataflow.index_tokens itself for non-ASCII multi-line code; the
 * walk makes the same visits in the same order as dataflow._Walker, with
 * the variable states kept as Python dicts of Python lists and the edges as Python tuples, so
 * every set operation (list(set(names)), whose order depends on the hash seed) is the very
 * CPython one; the final linking and merge repeat dataflow.linked_edges and dataflow.merge_nodes
 * call for call (list(set(...)) of the parent indices included).
 * Where the Python walk raises (a missing field dereferenced, a token span that is not in
 * index_to_code) this walk gives up the same way: the graph is empty.  Python errors of the
 * interpreter itself (MemoryError, ...) propagate.
 * structure(..., normalized=True) also renames the graph as dataflow.normalize_data_flow and
 * freezes it as structure.freeze_flow (tuples of str); cut_rendering finds the parentheses of a
 * rendering with no leaf to mask (see syntax._masked_parentheses) and cuts it as cut_subtrees.
 *
 * Own code of the fusionbench project, C99, CPython C-API only.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_FLAT_DEPTH 150

/* ---- node kinds, interned as small ints ------------------------------------------------- */

enum {
    K_LEAF = 1,          /* string_literal, string, character_literal: one token */
    K_COMMENT = 2,
    K_IDENT = 4,
    K_COMMA = 8,
    K_HAS_ELSE = 16,     /* "else" in node.type */
    K_BRANCH = 32,       /* elif_clause, else_clause */
    K_BLOCK = 64,
    K_FOR_IN = 128,      /* for_in_clause */
};

enum { D_NONE, D_DEFAULT, D_ASSIGN, D_IF, D_FOR, D_WHILE };
enum { F_NONE, F_LEFT_RIGHT, F_LEFT, F_NAME_VALUE };

typedef struct {
    PyObject *name; /* the type string (owned) */
    int flags;
    int dispatch;
    int fields;
} Kind;

static PyObject *kind_ids;   /* dict: type str -> int id */
static Kind *kinds;
static Py_ssize_t n_kinds, cap_kinds;

/* interned strings */
static PyObject *s_is_named, *s_type, *s_kind_id, *s_child_count, *s_start_byte, *s_end_byte, *s_children, *s_child_by_field_name;
static PyObject *s_left, *s_right, *s_name, *s_value, *s_comesFrom, *s_computedFrom, *s_official;
/* dataflow.index_tokens (the official token texts), imported on first use */
static PyObject *py_index_tokens;

static int
register_kind(PyObject *type)
{
    static const char *leaf[] = {"string_literal", "string", "character_literal"};
    Kind k;
    int i, has_else;
    PyObject *id, *needle;
    if (n_kinds == cap_kinds) {
        Py_ssize_t cap = cap_kinds ? cap_kinds * 2 : 64;
        Kind *grown = PyMem_Realloc(kinds, (size_t)cap * sizeof(Kind));
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        kinds = grown;
        cap_kinds = cap;
    }
    k.flags = 0;
    k.dispatch = D_NONE;
    k.fields = F_NONE;
    for (i = 0; i < 3; i++)
        if (PyUnicode_CompareWithASCIIString(type, leaf[i]) == 0) k.flags |= K_LEAF;
    if (PyUnicode_CompareWithASCIIString(type, "comment") == 0) k.flags |= K_COMMENT;
    if (PyUnicode_CompareWithASCIIString(type, "identifier") == 0) k.flags |= K_IDENT;
    if (PyUnicode_CompareWithASCIIString(type, ",") == 0) k.flags |= K_COMMA;
    if (PyUnicode_CompareWithASCIIString(type, "block") == 0) k.flags |= K_BLOCK;
    if (PyUnicode_CompareWithASCIIString(type, "elif_clause") == 0
        || PyUnicode_CompareWithASCIIString(type, "else_clause") == 0) k.flags |= K_BRANCH;
    needle = PyUnicode_FromString("else");
    if (!needle) return -1;
    has_else = PySequence_Contains(type, needle);
    Py_DECREF(needle);
    if (has_else < 0) return -1;
    if (has_else) k.flags |= K_HAS_ELSE;
    if (PyUnicode_CompareWithASCIIString(type, "default_parameter") == 0) {
        k.dispatch = D_DEFAULT;
        k.fields = F_NAME_VALUE;
    } else if (PyUnicode_CompareWithASCIIString(type, "assignment") == 0
               || PyUnicode_CompareWithASCIIString(type, "augmented_assignment") == 0) {
        k.dispatch = D_ASSIGN;
        k.fields = F_LEFT_RIGHT;
    } else if (PyUnicode_CompareWithASCIIString(type, "for_in_clause") == 0) {
        k.dispatch = D_ASSIGN;
        k.fields = F_LEFT;
        k.flags |= K_FOR_IN;
    } else if (PyUnicode_CompareWithASCIIString(type, "if_statement") == 0) {
        k.dispatch = D_IF;
    } else if (PyUnicode_CompareWithASCIIString(type, "for_statement") == 0) {
        k.dispatch = D_FOR;
        k.fields = F_LEFT_RIGHT;
    } else if (PyUnicode_CompareWithASCIIString(type, "while_statement") == 0) {
        k.dispatch = D_WHILE;
    }
    id = PyLong_FromSsize_t(n_kinds);
    if (!id) return -1;
    if (PyDict_SetItem(kind_ids, type, id) < 0) {
        Py_DECREF(id);
        return -1;
    }
    Py_DECREF(id);
    Py_INCREF(type);
    k.name = type;
    kinds[n_kinds] = k;
    return (int)n_kinds++;
}

static int
kind_of(PyObject *type)
{
    PyObject *id;
    if (!PyUnicode_Check(type)) {
        PyErr_SetString(PyExc_TypeError, "node.type is not a str");
        return -1;
    }
    id = PyDict_GetItemWithError(kind_ids, type);
    if (id) return (int)PyLong_AsLong(id);
    if (PyErr_Occurred()) return -1;
    return register_kind(type);
}

/* node.type is the name of the node's symbol (node.kind_id) in the tree's language, so within
 * one tree the type string is read once per symbol.  The cache is valid for one call only (a
 * generation number per call): another call may parse another language. */
#define N_SYMBOLS 65536
static int symbol_kind[N_SYMBOLS];
static unsigned symbol_generation[N_SYMBOLS];
static unsigned last_generation;

static unsigned
new_generation(void)
{
    if (++last_generation == 0) {
        memset(symbol_generation, 0, sizeof(symbol_generation));
        last_generation = 1;
    }
    return last_generation;
}

/* ---- the tree in arrays ----------------------------------------------------------------- */

typedef struct {
    int kind;
    int token;         /* (leaf type or no children) and not a comment */
    int var;           /* token whose text differs from its type (a "variable" token) */
    int named;         /* node.is_named */
    Py_ssize_t nkids;
    Py_ssize_t kids;   /* offset of the children's indices in Tree.kid */
    Py_ssize_t start, end;
    Py_ssize_t f1, f2; /* field children (left/name, right/value); -1 = None */
    PyObject *key;     /* token: its (start, end) tuple once built (owned; see tree_free) */
    PyObject *idx;     /* token: index_to_code[span] (borrowed from it); NULL = missing */
    PyObject *code;
} FNode;

typedef struct {
    unsigned generation;
    int anonymous_parents; /* some node that is not named has children */
    FNode *node;
    Py_ssize_t n, cap;
    Py_ssize_t *kid;
    Py_ssize_t nkid, capkid;
} Tree;

#define UNSUPPORTED (-2)

static Py_ssize_t
new_node(Tree *t)
{
    if (t->n == t->cap) {
        Py_ssize_t cap = t->cap ? t->cap * 2 : 256;
        FNode *grown = PyMem_Realloc(t->node, (size_t)cap * sizeof(FNode));
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        t->node = grown;
        t->cap = cap;
    }
    memset(&t->node[t->n], 0, sizeof(FNode)); /* no key to release if reading it fails */
    return t->n++;
}

static Py_ssize_t
new_kids(Tree *t, Py_ssize_t count)
{
    Py_ssize_t at;
    if (t->nkid + count > t->capkid) {
        Py_ssize_t cap = t->capkid ? t->capkid : 256;
        Py_ssize_t *grown;
        while (cap < t->nkid + count) cap *= 2;
        grown = PyMem_Realloc(t->kid, (size_t)cap * sizeof(Py_ssize_t));
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        t->kid = grown;
        t->capkid = cap;
    }
    at = t->nkid;
    t->nkid += count;
    return at;
}

static Py_ssize_t
get_ssize(PyObject *node, PyObject *attr)
{
    Py_ssize_t v;
    PyObject *o = PyObject_GetAttr(node, attr);
    if (!o) return -1;
    v = PyLong_AsSsize_t(o);
    Py_DECREF(o);
    return v;
}

/* The position among kids of node.child_by_field_name(name): -1 = None, UNSUPPORTED = not
 * among the children, -3 = error. */
static Py_ssize_t
field_position(PyObject *node, PyObject *name, PyObject *kids)
{
    Py_ssize_t i, n = PyList_GET_SIZE(kids);
    PyObject *child = PyObject_CallMethodOneArg(node, s_child_by_field_name, name);
    if (!child) return -3;
    if (child == Py_None) {
        Py_DECREF(child);
        return -1;
    }
    for (i = 0; i < n; i++) {
        int eq = PyObject_RichCompareBool(PyList_GET_ITEM(kids, i), child, Py_EQ);
        if (eq < 0) {
            Py_DECREF(child);
            return -3;
        }
        if (eq) {
            Py_DECREF(child);
            return i;
        }
    }
    Py_DECREF(child);
    return UNSUPPORTED;
}

static int
read_span(FNode *f, PyObject *node)
{
    f->start = get_ssize(node, s_start_byte);
    if (f->start == -1 && PyErr_Occurred()) return -1;
    f->end = get_ssize(node, s_end_byte);
    if (f->end == -1 && PyErr_Occurred()) return -1;
    return 0;
}

/* Read node and its descendants in pre-order; the node's index, -1 on error, UNSUPPORTED. */
static Py_ssize_t
read_node(Tree *t, PyObject *node, int depth)
{
    Py_ssize_t me, i, n, slots, p1 = -1, p2 = -1;
    FNode *f;
    int kind;
    PyObject *type, *flag, *kids;
    Py_ssize_t symbol;
    me = new_node(t);
    if (me < 0) return -1;
    symbol = get_ssize(node, s_kind_id);
    if (symbol == -1 && PyErr_Occurred()) return -1;
    if (symbol >= 0 && symbol < N_SYMBOLS && symbol_generation[symbol] == t->generation) {
        kind = symbol_kind[symbol];
    } else {
        type = PyObject_GetAttr(node, s_type);
        if (!type) return -1;
        kind = kind_of(type);
        Py_DECREF(type);
        if (kind < 0) return -1;
        if (symbol >= 0 && symbol < N_SYMBOLS) {
            symbol_kind[symbol] = kind;
            symbol_generation[symbol] = t->generation;
        }
    }
    f = &t->node[me];
    f->kind = kind;
    f->idx = f->code = f->key = NULL;
    f->var = 0;
    f->f1 = f->f2 = -1;
    f->nkids = 0;
    f->kids = 0;
    f->start = f->end = 0; /* read for tokens only: the walk needs no other spans */
    flag = PyObject_GetAttr(node, s_is_named);
    if (!flag) return -1;
    t->node[me].named = PyObject_IsTrue(flag);
    Py_DECREF(flag);
    if (t->node[me].named < 0) return -1;
    n = get_ssize(node, s_child_count); /* cheaper than children for the many leaves */
    if (n == -1 && PyErr_Occurred()) return -1;
    if (n == 0) {
        f->token = !(kinds[kind].flags & K_COMMENT);
        return f->token && read_span(f, node) < 0 ? -1 : me;
    }
    kids = PyObject_GetAttr(node, s_children);
    if (!kids) return -1;
    if (!PyList_Check(kids)) {
        Py_DECREF(kids);
        PyErr_SetString(PyExc_TypeError, "node.children is not a list");
        return -1;
    }
    n = PyList_GET_SIZE(kids);
    f->token = ((kinds[kind].flags & K_LEAF) || n == 0) && !(kinds[kind].flags & K_COMMENT);
    if (f->token && read_span(f, node) < 0) {
        Py_DECREF(kids);
        return -1;
    }
    if (n == 0) {
        Py_DECREF(kids);
        return me;
    }
    if (depth >= MAX_FLAT_DEPTH) {
        Py_DECREF(kids);
        return UNSUPPORTED;
    }
    if (!t->node[me].named) t->anonymous_parents = 1;
    switch (kinds[kind].fields) {
    case F_LEFT_RIGHT:
        p1 = field_position(node, s_left, kids);
        if (p1 >= -1) p2 = field_position(node, s_right, kids);
        break;
    case F_LEFT:
        p1 = field_position(node, s_left, kids);
        break;
    case F_NAME_VALUE:
        p1 = field_position(node, s_name, kids);
        if (p1 >= -1) p2 = field_position(node, s_value, kids);
        break;
    }
    if (p1 < -1 || p2 < -1) {
        Py_DECREF(kids);
        return (p1 == -3 || p2 == -3) ? -1 : UNSUPPORTED;
    }
    slots = new_kids(t, n);
    if (slots < 0) {
        Py_DECREF(kids);
        return -1;
    }
    t->node[me].nkids = n;
    t->node[me].kids = slots;
    for (i = 0; i < n; i++) {
        Py_ssize_t child = read_node(t, PyList_GET_ITEM(kids, i), depth + 1);
        if (child < 0) {
            Py_DECREF(kids);
            return child;
        }
        t->kid[slots + i] = child;
    }
    Py_DECREF(kids);
    /* positions to node indices (t->node may have moved: index it afresh) */
    t->node[me].f1 = p1 >= 0 ? t->kid[slots + p1] : -1;
    t->node[me].f2 = p2 >= 0 ? t->kid[slots + p2] : -1;
    return me;
}

/* ---- token spans and their index_to_code entries ---------------------------------------- */

static PyObject *
span_key(const FNode *f)
{
    return Py_BuildValue("(nn)", f->start, f->end);
}

/* The official token spans (dataflow._token_spans): pre-order, not below a token. */
static int
collect_spans(Tree *t, Py_ssize_t at, PyObject *spans)
{
    FNode *f = &t->node[at];
    Py_ssize_t i;
    if (f->token) {
        if (!f->key && !(f->key = span_key(f))) return -1;
        return PyList_Append(spans, f->key);
    }
    for (i = 0; i < f->nkids; i++)
        if (collect_spans(t, t->kid[t->node[at].kids + i], spans) < 0) return -1;
    return 0;
}

/* For every token node: its (idx, code) entry of index_to_code (borrowed), or NULL if absent. */
static int
look_up_tokens(Tree *t, PyObject *index_to_code)
{
    Py_ssize_t i;
    for (i = 0; i < t->n; i++) {
        FNode *f = &t->node[i];
        PyObject *key, *entry;
        if (!f->token) continue;
        key = f->key; /* built by collect_spans, except below string tokens */
        if (!key && !(key = f->key = span_key(f))) return -1;
        entry = PyDict_GetItemWithError(index_to_code, key);
        if (!entry) {
            if (PyErr_Occurred()) return -1;
            continue;
        }
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 2) {
            PyErr_SetString(PyExc_TypeError, "index_tokens must map spans to (index, text)");
            return -1;
        }
        f->idx = PyTuple_GET_ITEM(entry, 0);
        f->code = PyTuple_GET_ITEM(entry, 1);
        f->var = PyObject_RichCompareBool(kinds[f->kind].name, f->code, Py_NE);
        if (f->var < 0) return -1;
    }
    return 0;
}

/* ---- the walk --------------------------------------------------------------------------- */

typedef struct {
    Tree *t;
    int sorted_names;
    int failed; /* the Python walk would have raised: give up with an empty graph */
} Walker;

typedef struct {
    Py_ssize_t *v;
    Py_ssize_t n, cap;
} Vec;

static int
vec_push(Vec *vec, Py_ssize_t x)
{
    if (vec->n == vec->cap) {
        Py_ssize_t cap = vec->cap ? vec->cap * 2 : 16;
        Py_ssize_t *grown = PyMem_Realloc(vec->v, (size_t)cap * sizeof(Py_ssize_t));
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        vec->v = grown;
        vec->cap = cap;
    }
    vec->v[vec->n++] = x;
    return 0;
}

static void
vec_free(Vec *vec)
{
    PyMem_Free(vec->v);
    vec->v = NULL;
    vec->n = vec->cap = 0;
}

#define KIND(w, i) (kinds[(w)->t->node[i].kind])
#define NODE(w, i) ((w)->t->node[i])
#define KID(w, i, j) ((w)->t->kid[(w)->t->node[i].kids + (j)])

/* _variable_spans: the variable tokens below node, in pre-order (as node indices). */
static int
variable_tokens(Walker *w, Py_ssize_t node, Vec *out)
{
    Py_ssize_t i;
    if (node < 0) { /* a None field: AttributeError in the Python walk */
        w->failed = 1;
        return -1;
    }
    if (NODE(w, node).token) {
        if (!NODE(w, node).code) {
            w->failed = 1;
            return -1;
        }
        return NODE(w, node).var ? vec_push(out, node) : 0;
    }
    for (i = 0; i < NODE(w, node).nkids; i++)
        if (variable_tokens(w, KID(w, node, i), out) < 0) return -1;
    return 0;
}

/* Stable sort of edges[lo:] by their token index (item 1): dataflow._by_index on that part. */
static int
by_index_from(PyObject *edges, Py_ssize_t lo_item)
{
    Py_ssize_t n = PyList_GET_SIZE(edges) - lo_item, i, width;
    long long *key, *tmpk;
    PyObject **item, **tmpi;
    int overflow;
    if (n < 2) return 0;
    key = PyMem_Malloc((size_t)n * 2 * sizeof(long long));
    tmpi = PyMem_Malloc((size_t)n * sizeof(PyObject *));
    if (!key || !tmpi) {
        PyMem_Free(key);
        PyMem_Free(tmpi);
        PyErr_NoMemory();
        return -1;
    }
    tmpk = key + n;
    item = ((PyListObject *)edges)->ob_item + lo_item;
    for (i = 0; i < n; i++) {
        key[i] = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(item[i], 1), &overflow);
        if ((key[i] == -1 && PyErr_Occurred()) || overflow) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_OverflowError, "token index too large");
            PyMem_Free(key);
            PyMem_Free(tmpi);
            return -1;
        }
    }
    for (i = 1; i < n && key[i - 1] <= key[i]; i++) {
    }
    if (i < n) { /* bottom-up merge sort: stable */
        for (width = 1; width < n; width *= 2) {
            Py_ssize_t lo;
            for (lo = 0; lo < n; lo += 2 * width) {
                Py_ssize_t mid = lo + width < n ? lo + width : n;
                Py_ssize_t hi = lo + 2 * width < n ? lo + 2 * width : n;
                Py_ssize_t a = lo, b = mid, o = lo;
                while (a < mid && b < hi) {
                    if (key[b] < key[a]) {
                        tmpk[o] = key[b];
                        tmpi[o++] = item[b++];
                    } else {
                        tmpk[o] = key[a];
                        tmpi[o++] = item[a++];
                    }
                }
                while (a < mid) {
                    tmpk[o] = key[a];
                    tmpi[o++] = item[a++];
                }
                while (b < hi) {
                    tmpk[o] = key[b];
                    tmpi[o++] = item[b++];
                }
            }
            memcpy(key, tmpk, (size_t)n * sizeof(long long));
            memcpy(item, tmpi, (size_t)n * sizeof(PyObject *));
        }
    }
    PyMem_Free(key);
    PyMem_Free(tmpi);
    return 0;
}

static int
by_index(PyObject *edges)
{
    return by_index_from(edges, 0);
}

/* An edge tuple; steals the references to parents and parent_idx (even on error). */
static PyObject *
edge(PyObject *code, PyObject *idx, PyObject *relation, PyObject *parents, PyObject *parent_idx)
{
    PyObject *e;
    if (!parents || !parent_idx) {
        Py_XDECREF(parents);
        Py_XDECREF(parent_idx);
        return NULL;
    }
    e = PyTuple_New(5);
    if (!e) {
        Py_DECREF(parents);
        Py_DECREF(parent_idx);
        return NULL;
    }
    Py_INCREF(code);
    Py_INCREF(idx);
    Py_INCREF(relation);
    PyTuple_SET_ITEM(e, 0, code);
    PyTuple_SET_ITEM(e, 1, idx);
    PyTuple_SET_ITEM(e, 2, relation);
    PyTuple_SET_ITEM(e, 3, parents);
    PyTuple_SET_ITEM(e, 4, parent_idx);
    return e;
}

static int
append_edge(PyObject *edges, PyObject *e)
{
    int rc;
    if (!e) return -1;
    rc = PyList_Append(edges, e);
    Py_DECREF(e);
    return rc;
}

static PyObject *
list_of(PyObject *item)
{
    PyObject *l = PyList_New(1);
    if (!l) return NULL;
    Py_INCREF(item);
    PyList_SET_ITEM(l, 0, item);
    return l;
}

/* states[code] = [idx] */
static int
set_state(PyObject *states, PyObject *code, PyObject *idx)
{
    int rc;
    PyObject *l = list_of(idx);
    if (!l) return -1;
    rc = PyDict_SetItem(states, code, l);
    Py_DECREF(l);
    return rc;
}

/* list(set(a + b)) or sorted(set(a + b)) for parent names: the unique function. */
static PyObject *
unique_names(Walker *w, PyObject *a, PyObject *b)
{
    PyObject *joined = PySequence_Concat(a, b), *set, *out;
    if (!joined) return NULL;
    set = PySet_New(joined);
    Py_DECREF(joined);
    if (!set) return NULL;
    out = PySequence_List(set);
    Py_DECREF(set);
    if (out && w->sorted_names && PyList_Sort(out) < 0) Py_CLEAR(out);
    return out;
}

/* sorted(list(set(a + b))), or sorted(list(set(a))) when b is NULL */
static PyObject *
sorted_unique(PyObject *a, PyObject *b)
{
    PyObject *joined, *set, *out;
    if (b) {
        joined = PySequence_Concat(a, b);
        if (!joined) return NULL;
    } else {
        joined = a;
        Py_INCREF(joined);
    }
    set = PySet_New(joined);
    Py_DECREF(joined);
    if (!set) return NULL;
    out = PySequence_List(set);
    Py_DECREF(set);
    if (out && PyList_Sort(out) < 0) Py_CLEAR(out);
    return out;
}

static int walk(Walker *w, Py_ssize_t node, PyObject **states, PyObject *out);

static int
edges_from(Walker *w, Vec *left, Vec *right, PyObject *states, PyObject *edges)
{
    Py_ssize_t i, j, k, n = left->n < right->n ? left->n : right->n;
    Vec ls = {0}, rs = {0};
    int rc = -1;
    for (i = 0; i < n; i++) {
        ls.n = rs.n = 0;
        if (variable_tokens(w, left->v[i], &ls) < 0) goto done;
        if (variable_tokens(w, right->v[i], &rs) < 0) goto done;
        for (j = 0; j < ls.n; j++) {
            FNode *l = &NODE(w, ls.v[j]);
            PyObject *names = PyList_New(rs.n), *idxs = PyList_New(rs.n);
            if (names && idxs) {
                for (k = 0; k < rs.n; k++) {
                    FNode *r = &NODE(w, rs.v[k]);
                    Py_INCREF(r->code);
                    PyList_SET_ITEM(names, k, r->code);
                    Py_INCREF(r->idx);
                    PyList_SET_ITEM(idxs, k, r->idx);
                }
            }
            if (append_edge(edges, edge(l->code, l->idx, s_computedFrom, names, idxs)) < 0) goto done;
            if (set_state(states, l->code, l->idx) < 0) goto done;
        }
    }
    rc = 0;
done:
    vec_free(&ls);
    vec_free(&rs);
    return rc;
}

/* _split_sides: the left and right nodes of an assignment or for statement */
static int
split_sides(Walker *w, Py_ssize_t node, Vec *left, Vec *right)
{
    Py_ssize_t lf = NODE(w, node).f1, rf = NODE(w, node).f2, i;
    left->n = right->n = 0;
    if (lf < 0 || rf < 0) {
        w->failed = 1;
        return -1;
    }
    for (i = 0; i < NODE(w, rf).nkids; i++)
        if (!(KIND(w, KID(w, rf, i)).flags & K_COMMA) && vec_push(right, KID(w, rf, i)) < 0) return -1;
    for (i = 0; i < NODE(w, lf).nkids; i++)
        if (!(KIND(w, KID(w, lf, i)).flags & K_COMMA) && vec_push(left, KID(w, lf, i)) < 0) return -1;
    if (left->n != right->n) {
        left->n = right->n = 0;
        if (vec_push(left, lf) < 0 || vec_push(right, rf) < 0) return -1;
    }
    if (left->n == 0 && vec_push(left, lf) < 0) return -1;
    if (right->n == 0 && vec_push(right, rf) < 0) return -1;
    return 0;
}

/* _merge_loop: merge the edges of a loop's two visits by (name, idx, relation). */
static PyObject *
merge_loop(Walker *w, PyObject *edges)
{
    Py_ssize_t n = PyList_GET_SIZE(edges), i, count = 0;
    PyObject *where = PyDict_New(), *keys = PyList_New(0), *names = PyList_New(0),
             *idxs = PyList_New(0), *result = NULL;
    if (!where || !keys || !names || !idxs) goto done;
    for (i = 0; i < n; i++) {
        PyObject *e = PyList_GET_ITEM(edges, i), *key, *pos;
        key = PyTuple_GetSlice(e, 0, 3);
        if (!key) goto done;
        pos = PyDict_GetItemWithError(where, key);
        if (pos) {
            Py_ssize_t p = PyLong_AsSsize_t(pos);
            PyObject *merged_names, *merged_idx;
            Py_DECREF(key);
            merged_names = unique_names(w, PyList_GET_ITEM(names, p), PyTuple_GET_ITEM(e, 3));
            if (!merged_names) goto done;
            if (PyList_SetItem(names, p, merged_names) < 0) goto done;
            merged_idx = sorted_unique(PyList_GET_ITEM(idxs, p), PyTuple_GET_ITEM(e, 4));
            if (!merged_idx) goto done;
            if (PyList_SetItem(idxs, p, merged_idx) < 0) goto done;
            continue;
        }
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            goto done;
        }
        pos = PyLong_FromSsize_t(count);
        if (!pos || PyDict_SetItem(where, key, pos) < 0 || PyList_Append(keys, key) < 0
            || PyList_Append(names, PyTuple_GET_ITEM(e, 3)) < 0
            || PyList_Append(idxs, PyTuple_GET_ITEM(e, 4)) < 0) {
            Py_XDECREF(pos);
            Py_DECREF(key);
            goto done;
        }
        Py_DECREF(pos);
        Py_DECREF(key);
        count++;
    }
    result = PyList_New(count);
    if (!result) goto done;
    for (i = 0; i < count; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i), *e;
        PyObject *nm = PyList_GET_ITEM(names, i), *ix = PyList_GET_ITEM(idxs, i);
        Py_INCREF(nm);
        Py_INCREF(ix);
        e = edge(PyTuple_GET_ITEM(key, 0), PyTuple_GET_ITEM(key, 1), PyTuple_GET_ITEM(key, 2), nm, ix);
        if (!e) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, i, e);
    }
    if (by_index(result) < 0) Py_CLEAR(result);
done:
    Py_XDECREF(where);
    Py_XDECREF(keys);
    Py_XDECREF(names);
    Py_XDECREF(idxs);
    return result;
}

/* The walk appends each visit's edges to ``out`` and sorts its own part in place where the
 * Python walk sorts the list it returns; the caller's ``edges += found`` is then already done. */

static int
walk_token(Walker *w, Py_ssize_t node, PyObject *states, PyObject *out)
{
    FNode *f = &NODE(w, node);
    PyObject *known;
    if (!f->code) {
        w->failed = 1;
        return -1;
    }
    if (!f->var) return 0;
    known = PyDict_GetItemWithError(states, f->code);
    if (known) return append_edge(out, edge(f->code, f->idx, s_comesFrom, list_of(f->code), PySequence_List(known)));
    if (PyErr_Occurred()) return -1;
    if ((kinds[f->kind].flags & K_IDENT) && set_state(states, f->code, f->idx) < 0) return -1;
    return append_edge(out, edge(f->code, f->idx, s_comesFrom, PyList_New(0), PyList_New(0)));
}

static int
walk_default_parameter(Walker *w, Py_ssize_t node, PyObject **states, PyObject *out)
{
    Py_ssize_t name = NODE(w, node).f1, value = NODE(w, node).f2, i, j, lo = PyList_GET_SIZE(out);
    Vec names = {0}, values = {0};
    int rc = -1;
    if (variable_tokens(w, name, &names) < 0) goto done;
    if (value < 0) {
        for (i = 0; i < names.n; i++) {
            FNode *f = &NODE(w, names.v[i]);
            if (append_edge(out, edge(f->code, f->idx, s_comesFrom, PyList_New(0), PyList_New(0))) < 0) goto done;
            if (set_state(*states, f->code, f->idx) < 0) goto done;
        }
    } else {
        if (variable_tokens(w, value, &values) < 0) goto done;
        if (walk(w, value, states, out) < 0) goto done;
        for (i = 0; i < names.n; i++) {
            FNode *f1 = &NODE(w, names.v[i]);
            for (j = 0; j < values.n; j++) {
                FNode *f2 = &NODE(w, values.v[j]);
                if (append_edge(out, edge(f1->code, f1->idx, s_comesFrom, list_of(f2->code), list_of(f2->idx))) < 0)
                    goto done;
            }
            if (set_state(*states, f1->code, f1->idx) < 0) goto done;
        }
    }
    rc = by_index_from(out, lo);
done:
    vec_free(&names);
    vec_free(&values);
    return rc;
}

static int
walk_assignment(Walker *w, Py_ssize_t node, PyObject **states, PyObject *out)
{
    Vec left = {0}, right = {0};
    Py_ssize_t i, lo = PyList_GET_SIZE(out);
    int rc = -1;
    if (KIND(w, node).flags & K_FOR_IN) {
        if (vec_push(&right, KID(w, node, NODE(w, node).nkids - 1)) < 0 || vec_push(&left, NODE(w, node).f1) < 0)
            goto done;
    } else {
        if (NODE(w, node).f2 < 0) return 0;
        if (split_sides(w, node, &left, &right) < 0) goto done;
    }
    for (i = 0; i < right.n; i++)
        if (walk(w, right.v[i], states, out) < 0) goto done;
    if (edges_from(w, &left, &right, *states, out) < 0) goto done;
    rc = by_index_from(out, lo);
done:
    vec_free(&left);
    vec_free(&right);
    return rc;
}

static int
walk_if(Walker *w, Py_ssize_t node, PyObject **states, PyObject *out)
{
    Py_ssize_t i, pos, lo = PyList_GET_SIZE(out);
    int has_else = (KIND(w, node).flags & K_HAS_ELSE) != 0;
    PyObject *branches = PyList_New(0), *current = NULL, *merged = NULL;
    PyObject *key, *value;
    if (!branches) goto error;
    current = PyDict_Copy(*states);
    if (!current) goto error;
    for (i = 0; i < NODE(w, node).nkids; i++) {
        Py_ssize_t kid = KID(w, node, i);
        int flags = KIND(w, kid).flags;
        if (flags & K_HAS_ELSE) has_else = 1;
        if (!(flags & K_BRANCH)) {
            if (walk(w, kid, &current, out) < 0) goto error;
        } else {
            PyObject *copy = PyDict_Copy(*states);
            int rc;
            if (!copy) goto error;
            rc = walk(w, kid, &copy, out);
            if (rc == 0) rc = PyList_Append(branches, copy);
            Py_DECREF(copy);
            if (rc < 0) goto error;
        }
    }
    if (PyList_Append(branches, current) < 0) goto error;
    if (!has_else && PyList_Append(branches, *states) < 0) goto error;
    merged = PyDict_New();
    if (!merged) goto error;
    for (i = 0; i < PyList_GET_SIZE(branches); i++) {
        PyObject *branch = PyList_GET_ITEM(branches, i);
        pos = 0;
        while (PyDict_Next(branch, &pos, &key, &value)) {
            PyObject *have = PyDict_GetItemWithError(merged, key);
            if (have) {
                Py_ssize_t n = PyList_GET_SIZE(have);
                if (PyList_SetSlice(have, n, n, value) < 0) goto error;
            } else {
                PyObject *copy;
                int rc;
                if (PyErr_Occurred()) goto error;
                copy = PySequence_List(value);
                if (!copy) goto error;
                rc = PyDict_SetItem(merged, key, copy);
                Py_DECREF(copy);
                if (rc < 0) goto error;
            }
        }
    }
    pos = 0;
    while (PyDict_Next(merged, &pos, &key, &value)) {
        /* the list is merged's own copy: replace its contents by sorted(list(set(it))) */
        PyObject *unique = sorted_unique(value, NULL);
        int rc;
        if (!unique) goto error;
        rc = PyList_SetSlice(value, 0, PyList_GET_SIZE(value), unique);
        Py_DECREF(unique);
        if (rc < 0) goto error;
    }
    if (by_index_from(out, lo) < 0) goto error;
    Py_DECREF(branches);
    Py_DECREF(current);
    Py_DECREF(*states);
    *states = merged;
    return 0;
error:
    Py_XDECREF(branches);
    Py_XDECREF(current);
    Py_XDECREF(merged);
    return -1;
}

static int
walk_loop(Walker *w, Py_ssize_t node, PyObject **states, PyObject *out, int is_for)
{
    Vec left = {0}, right = {0};
    Py_ssize_t i, last = KID(w, node, NODE(w, node).nkids - 1), lo = PyList_GET_SIZE(out);
    int round, rc = -1;
    PyObject *mine, *merged;
    for (round = 0; round < 2; round++) {
        if (is_for) {
            if (split_sides(w, node, &left, &right) < 0) goto done;
            for (i = 0; i < right.n; i++)
                if (walk(w, right.v[i], states, out) < 0) goto done;
            if (edges_from(w, &left, &right, *states, out) < 0) goto done;
            if ((KIND(w, last).flags & K_BLOCK) && walk(w, last, states, out) < 0) goto done;
        } else {
            for (i = 0; i < NODE(w, node).nkids; i++)
                if (walk(w, KID(w, node, i), states, out) < 0) goto done;
        }
    }
    /* this loop's edges, merged (_merge_loop), in place of themselves */
    mine = PyList_GetSlice(out, lo, PyList_GET_SIZE(out));
    if (!mine) goto done;
    merged = merge_loop(w, mine);
    Py_DECREF(mine);
    if (!merged) goto done;
    rc = PyList_SetSlice(out, lo, PyList_GET_SIZE(out), merged);
    Py_DECREF(merged);
done:
    vec_free(&left);
    vec_free(&right);
    return rc;
}

/* _Walker.walk: appends the edges below node to out; *states is replaced where the Python walk
 * returns a new dict (if statements) and updated in place otherwise. */
static int
walk(Walker *w, Py_ssize_t node, PyObject **states, PyObject *out)
{
    Py_ssize_t i, n, lo;
    int for_in_first = 0;
    if (NODE(w, node).token) return walk_token(w, node, *states, out);
    switch (KIND(w, node).dispatch) {
    case D_DEFAULT:
        return walk_default_parameter(w, node, states, out);
    case D_ASSIGN:
        return walk_assignment(w, node, states, out);
    case D_IF:
        return walk_if(w, node, states, out);
    case D_FOR:
        return walk_loop(w, node, states, out, 1);
    case D_WHILE:
        return walk_loop(w, node, states, out, 0);
    }
    lo = PyList_GET_SIZE(out);
    n = NODE(w, node).nkids;
    for (i = 0; i < n; i++)
        if (KIND(w, KID(w, node, i)).flags & K_FOR_IN) for_in_first = 1;
    if (for_in_first) { /* for-in clauses first, as in the official walk */
        for (i = 0; i < n; i++)
            if ((KIND(w, KID(w, node, i)).flags & K_FOR_IN) && walk(w, KID(w, node, i), states, out) < 0) return -1;
        for (i = 0; i < n; i++)
            if (!(KIND(w, KID(w, node, i)).flags & K_FOR_IN) && walk(w, KID(w, node, i), states, out) < 0) return -1;
    } else {
        for (i = 0; i < n; i++)
            if (walk(w, KID(w, node, i), states, out) < 0) return -1;
    }
    return by_index_from(out, lo);
}

/* ---- the final steps: dataflow.linked_edges and dataflow.merge_nodes ----------------------- */

/* linked_edges: the edges in token order (stable), without the tokens that have no edge. */
static PyObject *
linked_edges(PyObject *edges)
{
    Py_ssize_t i, j, n;
    PyObject *linked = NULL, *result = NULL;
    if (by_index(edges) < 0) return NULL;
    n = PyList_GET_SIZE(edges);
    linked = PySet_New(NULL);
    if (!linked) return NULL;
    for (i = 0; i < n; i++) {
        PyObject *e = PyList_GET_ITEM(edges, i), *parents = PyTuple_GET_ITEM(e, 4);
        Py_ssize_t m = PyList_GET_SIZE(parents);
        if (m && PySet_Add(linked, PyTuple_GET_ITEM(e, 1)) < 0) goto done;
        for (j = 0; j < m; j++)
            if (PySet_Add(linked, PyList_GET_ITEM(parents, j)) < 0) goto done;
    }
    result = PyList_New(0);
    if (!result) goto done;
    for (i = 0; i < n; i++) {
        PyObject *e = PyList_GET_ITEM(edges, i);
        int in = PySet_Contains(linked, PyTuple_GET_ITEM(e, 1));
        if (in < 0 || (in && PyList_Append(result, e) < 0)) {
            Py_CLEAR(result);
            goto done;
        }
    }
done:
    Py_DECREF(linked);
    return result;
}

/* merge_nodes: the edges of one token merged, the first edge's place kept (dict order). */
static PyObject *
merge_nodes(Walker *w, PyObject *graph)
{
    Py_ssize_t i, n = PyList_GET_SIZE(graph);
    PyObject *where = PyDict_New(), *result = PyList_New(0);
    if (!where || !result) goto error;
    for (i = 0; i < n; i++) {
        PyObject *e = PyList_GET_ITEM(graph, i), *idx = PyTuple_GET_ITEM(e, 1), *pos, *old, *names, *joined, *set;
        PyObject *parents, *merged;
        pos = PyDict_GetItemWithError(where, idx);
        if (!pos) {
            if (PyErr_Occurred()) goto error;
            pos = PyLong_FromSsize_t(PyList_GET_SIZE(result));
            if (!pos) goto error;
            if (PyDict_SetItem(where, idx, pos) < 0 || PyList_Append(result, e) < 0) {
                Py_DECREF(pos);
                goto error;
            }
            Py_DECREF(pos);
            continue;
        }
        old = PyList_GET_ITEM(result, PyLong_AsSsize_t(pos));
        names = unique_names(w, PyTuple_GET_ITEM(old, 3), PyTuple_GET_ITEM(e, 3));
        if (!names) goto error;
        joined = PySequence_Concat(PyTuple_GET_ITEM(old, 4), PyTuple_GET_ITEM(e, 4));
        if (!joined) {
            Py_DECREF(names);
            goto error;
        }
        set = PySet_New(joined); /* list(set(...)): not sorted, as officially */
        Py_DECREF(joined);
        parents = set ? PySequence_List(set) : NULL;
        Py_XDECREF(set);
        merged = edge(PyTuple_GET_ITEM(e, 0), idx, PyTuple_GET_ITEM(e, 2), names, parents);
        if (!merged || PyList_SetItem(result, PyLong_AsSsize_t(pos), merged) < 0) goto error;
    }
    Py_DECREF(where);
    return result;
error:
    Py_XDECREF(where);
    Py_XDECREF(result);
    return NULL;
}

/* ---- index_to_code without the Python call, where no row arithmetic is needed ------------ */

/* code[start:end] with the line breaks dropped (code is ASCII): dataflow.index_tokens' second
 * branch, text.replace("\n", "") when the text has one. */
static PyObject *
ascii_slice_without_breaks(PyObject *code, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(code), i, breaks = 0;
    const char *data = (const char *)PyUnicode_1BYTE_DATA(code);
    PyObject *text;
    char *out;
    if (end > length) end = length;
    if (start >= length || end <= start) return PyUnicode_Substring(code, start, end); /* "" */
    for (i = start; i < end; i++) breaks += data[i] == '\n';
    if (!breaks) return PyUnicode_Substring(code, start, end);
    text = PyUnicode_New(end - start - breaks, 127);
    if (!text) return NULL;
    out = (char *)PyUnicode_1BYTE_DATA(text);
    for (i = start; i < end; i++)
        if (data[i] != '\n') *out++ = data[i];
    return text;
}

/* dataflow.index_tokens(code, spans) for its first two branches (no line break in the code: the
 * str sliced at the byte offsets, the official quirk kept for non-ASCII code too; ASCII code:
 * the slice without its line breaks), with the same keys in the same order; NULL with no error
 * set where the code is non-ASCII and has a line break (the caller runs the Python function). */
static PyObject *
index_tokens_fast(PyObject *code, PyObject *spans)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(code), n = PyList_GET_SIZE(spans), i;
    Py_ssize_t found = PyUnicode_FindChar(code, '\n', 0, length, 1);
    int one_row = found == -1, ascii = PyUnicode_IS_ASCII(code);
    PyObject *index_to_code;
    if (found == -2) return NULL;
    if (!one_row && !ascii) return NULL;
    index_to_code = PyDict_New();
    if (!index_to_code) return NULL;
    for (i = 0; i < n; i++) {
        PyObject *span = PyList_GET_ITEM(spans, i), *text, *idx, *entry;
        Py_ssize_t start = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 0));
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 1));
        if (PyErr_Occurred()) goto error;
        if (start < 0 || end < 0) { /* not from a tree: leave it to Python */
            Py_DECREF(index_to_code);
            return NULL;
        }
        text = one_row ? PyUnicode_Substring(code, start, end) : ascii_slice_without_breaks(code, start, end);
        if (!text) goto error;
        idx = PyLong_FromSsize_t(i);
        if (!idx) {
            Py_DECREF(text);
            goto error;
        }
        entry = PyTuple_New(2);
        if (!entry) {
            Py_DECREF(idx);
            Py_DECREF(text);
            goto error;
        }
        PyTuple_SET_ITEM(entry, 0, idx);
        PyTuple_SET_ITEM(entry, 1, text);
        if (PyDict_SetItem(index_to_code, span, entry) < 0) {
            Py_DECREF(entry);
            goto error;
        }
        Py_DECREF(entry);
    }
    return index_to_code;
error:
    Py_DECREF(index_to_code);
    return NULL;
}

/* ---- normalisation (dataflow.normalize_data_flow, then structure.freeze_flow) ------------- */

/* names[key], given the next "var_<len(names)>" first if absent (new reference). */
static PyObject *
var_name(PyObject *names, PyObject *key)
{
    PyObject *name = PyDict_GetItemWithError(names, key);
    if (name) {
        Py_INCREF(name);
        return name;
    }
    if (PyErr_Occurred()) return NULL;
    name = PyUnicode_FromFormat("var_%zd", PyDict_GET_SIZE(names));
    if (name && PyDict_SetItem(names, key, name) < 0) Py_CLEAR(name);
    return name;
}

/* [(names[name], relation, tuple(names[p] for p in parents)), ...] with the variables renamed
 * var_0, var_1, ... in order of first use, parents before their node. */
static PyObject *
normalized_flow(PyObject *graph)
{
    Py_ssize_t n = PyList_GET_SIZE(graph), i, j;
    PyObject *names = PyDict_New(), *out = PyList_New(n);
    if (!names || !out) goto error;
    for (i = 0; i < n; i++) {
        PyObject *e = PyList_GET_ITEM(graph, i), *parents = PyTuple_GET_ITEM(e, 3), *renamed, *name, *item;
        Py_ssize_t np = PyList_GET_SIZE(parents);
        renamed = PyTuple_New(np);
        if (!renamed) goto error;
        for (j = 0; j < np; j++) {
            PyObject *v = var_name(names, PyList_GET_ITEM(parents, j));
            if (!v) {
                Py_DECREF(renamed);
                goto error;
            }
            PyTuple_SET_ITEM(renamed, j, v);
        }
        name = var_name(names, PyTuple_GET_ITEM(e, 0));
        if (!name) {
            Py_DECREF(renamed);
            goto error;
        }
        item = PyTuple_Pack(3, name, PyTuple_GET_ITEM(e, 2), renamed);
        Py_DECREF(name);
        Py_DECREF(renamed);
        if (!item) goto error;
        PyList_SET_ITEM(out, i, item);
    }
    Py_DECREF(names);
    return out;
error:
    Py_XDECREF(names);
    Py_XDECREF(out);
    return NULL;
}

/* ---- the entry point -------------------------------------------------------------------- */

static int
import_helpers(void)
{
    PyObject *mod;
    if (py_index_tokens) return 0;
    mod = PyImport_ImportModule("fusionbench.metrics.codebleu.dataflow");
    if (!mod) return -1;
    py_index_tokens = PyObject_GetAttrString(mod, "index_tokens");
    Py_DECREF(mod);
    return py_index_tokens ? 0 : -1;
}

/* An exception the Python data_flow would swallow (``except Exception``), but not the
 * interpreter's own failures. */
static int
swallowable(void)
{
    return PyErr_ExceptionMatches(PyExc_Exception) && !PyErr_ExceptionMatches(PyExc_MemoryError)
           && !PyErr_ExceptionMatches(PyExc_RecursionError);
}

/* The shape the syntax pass needs (see syntax.subtree_sexps_shaped): for each named node in
 * pre-order, whether it has children (bytes of 0/1); None where the rendering cannot be cut from
 * it (the root is a leaf or not named, or some anonymous node has children). */
static PyObject *
named_shape(Tree *t)
{
    Py_ssize_t i, count = 0;
    PyObject *shape;
    char *out;
    if (t->anonymous_parents || t->node[0].nkids == 0 || !t->node[0].named) Py_RETURN_NONE;
    for (i = 0; i < t->n; i++) count += t->node[i].named;
    shape = PyBytes_FromStringAndSize(NULL, count);
    if (!shape) return NULL;
    out = PyBytes_AS_STRING(shape);
    for (i = 0; i < t->n; i++)
        if (t->node[i].named) *out++ = t->node[i].nkids > 0;
    return shape;
}

/* data_flow, and with want_shape a tuple (graph, named_shape); None where unsupported. */
static PyObject *
analyse_tree(PyObject *root, PyObject *source, PyObject *parents, int want_shape, int normalized)
{
    PyObject *spans = NULL, *index_to_code = NULL;
    PyObject *states = NULL, *edges = NULL, *graph = NULL, *result = NULL;
    Tree t = {0};
    Walker w;
    Py_ssize_t top;
    int sorted_names;
    t.generation = new_generation();
    sorted_names = parents && PyUnicode_CompareWithASCIIString(parents, "sorted") == 0;
    if (import_helpers() < 0) return NULL;
    top = read_node(&t, root, 0);
    if (top == UNSUPPORTED) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    if (top < 0) goto done;
    spans = PyList_New(0);
    if (!spans || collect_spans(&t, 0, spans) < 0) goto done;
    index_to_code = index_tokens_fast(source, spans);
    if (!index_to_code && !PyErr_Occurred())
        index_to_code = PyObject_CallFunctionObjArgs(py_index_tokens, source, spans, NULL);
    if (!index_to_code) {
        if (!swallowable()) goto done;
        PyErr_Clear();
        edges = PyList_New(0);
    } else {
        if (!PyDict_Check(index_to_code)) {
            PyErr_SetString(PyExc_TypeError, "index_tokens must return a dict");
            goto done;
        }
        if (look_up_tokens(&t, index_to_code) < 0) goto done;
        states = PyDict_New();
        if (!states) goto done;
        w.t = &t;
        w.sorted_names = sorted_names;
        w.failed = 0;
        edges = PyList_New(0);
        if (edges && walk(&w, 0, &states, edges) < 0) {
            Py_CLEAR(edges);
            if (w.failed && !PyErr_Occurred()) edges = PyList_New(0); /* the walk gave up: no edges */
        }
    }
    if (!edges) goto done;
    graph = linked_edges(edges);
    if (!graph) goto done;
    w.sorted_names = sorted_names;
    result = merge_nodes(&w, graph);
    if (result && normalized) {
        PyObject *renamed = normalized_flow(result);
        Py_DECREF(result);
        result = renamed;
    }
    if (result && want_shape) {
        PyObject *shape = named_shape(&t);
        PyObject *pair = shape ? PyTuple_Pack(2, result, shape) : NULL;
        Py_XDECREF(shape);
        Py_DECREF(result);
        result = pair;
    }
done:
    Py_XDECREF(spans);
    Py_XDECREF(index_to_code);
    Py_XDECREF(states);
    Py_XDECREF(edges);
    Py_XDECREF(graph);
    for (top = 0; top < t.n; top++) Py_XDECREF(t.node[top].key);
    PyMem_Free(t.node);
    PyMem_Free(t.kid);
    return result;
}

static PyObject *
data_flow(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"root", "source", "parents", NULL};
    PyObject *root, *source, *parents = NULL;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OU|U:data_flow", keywords, &root, &source, &parents))
        return NULL;
    return analyse_tree(root, source, parents, 0, 0);
}

static PyObject *
structure(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"root", "source", "parents", "normalized", NULL};
    PyObject *root, *source, *parents = NULL;
    int normalized = 0;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OU|Up:structure", keywords, &root, &source, &parents,
                                     &normalized))
        return NULL;
    return analyse_tree(root, source, parents, 1, normalized);
}

/* The S-expressions of the named nodes that have children, in the order of their ")"
 * (post-order), each open_at[k] to its matching ")"; Py_None where the parentheses do not match,
 * their count is not the shape's, or the root's ")" is not the last character (see
 * syntax.subtree_sexps_shaped, which does the same in Python).  open_at has room for 2 * n
 * (the second half is the stack); close_at holds n_close positions, read by get_close. */
typedef Py_ssize_t (*CloseAt)(const void *closes, Py_ssize_t j);

static Py_ssize_t
close_from_list(const void *closes, Py_ssize_t j)
{
    return PyLong_AsSsize_t(PyList_GET_ITEM((PyObject *)closes, j));
}

static Py_ssize_t
close_from_array(const void *closes, Py_ssize_t j)
{
    return ((const Py_ssize_t *)closes)[j];
}

static PyObject *
cut_core(PyObject *text, Py_ssize_t *open_at, Py_ssize_t n, const void *closes, CloseAt get_close,
         const char *has_children)
{
    PyObject *found;
    Py_ssize_t i, j = 0, top = 0, length = PyUnicode_GET_LENGTH(text), root_end = -1;
    Py_ssize_t *waiting = open_at + n;
    found = PyList_New(0);
    if (!found) return NULL;
    /* each ")" closes the latest "(" still open before it (as syntax._matching) */
    for (i = 0; i <= n; i++) {
        Py_ssize_t start = i < n ? open_at[i] : PY_SSIZE_T_MAX;
        while (j < n) {
            Py_ssize_t close = get_close(closes, j), k;
            if (close == -1 && PyErr_Occurred()) goto error;
            if (close >= start) break;
            if (top == 0 || close < 0 || close >= length) goto unsupported;
            k = waiting[--top];
            if (k == 0) root_end = close;
            if (has_children[k]) {
                PyObject *piece = PyUnicode_Substring(text, open_at[k], close + 1);
                int rc;
                if (!piece) goto error;
                rc = PyList_Append(found, piece);
                Py_DECREF(piece);
                if (rc < 0) goto error;
            }
            j++;
        }
        if (i < n) {
            if (open_at[i] < 0 || open_at[i] >= length) goto unsupported;
            waiting[top++] = i;
        }
    }
    if (top != 0 || root_end != length - 1) goto unsupported;
    return found;
unsupported:
    Py_DECREF(found);
    Py_RETURN_NONE;
error:
    Py_DECREF(found);
    return NULL;
}

/* cut_subtrees(text, opens, closes, shape): cut_core on the positions given as lists. */
static PyObject *
cut_subtrees(PyObject *module, PyObject *args)
{
    PyObject *text, *opens, *closes, *shape, *found;
    Py_ssize_t n, i, *open_at;
    (void)module;
    if (!PyArg_ParseTuple(args, "UO!O!S:cut_subtrees", &text, &PyList_Type, &opens, &PyList_Type, &closes, &shape))
        return NULL;
    n = PyList_GET_SIZE(opens);
    if (PyList_GET_SIZE(closes) != n || PyBytes_GET_SIZE(shape) != n || n == 0) Py_RETURN_NONE;
    open_at = PyMem_Malloc((size_t)n * 2 * sizeof(Py_ssize_t));
    if (!open_at) return PyErr_NoMemory();
    for (i = 0; i < n; i++) {
        open_at[i] = PyLong_AsSsize_t(PyList_GET_ITEM(opens, i));
        if (open_at[i] == -1 && PyErr_Occurred()) {
            PyMem_Free(open_at);
            return NULL;
        }
    }
    found = cut_core(text, open_at, n, closes, close_from_list, PyBytes_AS_STRING(shape));
    PyMem_Free(open_at);
    return found;
}

/* cut_rendering(text, shape): cut_subtrees(text, opens, closes, shape) for a rendering with no
 * leaf to mask, the parenthesis positions found here (those syntax._masked_parentheses gives
 * such a text: every "(" and ")"); None for anything else (non-ASCII text, a "(MISSING " or
 * "(UNEXPECTED " leaf, counts that do not agree, or what cut_subtrees refuses), which the caller
 * then treats as before. */
static PyObject *
cut_rendering(PyObject *module, PyObject *args)
{
    PyObject *text, *shape, *found;
    Py_ssize_t n, length, i, n_open = 0, n_close = 0, *open_at, *close_at;
    const char *data;
    (void)module;
    if (!PyArg_ParseTuple(args, "US:cut_rendering", &text, &shape)) return NULL;
    n = PyBytes_GET_SIZE(shape);
    length = PyUnicode_GET_LENGTH(text);
    if (!PyUnicode_IS_ASCII(text) || n == 0) Py_RETURN_NONE;
    data = (const char *)PyUnicode_1BYTE_DATA(text);
    open_at = PyMem_Malloc((size_t)n * 3 * sizeof(Py_ssize_t)); /* opens, their stack, closes */
    if (!open_at) return PyErr_NoMemory();
    close_at = open_at + 2 * n;
    for (i = 0; i < length; i++) {
        char c = data[i];
        if (c == '(') {
            if (n_open == n) goto unsupported; /* more than the shape's count */
            if ((length - i >= 9 && memcmp(data + i, "(MISSING ", 9) == 0)
                || (length - i >= 12 && memcmp(data + i, "(UNEXPECTED ", 12) == 0))
                goto unsupported; /* a leaf to mask: left to syntax._masked_parentheses */
            open_at[n_open++] = i;
        } else if (c == ')') {
            if (n_close == n) goto unsupported;
            close_at[n_close++] = i;
        }
    }
    if (n_open != n || n_close != n) goto unsupported;
    found = cut_core(text, open_at, n, close_at, close_from_array, PyBytes_AS_STRING(shape));
    PyMem_Free(open_at);
    return found;
unsupported:
    PyMem_Free(open_at);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"cut_subtrees", cut_subtrees, METH_VARARGS,
     "cut_subtrees(text, opens, closes, shape)\n--\n\n"
     "The S-expressions cut from a rendering by the shape of structure() (post-order), or None."},
    {"cut_rendering", cut_rendering, METH_VARARGS,
     "cut_rendering(text, shape)\n--\n\n"
     "cut_subtrees(text, opens, closes, shape) with the parentheses found in C, for a rendering\n"
     "with no MISSING/UNEXPECTED leaf; None for anything else."},
    {"data_flow", (PyCFunction)(void (*)(void))data_flow, METH_VARARGS | METH_KEYWORDS,
     "data_flow(root, source, parents='official')\n--\n\n"
     "dataflow.data_flow(source, root, parents=parents), computed in C; None where the tree is\n"
     "not supported (too deep, or a field child not among the children): use the Python walk."},
    {"structure", (PyCFunction)(void (*)(void))structure, METH_VARARGS | METH_KEYWORDS,
     "structure(root, source, parents='official', normalized=False)\n--\n\n"
     "(data_flow(root, source, parents), shape) from one read of the tree, shape being for each\n"
     "named node in pre-order whether it has children (bytes of 0/1; None where the syntax pass\n"
     "cannot use it); None where data_flow returns None.  With normalized, the graph is\n"
     "structure.freeze_flow(dataflow.normalize_data_flow(graph))."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "fusionbench.metrics.codebleu._flowaccel",
    "CodeBLEU's data-flow walk in C, bit-exact with dataflow.data_flow (see the source).", -1, methods,
};

#define INTERN(var, text) \
    if (!((var) = PyUnicode_InternFromString(text))) return NULL

PyMODINIT_FUNC
PyInit__flowaccel(void)
{
    PyObject *m;
    INTERN(s_type, "type");
    INTERN(s_is_named, "is_named");
    INTERN(s_kind_id, "kind_id");
    INTERN(s_child_count, "child_count");
    INTERN(s_start_byte, "start_byte");
    INTERN(s_end_byte, "end_byte");
    INTERN(s_children, "children");
    INTERN(s_child_by_field_name, "child_by_field_name");
    INTERN(s_left, "left");
    INTERN(s_right, "right");
    INTERN(s_name, "name");
    INTERN(s_value, "value");
    INTERN(s_comesFrom, "comesFrom");
    INTERN(s_computedFrom, "computedFrom");
    INTERN(s_official, "official");
    if (!kind_ids && !(kind_ids = PyDict_New())) return NULL;
    m = PyModule_Create(&module_def);
    if (!m) return NULL;
    if (PyModule_AddIntConstant(m, "MAX_FLAT_DEPTH", MAX_FLAT_DEPTH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
