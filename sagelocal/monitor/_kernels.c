/* Per-value loops over Arrow buffers, for the monitor's profiler: what numpy can only do in many passes.
 *
 * xxh64_text / xxh64_fixed: XxHash64 of each value's bytes (Spark's XXH64.hashUnsafeBytes, which is the
 *   standard XXH64), one value after another from Arrow's offsets or at a fixed width.
 * fold_registers: the HyperLogLog++ register update Deequ makes for each hash (see hll.py).
 * parse_decimals: plain decimal text (sign, digits, one dot between digits) to doubles, correctly rounded
 *   where that needs no big-number arithmetic, and the Integral/Fractional split of the values.
 *
 * Every loop runs without the GIL, so the profiler's threads hash and parse different columns at once.
 * Buffers come in through the buffer protocol (numpy arrays, pyarrow Buffers); loads are little-endian.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the word loads below assume a little-endian machine, as Spark's own reads do"
#endif

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

#define PRECISION 9                 /* Deequ's HyperLogLog++ precision: 512 registers */
#define REGISTERS (1 << PRECISION)

static inline uint64_t rotl(uint64_t x, int bits) { return (x << bits) | (x >> (64 - bits)); }

static inline uint64_t load64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static inline uint32_t load32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static inline uint64_t round64(uint64_t accumulator, uint64_t word) {
    return rotl(accumulator + word * P2, 31) * P1;
}

static inline uint64_t merge_lane(uint64_t hash, uint64_t lane) {
    return (hash ^ round64(0, lane)) * P1 + P4;
}

static uint64_t xxh64(const uint8_t *p, size_t length, uint64_t seed) {
    const uint8_t *end = p + length;
    uint64_t hash;
    if (length >= 32) {
        uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        for (; p + 32 <= end; p += 32) {
            v1 = round64(v1, load64(p));
            v2 = round64(v2, load64(p + 8));
            v3 = round64(v3, load64(p + 16));
            v4 = round64(v4, load64(p + 24));
        }
        hash = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        hash = merge_lane(merge_lane(merge_lane(merge_lane(hash, v1), v2), v3), v4);
    } else {
        hash = seed + P5;
    }
    hash += (uint64_t)length;
    for (; p + 8 <= end; p += 8)
        hash = rotl(hash ^ round64(0, load64(p)), 27) * P1 + P4;
    if (p + 4 <= end) {
        hash = rotl(hash ^ (uint64_t)load32(p) * P1, 23) * P2 + P3;
        p += 4;
    }
    for (; p < end; p++)
        hash = rotl(hash ^ (uint64_t)*p * P5, 11) * P1;
    hash ^= hash >> 33;
    hash *= P2;
    hash ^= hash >> 29;
    hash *= P3;
    return hash ^ (hash >> 32);
}

/* Offsets of ``count`` values: ``count + 1`` int32s, non-decreasing, within ``data_length`` bytes. */
static int check_offsets(const Py_buffer *offsets, Py_ssize_t data_length, Py_ssize_t *count) {
    const int32_t *at = offsets->buf;
    Py_ssize_t n = offsets->len / (Py_ssize_t)sizeof(int32_t);
    if (offsets->len % (Py_ssize_t)sizeof(int32_t) || n < 1) {
        PyErr_SetString(PyExc_ValueError, "offsets must be int32 values, at least one");
        return -1;
    }
    for (Py_ssize_t i = 1; i < n; i++) {
        if (at[i] < at[i - 1]) {
            PyErr_SetString(PyExc_ValueError, "offsets must not decrease");
            return -1;
        }
    }
    if (at[0] < 0 || at[n - 1] > data_length) {
        PyErr_SetString(PyExc_ValueError, "offsets point outside the data");
        return -1;
    }
    *count = n - 1;
    return 0;
}

static int check_output(const Py_buffer *out, Py_ssize_t count, Py_ssize_t item, const char *what) {
    if (out->len != count * item) {
        PyErr_Format(PyExc_ValueError, "output must hold %zd %s", count, what);
        return -1;
    }
    return 0;
}

/* The buffers of a call over Arrow text: int32 offsets, the bytes, and an output of 8 bytes a value. */
typedef struct {
    Py_buffer offsets, data, out;
    Py_ssize_t count;
    const int32_t *at;    /* value i is bytes[at[i]:at[i + 1]] */
    const uint8_t *bytes;
} Spans;

static int check_spans(Spans *spans, const char *output) {
    spans->at = spans->offsets.buf;
    spans->bytes = spans->data.buf;
    return check_offsets(&spans->offsets, spans->data.len, &spans->count) == 0 &&
           check_output(&spans->out, spans->count, 8, output) == 0;
}

static PyObject *release_spans(Spans *spans, PyObject *result) {
    PyBuffer_Release(&spans->offsets);
    PyBuffer_Release(&spans->data);
    PyBuffer_Release(&spans->out);
    return result;
}

static PyObject *xxh64_text(PyObject *self, PyObject *args) {
    Spans spans;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "y*y*Kw*", &spans.offsets, &spans.data, &seed, &spans.out))
        return NULL;
    if (!check_spans(&spans, "uint64 hashes"))
        return release_spans(&spans, NULL);
    uint64_t *hashes = spans.out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < spans.count; i++)
        hashes[i] = xxh64(spans.bytes + spans.at[i], (size_t)(spans.at[i + 1] - spans.at[i]), seed);
    Py_END_ALLOW_THREADS
    return release_spans(&spans, Py_NewRef(Py_None));
}

