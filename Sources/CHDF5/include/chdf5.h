#ifndef BERTINSPECT_CHDF5_H
#define BERTINSPECT_CHDF5_H
/* libhdf5's declarations (Debian's libhdf5-dev, serial build) for HDF5Formats, without linking libhdf5: loader.c
   defines each function bertinspect calls and forwards it to libhdf5, opened with dlopen on first use. The headers
   are named by their absolute path so that no compiler or linker flag (pkg-config's -lhdf5) is needed. */
#include "/usr/include/hdf5/serial/hdf5.h"
#include "/usr/include/hdf5/serial/H5LTpublic.h"

/* Whether libhdf5 could be opened; when not, bertinspect_hdf5_failure() says why (dlerror). */
int bertinspect_hdf5_available(void);
const char *bertinspect_hdf5_failure(void);
int bertinspect_hdf5_resolve(void **slot, const char *name);
int bertinspect_hdf5_hl_resolve(void **slot, const char *name);
hid_t bertinspect_hdf5_global(hid_t **slot, const char *name);
/* The libhdf5 function whose last call failed (returned a negative value), or NULL; clears it. */
const char *bertinspect_hdf5_take_failed_call(void);

/* HDF5 exposes these as macros that Swift cannot import; each getter returns the value as hid_t or unsigned. The
   library's global type and class identifiers are read from the opened library (see loader.c). */
static inline hid_t chdf5_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_error_default(void) { return H5E_DEFAULT; }
static inline hid_t chdf5_space_all(void) { return H5S_ALL; }
static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_acc_excl(void) { return H5F_ACC_EXCL; }
static inline haddr_t chdf5_haddr_undef(void) { return HADDR_UNDEF; }
static inline size_t chdf5_variable(void) { return H5T_VARIABLE; }
/* H5LTopen_file_image: read only, the caller's memory used in place and never freed by libhdf5. */
static inline unsigned chdf5_image_in_place(void) { return H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE; }
hid_t chdf5_native_float(void);
hid_t chdf5_native_double(void);
hid_t chdf5_ieee_f32le(void);
hid_t chdf5_ieee_f64le(void);
hid_t chdf5_c_s1(void);
hid_t chdf5_fapl_class(void);
hid_t chdf5_lapl_class(void);
hid_t chdf5_dcpl_class(void);
hid_t chdf5_lcpl_class(void);
#endif
