/* OpenBLAS opened with dlopen on first use (see cblas_loader.h): each function forwards to the library's own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include "cblas_loader.h"

static void *library = NULL;
static char failure[512];

int bertinspect_openblas_available(void) {
    if (library) return 1;
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !library; i++) library = dlopen(names[i], RTLD_LAZY | RTLD_LOCAL);
    if (!library) {
        const char *reason = dlerror();
        snprintf(failure, sizeof failure, "%s", reason ? reason : "libopenblas.so.0 was not found");
    }
    return library != NULL;
}

const char *bertinspect_openblas_failure(void) { return failure; }

static void *resolve(const char *name) {
    return bertinspect_openblas_available() ? dlsym(library, name) : NULL;
}

typedef void (*sgemm_t)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE, const int, const int,
                        const int, const float, const float *, const int, const float *, const int, const float, float *, const int);

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
                 const int m, const int n, const int k, const float alpha, const float *a, const int lda, const float *b,
                 const int ldb, const float beta, float *c, const int ldc) {
    static sgemm_t real = NULL;
    if (!real) real = (sgemm_t)resolve("cblas_sgemm");
    /* CPUBackend checks bertinspect_openblas_available() before it is created, so this is reached only with OpenBLAS. */
    if (real) real(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void openblas_set_num_threads(int threads) {
    static void (*real)(int) = NULL;
    if (!real) real = (void (*)(int))resolve("openblas_set_num_threads");
    if (real) real(threads);
}

int openblas_get_num_threads(void) {
    static int (*real)(void) = NULL;
    if (!real) real = (int (*)(void))resolve("openblas_get_num_threads");
    return real ? real() : 1;
}

char *openblas_get_corename(void) {
    static char *(*real)(void) = NULL;
    if (!real) real = (char *(*)(void))resolve("openblas_get_corename");
    return real ? real() : NULL;
}
