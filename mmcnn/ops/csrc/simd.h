// SIMD helpers shared by mmcnn's CPU kernels (GCC/Clang vector extensions,
// compiled with -march=native).
#pragma once

#include <cstdint>
#include <cstring>

namespace mmcnn_cpu {

// A 64-byte SIMD register of T (GCC/Clang vector extension), loaded and
// stored unaligned.
template <typename T>
struct Simd {
  typedef T type __attribute__((vector_size(64)));
  static constexpr int64_t lanes = 64 / sizeof(T);
  static type load(const T* p) {
    type v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  static void store(T* p, const type& v) { std::memcpy(p, &v, sizeof(v)); }
};

// The sum of a register's lanes: halves added down to 16 bytes, then the
// last two or four lanes.
template <typename T>
inline T horizontal_sum(const typename Simd<T>::type& v) {
  typedef T half_type __attribute__((vector_size(32)));
  typedef T quarter_type __attribute__((vector_size(16)));
  half_type lo, hi;
  std::memcpy(&lo, &v, 32);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + 32, 32);
  lo += hi;
  quarter_type a, b;
  std::memcpy(&a, &lo, 16);
  std::memcpy(&b, reinterpret_cast<const char*>(&lo) + 16, 16);
  a += b;
  T total = 0;
  for (size_t i = 0; i < 16 / sizeof(T); ++i) total += a[i];
  return total;
}

}  // namespace mmcnn_cpu
