#ifndef BERTINSPECT_CBLAS_SHIM_H
#define BERTINSPECT_CBLAS_SHIM_H
#include <cblas.h>
#endif
