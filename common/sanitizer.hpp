#pragma once
// Whether this build runs under AddressSanitizer. GCC says so with
// __SANITIZE_ADDRESS__, clang (before 17) only through __has_feature; code
// that would hide a memory error from ASan (the tensor buffer pool) or a
// test left to the Release pass asks here, so both compilers agree.

#if defined(__SANITIZE_ADDRESS__)
#define SER_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SER_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef SER_ADDRESS_SANITIZER
#define SER_ADDRESS_SANITIZER 0
#endif
