// The kernel gradient of a stride-1 depth-wise convolution on channels-last
// maps:
//
//   grad_w[c, u, v] = sum_{n, i, j} g[n, i, j, c] * x[n, i + u*dh - ph, j + v*dw - pw, c]
//
// (taps outside the input read zeros). One task per block of channels (one
// SIMD register wide) streams every output row once; for each kernel row u
// the register block holds up to eight column taps v, accumulated along the
// row, so each loaded gradient vector serves eight multiply-adds. The input
// is first zero-padded along the width so that the row loop has no bounds.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "simd.h"

namespace {

using mmcnn_cpu::Simd;

struct Shape {
  int64_t n, height, width, channels, h_out, w_out, kh, kw, ph, pw, dh, dw, padded_width;
};

// acc[t] (t < NB) += sum_j g[j] * xp[j + (first + t) * dw] over one output row,
// for the channel register at ``c``.
template <typename T, int NB>
inline void row_taps(const Shape& s, const T* grow, const T* xrow, int64_t c, int64_t first,
                     typename Simd<T>::type* acc) {
  using V = Simd<T>;
  typename V::type sum[NB];
  for (int t = 0; t < NB; ++t) sum[t] = typename V::type{};
  const int64_t step = s.dw * s.channels;
  const T* x0 = xrow + first * step + c;
  for (int64_t j = 0; j < s.w_out; ++j) {
    const typename V::type gv = V::load(grow + j * s.channels + c);
    const T* xj = x0 + j * s.channels;
    for (int t = 0; t < NB; ++t) sum[t] += gv * V::load(xj + t * step);
  }
  for (int t = 0; t < NB; ++t) acc[t] += sum[t];
}

template <typename T>
void row_taps_any(const Shape& s, const T* grow, const T* xrow, int64_t c, int64_t first,
                  int64_t count, typename Simd<T>::type* acc) {
  switch (count) {
    case 1: return row_taps<T, 1>(s, grow, xrow, c, first, acc);
    case 2: return row_taps<T, 2>(s, grow, xrow, c, first, acc);
    case 3: return row_taps<T, 3>(s, grow, xrow, c, first, acc);
    case 4: return row_taps<T, 4>(s, grow, xrow, c, first, acc);
    case 5: return row_taps<T, 5>(s, grow, xrow, c, first, acc);
    case 6: return row_taps<T, 6>(s, grow, xrow, c, first, acc);
    case 7: return row_taps<T, 7>(s, grow, xrow, c, first, acc);
    default: return row_taps<T, 8>(s, grow, xrow, c, first, acc);
  }
}

template <typename T>
void weight_grad(const Shape& s, const T* grad, const T* padded, T* out) {
  using V = Simd<T>;
  const int64_t blocks = s.channels / V::lanes;
  const int64_t taps = s.kh * s.kw;
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<typename V::type> acc(taps);
    for (int64_t block = begin; block < end; ++block) {
      const int64_t c = block * V::lanes;
      std::fill(acc.begin(), acc.end(), typename V::type{});
      for (int64_t n = 0; n < s.n; ++n) {
        for (int64_t i = 0; i < s.h_out; ++i) {
          const T* grow = grad + (n * s.h_out + i) * s.w_out * s.channels;
          for (int64_t u = 0; u < s.kh; ++u) {
            const int64_t r = i + u * s.dh - s.ph;
            if (r < 0 || r >= s.height) continue;
            const T* xrow = padded + (n * s.height + r) * s.padded_width * s.channels;
            for (int64_t v = 0; v < s.kw; v += 8)
              row_taps_any<T>(s, grow, xrow, c, v, std::min<int64_t>(8, s.kw - v),
                              acc.data() + u * s.kw + v);
          }
        }
      }
      for (int64_t tap = 0; tap < taps; ++tap)
        for (int64_t lane = 0; lane < V::lanes; ++lane)
          out[(c + lane) * taps + tap] = acc[tap][lane];
    }
  });
  for (int64_t c = blocks * V::lanes; c < s.channels; ++c)  // channels past the last register
    for (int64_t u = 0; u < s.kh; ++u)
      for (int64_t v = 0; v < s.kw; ++v) {
        T total = 0;
        for (int64_t n = 0; n < s.n; ++n)
          for (int64_t i = 0; i < s.h_out; ++i) {
            const int64_t r = i + u * s.dh - s.ph;
            if (r < 0 || r >= s.height) continue;
            for (int64_t j = 0; j < s.w_out; ++j)
              total += grad[((n * s.h_out + i) * s.w_out + j) * s.channels + c] *
                       padded[((n * s.height + r) * s.padded_width + j + v * s.dw) * s.channels + c];
          }
        out[(c * s.kh + u) * s.kw + v] = total;
      }
}

// x and grad are NCHW tensors in channels-last memory (any layout is made
// so); returns the (C, 1, kh, kw) kernel gradient.
at::Tensor dwconv_weight_grad(const at::Tensor& x, const at::Tensor& grad, int64_t kh,
                              int64_t kw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  TORCH_CHECK(x.dim() == 4 && grad.dim() == 4, "dwconv_weight_grad: NCHW tensors expected");
  const at::Tensor xl = x.permute({0, 2, 3, 1}).contiguous();
  const at::Tensor gl = grad.permute({0, 2, 3, 1}).contiguous();
  Shape s{xl.size(0), xl.size(1), xl.size(2), xl.size(3), gl.size(1), gl.size(2), kh, kw,
          ph,         pw,         dh,         dw,         0};
  TORCH_CHECK(s.h_out == s.height + 2 * ph - dh * (kh - 1) &&
                  s.w_out == s.width + 2 * pw - dw * (kw - 1),
              "dwconv_weight_grad: the gradient's size does not match a stride-1 convolution");
  const int64_t right = std::max<int64_t>(0, s.w_out + dw * (kw - 1) - pw - s.width);
  s.padded_width = pw + s.width + right;
  at::Tensor padded = at::zeros({s.n, s.height, s.padded_width, s.channels}, xl.options());
  padded.narrow(2, pw, s.width).copy_(xl);
  at::Tensor out = at::empty({s.channels, 1, kh, kw}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dwconv_weight_grad", [&] {
    weight_grad<scalar_t>(s, gl.data_ptr<scalar_t>(), padded.data_ptr<scalar_t>(),
                          out.data_ptr<scalar_t>());
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(mmcnn_cpu, m) {
  m.def(
      "dwconv_weight_grad(Tensor x, Tensor grad, int kh, int kw, int ph, int pw, int dh, "
      "int dw) -> Tensor");
}

TORCH_LIBRARY_IMPL(mmcnn_cpu, CPU, m) { m.impl("dwconv_weight_grad", &dwconv_weight_grad); }
