#ifndef BERTINSPECT_CHDF5_SHIM_H
#define BERTINSPECT_CHDF5_SHIM_H

#include <hdf5.h>

/* HDF5 exposes these as macros that Swift cannot import; each getter returns the value as hid_t or unsigned. */
static inline hid_t chdf5_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_error_default(void) { return H5E_DEFAULT; }
static inline hid_t chdf5_space_all(void) { return H5S_ALL; }
static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_acc_excl(void) { return H5F_ACC_EXCL; }
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_c_s1(void) { return H5T_C_S1; }
static inline hid_t chdf5_fapl_class(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_lapl_class(void) { return H5P_LINK_ACCESS; }
static inline hid_t chdf5_dcpl_class(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_lcpl_class(void) { return H5P_LINK_CREATE; }
static inline haddr_t chdf5_haddr_undef(void) { return HADDR_UNDEF; }
static inline size_t chdf5_variable(void) { return H5T_VARIABLE; }

#endif
