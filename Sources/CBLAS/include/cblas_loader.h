#ifndef BERTINSPECT_CBLAS_LOADER_H
#define BERTINSPECT_CBLAS_LOADER_H
/* The part of OpenBLAS's CBLAS interface bertinspect uses, declared here (values and signatures as in OpenBLAS's
   cblas.h, 32-bit integers as Debian's libopenblas0 builds it) and defined in loader.c, which opens
   libopenblas.so.0 with dlopen on first use: commands that do no arithmetic never load OpenBLAS. */
typedef int blasint;
typedef enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113, CblasConjNoTrans = 114 } CBLAS_TRANSPOSE;

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transA, const enum CBLAS_TRANSPOSE transB,
                 const blasint m, const blasint n, const blasint k, const float alpha, const float *a, const blasint lda, const float *b,
                 const blasint ldb, const float beta, float *c, const blasint ldc);
void openblas_set_num_threads(int threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

/* Whether OpenBLAS could be opened; when not, bertinspect_openblas_failure() says why (dlerror). */
int bertinspect_openblas_available(void);
const char *bertinspect_openblas_failure(void);

/* Calls body(context, begin, end) on contiguous pieces of [0, count), one per worker (at most 16), in parallel
   threads; returns when all are done. */
typedef void (*bertinspect_range_fn)(void *context, long begin, long end);
void bertinspect_parallel_for(long count, int workers, bertinspect_range_fn body, void *context);
#endif