static PyObject *xxh64_fixed(PyObject *self, PyObject *args) {
    Py_buffer data, out;
    Py_ssize_t width;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "y*nKw*", &data, &width, &seed, &out))
        return NULL;
    PyObject *result = NULL;
    if (width <= 0 || data.len % width) {
        PyErr_SetString(PyExc_ValueError, "data must be whole values of a positive width");
    } else if (check_output(&out, data.len / width, 8, "uint64 hashes") == 0) {
        const uint8_t *bytes = data.buf;
        uint64_t *hashes = out.buf;
        Py_ssize_t count = data.len / width;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < count; i++)
            hashes[i] = xxh64(bytes + i * width, (size_t)width, seed);
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&data);
    PyBuffer_Release(&out);
    return result;
}

static PyObject *fold_registers(PyObject *self, PyObject *args) {
    Py_buffer registers, hashes;
    if (!PyArg_ParseTuple(args, "w*y*", &registers, &hashes))
        return NULL;
    PyObject *result = NULL;
    if (registers.len != REGISTERS || hashes.len % 8) {
        PyErr_Format(PyExc_ValueError, "need %d uint8 registers and uint64 hashes", REGISTERS);
    } else {
        uint8_t *rank = registers.buf;
        const uint8_t *bytes = hashes.buf;
        Py_ssize_t count = hashes.len / 8;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < count; i++) {
            uint64_t hash = load64(bytes + 8 * i);
            /* The top bits pick the register; the candidate is one more than the leading zeros of the rest,
               with Deequ's padding bit bounding it. */
            uint64_t rest = (hash << PRECISION) | (1ULL << (PRECISION - 1));
            uint8_t candidate = (uint8_t)(__builtin_clzll(rest) + 1);
            uint8_t *slot = rank + (hash >> (64 - PRECISION));
            if (candidate > *slot)
                *slot = candidate;
        }
        Py_END_ALLOW_THREADS
        result = Py_NewRef(Py_None);
    }
    PyBuffer_Release(&registers);
    PyBuffer_Release(&hashes);
    return result;
}

/* Powers of ten up to the 18 decimals a value of at most 19 digits can have: each is a double exactly. */
static const double POWERS_OF_TEN[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
#define MAX_DIGITS 19                /* at most 19 decimal digits fit a uint64 */
#define EXACT_MANTISSA (1ULL << 53)

enum kind { NOT_PLAIN, INTEGRAL, FRACTIONAL };

/* One value: NOT_PLAIN unless it is [+-]?digits(.digits)?. ``*value`` is the correctly rounded double, or NaN
   when its digits (leading zeros included) are more than 19 or exceed 2**53: below those bounds the digits and
   the power of ten are exact doubles and IEEE division rounds their exact quotient once; beyond, one division
   may round differently from a correct parse, so the caller parses those few values another way. */
static enum kind parse_one(const uint8_t *p, const uint8_t *end, double *value) {
    int negative = 0;
    if (p < end && (*p == '-' || *p == '+'))
        negative = *p++ == '-';
    const uint8_t *first_digit = p, *dot = NULL;
    uint64_t digits = 0; /* wraps beyond 19 digits: such values are NaN below */
    for (; p < end; p++) {
        unsigned digit = (unsigned)*p - '0';
        if (digit < 10)
            digits = digits * 10 + digit;
        else if (*p == '.' && !dot)
            dot = p;
        else
            return NOT_PLAIN;
    }
    if (p == first_digit || dot == first_digit || dot == end - 1)
        return NOT_PLAIN;
    Py_ssize_t count = (end - first_digit) - (dot != NULL), fraction_digits = dot ? end - dot - 1 : 0;
    if (count > MAX_DIGITS || digits > EXACT_MANTISSA) {
        *value = Py_NAN;
    } else {
        double magnitude = fraction_digits ? (double)digits / POWERS_OF_TEN[fraction_digits] : (double)digits;
        *value = negative ? -magnitude : magnitude;
    }
    return dot ? FRACTIONAL : INTEGRAL;
}

static PyObject *parse_decimals(PyObject *self, PyObject *args) {
    Spans spans;
    if (!PyArg_ParseTuple(args, "y*y*w*", &spans.offsets, &spans.data, &spans.out))
        return NULL;
    if (!check_spans(&spans, "float64 values"))
        return release_spans(&spans, NULL);
    double *values = spans.out.buf;
    Py_ssize_t fractional = 0;
    enum kind kind = INTEGRAL;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < spans.count; i++) {
        kind = parse_one(spans.bytes + spans.at[i], spans.bytes + spans.at[i + 1], values + i);
        if (kind == NOT_PLAIN)
            break;
        fractional += kind == FRACTIONAL;
    }
    Py_END_ALLOW_THREADS
    return release_spans(&spans, kind == NOT_PLAIN ? Py_NewRef(Py_None) : PyLong_FromSsize_t(fractional));
}

static PyMethodDef METHODS[] = {
    {"xxh64_text", xxh64_text, METH_VARARGS,
     "xxh64_text(offsets, data, seed, out): XxHash64 of each value of int32 offsets into data, into uint64 out."},
    {"xxh64_fixed", xxh64_fixed, METH_VARARGS,
     "xxh64_fixed(data, width, seed, out): XxHash64 of each width-byte value of data, into uint64 out."},
    {"fold_registers", fold_registers, METH_VARARGS,
     "fold_registers(registers, hashes): Deequ's HyperLogLog++ update of 512 uint8 registers by uint64 hashes."},
    {"parse_decimals", parse_decimals, METH_VARARGS,
     "parse_decimals(offsets, data, out): the number of Fractional values if every value is plain decimal text\n"
     "(its doubles in float64 out, NaN where one division cannot round correctly), else None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_kernels", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&MODULE); }
