// PKCS#11 as Debian's p11-kit headers define it (libp11-kit-dev), and dlopen for the module a
// key URI names. Signet links no PKCS#11 library: it loads the one the operator names.
#ifndef SIGNET_CPKCS11_SHIM_H
#define SIGNET_CPKCS11_SHIM_H
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#endif
