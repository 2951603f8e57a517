/* Raw deflate (zip method 8) through zlib, opened with dlopen on first use so that the executable starts without it
   (Debian's zlib1g; the header comes from zlib1g-dev, which `make` installs). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "csupport.h"

typedef int (*inflate_init_t)(z_streamp, int, const char *, int);
typedef int (*inflate_t)(z_streamp, int);
typedef int (*inflate_end_t)(z_streamp);
typedef uLong (*crc32_t)(uLong, const Bytef *, uInt);

static void *zlib = NULL;
static inflate_init_t init_fn;
static inflate_t inflate_fn;
static inflate_end_t end_fn;
static crc32_t crc_fn;

static const char *open_zlib(void) {
    if (zlib) return NULL;
    const char *names[] = {"libz.so.1", "libz.so"};
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !handle; i++) handle = dlopen(names[i], RTLD_LAZY | RTLD_LOCAL);
    if (!handle) return "zlib (libz.so.1) could not be loaded";
    init_fn = (inflate_init_t)dlsym(handle, "inflateInit2_");
    inflate_fn = (inflate_t)dlsym(handle, "inflate");
    end_fn = (inflate_end_t)dlsym(handle, "inflateEnd");
    crc_fn = (crc32_t)dlsym(handle, "crc32");
    if (!init_fn || !inflate_fn || !end_fn || !crc_fn) return "zlib (libz.so.1) lacks inflate or crc32";
    zlib = handle;
    return NULL;
}

const char *bertinspect_inflate_raw(const unsigned char *source, size_t source_length, unsigned char *target,
                                    size_t target_length, size_t *produced, unsigned long *crc) {
    const char *problem = open_zlib();
    if (problem) return problem;
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (init_fn(&stream, -15, ZLIB_VERSION, (int)sizeof stream) != Z_OK) return "zlib could not start inflating";
    const size_t step = 1u << 30;
    size_t consumed = 0, written = 0;
    int status = Z_OK;
    while (status == Z_OK) {
        size_t in = source_length - consumed < step ? source_length - consumed : step;
        size_t out = target_length - written < step ? target_length - written : step;
        stream.next_in = (Bytef *)(source + consumed);
        stream.avail_in = (uInt)in;
        stream.next_out = target + written;
        stream.avail_out = (uInt)out;
        status = inflate_fn(&stream, Z_NO_FLUSH);
        consumed += in - stream.avail_in;
        written += out - stream.avail_out;
        if (status == Z_BUF_ERROR || (status == Z_OK && in == stream.avail_in && out == stream.avail_out)) {
            /* No progress: the input ended early or the output is full before the stream's end. */
            end_fn(&stream);
            return written == target_length ? "the data inflates to more bytes than the archive declares"
                                            : "the compressed data ends before the stream does";
        }
    }
    end_fn(&stream);
    if (status != Z_STREAM_END) return stream.msg ? stream.msg : "the compressed data is corrupt";
    *produced = written;
    unsigned long value = crc_fn(0, Z_NULL, 0);
    for (size_t offset = 0; offset < written; offset += step) {
        size_t length = written - offset < step ? written - offset : step;
        value = crc_fn(value, target + offset, (uInt)length);
    }
    *crc = value;
    return NULL;
}

int bertinspect_crc32(const unsigned char *bytes, size_t length, unsigned long *crc) {
    if (open_zlib()) return 0;
    const size_t step = 1u << 30;
    unsigned long value = *crc;
    for (size_t offset = 0; offset < length; offset += step) {
        size_t count = length - offset < step ? length - offset : step;
        value = crc_fn(value, bytes + offset, (uInt)count);
    }
    *crc = value;
    return 1;
}
