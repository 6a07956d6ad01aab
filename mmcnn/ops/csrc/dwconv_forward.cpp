// A stride-1 depth-wise convolution on channels-last maps (inference), with
// the bias and optionally an exact GELU applied before the result is stored:
//
//   y[n, i, j, c] = act(b[c] + sum_{u, v} w[c, u, v] * x[n, i + u*dh - ph, j + v*dw - pw, c])
//
// One task per block of output rows; each output pixel accumulates one SIMD
// register of channels over all taps before storing it, so the map is read
// once per kernel row and written once. With a projection ``p`` (MogaNet's
// one-channel ``decompose`` conv after the GELU) the same pass also gives
//
//   d[n, i, j] = GELU(q + sum_c p[c] * y[n, i, j, c])
//
// from the pixel's channels while they are in registers, so ``y`` is not read
// again for it. With a 1x1 conv before it (MogaNet's ``fc1``, C_in -> C), the
// conv reads ``x = fc_bias + fc_weight * input`` from a per-task ring of the
// rows its window needs, computed there a few rows at a time, so that
// C-channel map is never stored either. GELU is x/2 * (1 + erf(x / sqrt 2))
// with erf computed as PyTorch's vectorised CPU kernel computes it
// (Abramowitz-Stegun 7.1.26 with a Cody-Waite exp), so the fused result
// equals conv2d followed by F.gelu up to float rounding.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>

#include "simd.h"

namespace {

using mmcnn_cpu::Simd;

typedef float float16v __attribute__((vector_size(64)));
typedef int32_t int16v __attribute__((vector_size(64)));

// exp(x) for x <= 0 (the GELU's -x^2/2): x = n ln2 + r, |r| <= ln2/2,
// exp(r) by its degree-7 Taylor polynomial, 2^n through the exponent bits.
inline float16v exp_nonpositive(float16v x) {
  const float16v lowest = x * 0.f - 87.f;
  x = x < lowest ? lowest : x;
  const float16v n = __builtin_convertvector(
      __builtin_convertvector(x * 1.44269504088896341f + (x * 0.f - 0.5f), int16v), float16v);
  const float16v r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float16v p = r * 0.f + 1.f / 5040.f;
  p = p * r + 1.f / 720.f;
  p = p * r + 1.f / 120.f;
  p = p * r + 1.f / 24.f;
  p = p * r + 1.f / 6.f;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  const int16v bits = (__builtin_convertvector(n, int16v) + 127) << 23;
  float16v scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

// GELU(x) = x/2 (1 + erf(x / sqrt 2)), erf by Abramowitz-Stegun 7.1.26.
inline float16v gelu(float16v x) {
  const float16v z = x * 0.70710678118654752f;
  const float16v a = z < 0 ? -z : z;
  const float16v t = 1.f / (a * 0.3275911f + 1.f);
  float16v r = t * 1.061405429f - 1.453152027f;
  r = r * t + 1.421413741f;
  r = r * t - 0.284496736f;
  r = r * t + 0.254829592f;
  const float16v e = 1.f - r * t * exp_nonpositive(-(z * z));
  const float16v erf = z < 0 ? -e : e;
  return x * 0.5f * (1.f + erf);
}

template <typename T>
inline T gelu_scalar(T x) {
  return x * T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752)));
}

struct Shape {
  int64_t n, height, width, channels, h_out, w_out, kh, kw, ph, pw, dh, dw;
};

// The optional one-channel projection of the output: ``weight`` (C) and
// ``bias``, written to ``out`` (one value per pixel) after a GELU.
template <typename T>
struct Projection {
  const T* weight;
  T bias;
  T* out;
};

// One output row ``row`` (n * h_out + i) of the conv into ``orow``, from the
// ``kh`` input rows its taps meet (``rows[u]`` is the row i + u*dh - ph of
// width * channels values, or nullptr where that row is padding).
template <typename T>
void conv_row(const Shape& s, const T* const* rows, const T* taps, const T* bias,
              bool apply_gelu, int64_t row, T* orow, const Projection<T>& proj) {
  using V = Simd<T>;
  const int64_t blocks = s.channels / V::lanes;
  for (int64_t j = 0; j < s.w_out; ++j) {
    const int64_t v_lo = std::max<int64_t>(0, (s.pw - j + s.dw - 1) / s.dw);
    const int64_t v_hi = std::min<int64_t>(s.kw, (s.width - 1 - j + s.pw) / s.dw + 1);
    T* o = orow + j * s.channels;
    typename V::type dot = {};
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t c = b * V::lanes;
      typename V::type acc = V::load(bias + c);
      for (int64_t u = 0; u < s.kh; ++u) {
        if (rows[u] == nullptr) continue;
        const T* xr = rows[u] + (j - s.pw) * s.channels + c;
        const T* wr = taps + u * s.kw * s.channels + c;
        for (int64_t v = v_lo; v < v_hi; ++v)
          acc += V::load(wr + v * s.channels) * V::load(xr + v * s.dw * s.channels);
      }
      if constexpr (std::is_same<T, float>::value) {
        if (apply_gelu) acc = gelu(acc);
      } else if (apply_gelu) {
        for (int64_t lane = 0; lane < V::lanes; ++lane) acc[lane] = gelu_scalar(acc[lane]);
      }
      V::store(o + c, acc);
      if (proj.out != nullptr) dot += acc * V::load(proj.weight + c);
    }
    T tail = 0;
    for (int64_t c = blocks * V::lanes; c < s.channels; ++c) {
      T acc = bias[c];
      for (int64_t u = 0; u < s.kh; ++u) {
        if (rows[u] == nullptr) continue;
        for (int64_t v = v_lo; v < v_hi; ++v)
          acc += taps[(u * s.kw + v) * s.channels + c] *
                 rows[u][(j - s.pw + v * s.dw) * s.channels + c];
      }
      o[c] = apply_gelu ? gelu_scalar(acc) : acc;
      if (proj.out != nullptr) tail += o[c] * proj.weight[c];
    }
    if (proj.out != nullptr)
      proj.out[row * s.w_out + j] =
          gelu_scalar(proj.bias + mmcnn_cpu::horizontal_sum<T>(dot) + tail);
  }
}

// The conv of the channels-last map ``x``: one task per block of output rows.
template <typename T>
void conv_rows(const Shape& s, const T* x, const T* taps, const T* bias, bool apply_gelu,
               T* out, const Projection<T>& proj) {
  at::parallel_for(0, s.n * s.h_out, 1, [&](int64_t begin, int64_t end) {
    std::vector<const T*> rows(s.kh);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.h_out, i = row % s.h_out;
      for (int64_t u = 0; u < s.kh; ++u) {
        const int64_t r = i + u * s.dh - s.ph;
        rows[u] = (r >= 0 && r < s.height)
                      ? x + ((n * s.height + r) * s.width) * s.channels
                      : nullptr;
      }
      conv_row(s, rows.data(), taps, bias, apply_gelu, row, out + row * s.w_out * s.channels,
               proj);
    }
  });
}

// The 1x1 conv before the depth-wise one: ``weight`` (c_in, channels),
// channel-contiguous, and ``bias`` (channels).
template <typename T>
struct Pointwise {
  const T* weight;
  const T* bias;
  int64_t c_in;
};

// Pixels per register tile of the 1x1 conv, with kBlocks registers of
// channels: 6 x 4 accumulators and 4 weights in 28 of the 32 registers.
constexpr int kPixels = 6;
constexpr int kBlocks = 4;

// out[p, c0 + c] = b[c0 + c] + sum_k x[p, k] * w[k, c0 + c] for P pixels and
// B registers of channels from c0: each weight register loaded once per k
// serves P pixels, each input value is broadcast to B registers.
template <typename T, int P, int B>
inline void pointwise_tile(const Pointwise<T>& fc, int64_t channels, const T* x, int64_t c0,
                           T* out) {
  using V = Simd<T>;
  typename V::type acc[P][B];
  for (int p = 0; p < P; ++p)
    for (int b = 0; b < B; ++b) acc[p][b] = V::load(fc.bias + c0 + b * V::lanes);
  for (int64_t k = 0; k < fc.c_in; ++k) {
    typename V::type w[B];
    for (int b = 0; b < B; ++b) {
      w[b] = V::load(fc.weight + k * channels + c0 + b * V::lanes);
#ifdef __AVX512F__
      // Keep w[b] in a register: GCC would otherwise reload it from memory
      // in each of the P multiply-adds, making the loop load-bound.
      asm("" : "+v"(w[b]));
#endif
    }
    for (int p = 0; p < P; ++p) {
      const T xk = x[p * fc.c_in + k];
      for (int b = 0; b < B; ++b) acc[p][b] += xk * w[b];
    }
  }
  for (int p = 0; p < P; ++p)
    for (int b = 0; b < B; ++b) V::store(out + p * channels + c0 + b * V::lanes, acc[p][b]);
}

// The last ``count`` (at most P) pixels as one tile of that many.
template <typename T, int B, int P>
inline void pointwise_rest(const Pointwise<T>& fc, int64_t channels, int64_t count, const T* x,
                           int64_t c0, T* out) {
  if constexpr (P > 0) {
    if (count == P)
      pointwise_tile<T, P, B>(fc, channels, x, c0, out);
    else
      pointwise_rest<T, B, P - 1>(fc, channels, count, x, c0, out);
  }
}

// The channels [c0, c0 + B * lanes) of the 1x1 conv of ``pixels`` pixels.
template <typename T, int B>
void pointwise_channels(const Pointwise<T>& fc, int64_t channels, int64_t pixels, const T* x,
                        int64_t c0, T* out) {
  int64_t j = 0;
  for (; j + kPixels <= pixels; j += kPixels)
    pointwise_tile<T, kPixels, B>(fc, channels, x + j * fc.c_in, c0, out + j * channels);
  pointwise_rest<T, B, kPixels - 1>(fc, channels, pixels - j, x + j * fc.c_in, c0,
                                    out + j * channels);
}

// The 1x1 conv of ``pixels`` pixels: ``x`` (pixels, c_in) -> ``out``
// (pixels, channels).
template <typename T>
void pointwise_pixels(const Pointwise<T>& fc, int64_t channels, int64_t pixels, const T* x,
                      T* out) {
  using V = Simd<T>;
  const int64_t blocks = channels / V::lanes;
  int64_t b = 0;
  for (; b + kBlocks <= blocks; b += kBlocks)
    pointwise_channels<T, kBlocks>(fc, channels, pixels, x, b * V::lanes, out);
  for (; b < blocks; ++b) pointwise_channels<T, 1>(fc, channels, pixels, x, b * V::lanes, out);
  for (int64_t j = 0; j < pixels; ++j)
    for (int64_t c = blocks * V::lanes; c < channels; ++c) {
      T acc = fc.bias[c];
      for (int64_t k = 0; k < fc.c_in; ++k)
        acc += x[j * fc.c_in + k] * fc.weight[k * channels + c];
      out[j * channels + c] = acc;
    }
}

// The conv of the 1x1 conv's output, ``fc(x)`` for the channels-last
// ``x`` (N, H, W, c_in), without that map: each task keeps the rows of
// fc(x) its output rows' taps meet in a ring of ``slots`` rows (input row r
// in slot r mod slots), the (kh - 1) * dh + 1 rows one output row needs
// and ``batch`` more, and computes each row once, ``batch`` rows at a time
// (about 256 KiB) so that on narrow maps one pass over fc's weights serves
// many pixels. Padding rows and columns are zeros of fc(x), as in conv2d.
template <typename T>
void pointwise_conv_rows(const Shape& s, const Pointwise<T>& fc, const T* x, const T* taps,
                         const T* bias, bool apply_gelu, T* out, const Projection<T>& proj) {
  const int64_t span = (s.kh - 1) * s.dh + 1;
  const int64_t row_size = s.width * s.channels;
  const int64_t batch =
      std::max<int64_t>(1, (int64_t(256) << 10) / (row_size * int64_t(sizeof(T))));
  const int64_t slots = span - 1 + batch;
  at::parallel_for(0, s.n * s.h_out, 1, [&](int64_t begin, int64_t end) {
    std::vector<T> ring(slots * row_size);
    std::vector<const T*> rows(s.kh);
    int64_t image = -1, done = 0;  // rows [.., done) of fc(x[image]) are in the ring
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / s.h_out, i = row % s.h_out;
      const int64_t first = std::max<int64_t>(0, i - s.ph);
      if (n != image) image = n, done = first;
      if (std::min(s.height, i - s.ph + span) > done) {
        // Up to the ring's room, the map's end and the last row this task's
        // output rows of this image need.
        const int64_t task_rows = std::min(end - n * s.h_out, s.h_out);
        const int64_t stop =
            std::min({first + slots, s.height, task_rows - 1 - s.ph + span});
        for (int64_t r = std::max(done, first); r < stop;) {
          const int64_t slot = r % slots, count = std::min(stop - r, slots - slot);
          pointwise_pixels(fc, s.channels, count * s.width,
                           x + (n * s.height + r) * s.width * fc.c_in,
                           ring.data() + slot * row_size);
          r += count;
        }
        done = stop;
      }
      for (int64_t u = 0; u < s.kh; ++u) {
        const int64_t r = i + u * s.dh - s.ph;
        rows[u] = (r >= 0 && r < s.height) ? ring.data() + (r % slots) * row_size : nullptr;
      }
      conv_row(s, rows.data(), taps, bias, apply_gelu, row, out + row * s.w_out * s.channels,
               proj);
    }
  });
}

// x: (N, C, H, W) (made channels-last), or with fc_weight (C, C_in, 1, 1)
// x: (N, C_in, H, W) and the conv applied to fc_bias + fc_weight * x (its
// C-channel map never stored); weight (C, 1, kh, kw); bias, fc_bias (C) or
// undefined; proj_weight (C) or undefined. Returns (N, C, H', W') in
// channels-last memory and, with proj_weight, the projection (N, 1, H', W').
std::tuple<at::Tensor, at::Tensor> convolve(const at::Tensor& x,
                                            const c10::optional<at::Tensor>& fc_weight,
                                            const c10::optional<at::Tensor>& fc_bias,
                                            const at::Tensor& weight,
                                            const c10::optional<at::Tensor>& bias,
                                            const c10::optional<at::Tensor>& proj_weight,
                                            double proj_bias, int64_t ph, int64_t pw,
                                            int64_t dh, int64_t dw, bool apply_gelu) {
  TORCH_CHECK(x.dim() == 4 && weight.dim() == 4, "dwconv_forward: NCHW tensors expected");
  const at::Tensor xl = x.permute({0, 2, 3, 1}).contiguous();
  const bool pointwise = fc_weight.has_value() && fc_weight->defined();
  const int64_t channels = pointwise ? fc_weight->size(0) : xl.size(3);
  const int64_t kh = weight.size(2), kw = weight.size(3);
  Shape s{xl.size(0), xl.size(1), xl.size(2), channels, 0, 0, kh, kw, ph, pw, dh, dw};
  s.h_out = s.height + 2 * ph - dh * (kh - 1);
  s.w_out = s.width + 2 * pw - dw * (kw - 1);
  TORCH_CHECK(s.h_out > 0 && s.w_out > 0, "dwconv_forward: empty output");
  TORCH_CHECK(weight.size(0) == channels, "dwconv_forward: one kernel per channel expected");
  const auto or_zeros = [&](const c10::optional<at::Tensor>& t) {
    return t.has_value() && t->defined() ? t->contiguous() : at::zeros({channels}, x.options());
  };
  const at::Tensor taps = weight.reshape({channels, kh * kw}).t().contiguous();
  const at::Tensor b = or_zeros(bias);
  const bool project = proj_weight.has_value() && proj_weight->defined();
  const at::Tensor p = project ? proj_weight->reshape({channels}).contiguous() : at::Tensor();
  at::Tensor fc_w, fc_b;
  if (pointwise) {
    TORCH_CHECK(fc_weight->numel() == channels * xl.size(3),
                "dwconv_forward: a (C, C_in, 1, 1) 1x1 conv weight expected");
    fc_w = fc_weight->reshape({channels, xl.size(3)}).t().contiguous();
    fc_b = or_zeros(fc_bias);
    TORCH_CHECK(fc_b.numel() == channels, "dwconv_forward: one 1x1 conv bias per channel");
  }
  at::Tensor out = at::empty({s.n, s.h_out, s.w_out, channels}, x.options());
  at::Tensor projected = project ? at::empty({s.n, 1, s.h_out, s.w_out}, x.options())
                                 : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dwconv_forward", [&] {
    const Projection<scalar_t> pr{project ? p.data_ptr<scalar_t>() : nullptr,
                                  static_cast<scalar_t>(proj_bias),
                                  project ? projected.data_ptr<scalar_t>() : nullptr};
    if (pointwise) {
      const Pointwise<scalar_t> fc{fc_w.data_ptr<scalar_t>(), fc_b.data_ptr<scalar_t>(),
                                   xl.size(3)};
      pointwise_conv_rows<scalar_t>(s, fc, xl.data_ptr<scalar_t>(), taps.data_ptr<scalar_t>(),
                                    b.data_ptr<scalar_t>(), apply_gelu,
                                    out.data_ptr<scalar_t>(), pr);
    } else {
      conv_rows<scalar_t>(s, xl.data_ptr<scalar_t>(), taps.data_ptr<scalar_t>(),
                          b.data_ptr<scalar_t>(), apply_gelu, out.data_ptr<scalar_t>(), pr);
    }
  });
  return {out.permute({0, 3, 1, 2}), projected};
}

at::Tensor dwconv_forward(const at::Tensor& x, const at::Tensor& weight,
                          const c10::optional<at::Tensor>& bias, int64_t ph, int64_t pw,
                          int64_t dh, int64_t dw, bool apply_gelu) {
  return std::get<0>(convolve(x, c10::nullopt, c10::nullopt, weight, bias, c10::nullopt, 0., ph,
                              pw, dh, dw, apply_gelu));
}

// GELU(dwconv(x)) and GELU(proj_bias + proj_weight . GELU(dwconv(x))) per
// pixel, in one pass.
std::tuple<at::Tensor, at::Tensor> dwconv_gelu_project(
    const at::Tensor& x, const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& proj_weight, double proj_bias, int64_t ph, int64_t pw, int64_t dh,
    int64_t dw) {
  TORCH_CHECK(proj_weight.numel() == x.size(1),
              "dwconv_gelu_project: one projection weight per channel expected");
  return convolve(x, c10::nullopt, c10::nullopt, weight, bias, proj_weight, proj_bias, ph, pw,
                  dh, dw, true);
}

// dwconv_gelu_project of fc(x) = fc_bias + fc_weight * x (a 1x1 conv,
// C_in -> C channels) for x (N, C_in, H, W), fc(x) never stored: h =
// GELU(dwconv(fc(x))) (N, C, H', W') channels-last, and d =
// GELU(proj_bias + proj_weight . h) (N, 1, H', W').
std::tuple<at::Tensor, at::Tensor> dwconv_gelu_project_fc(
    const at::Tensor& x, const at::Tensor& fc_weight, const c10::optional<at::Tensor>& fc_bias,
    const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
    const at::Tensor& proj_weight, double proj_bias, int64_t ph, int64_t pw, int64_t dh,
    int64_t dw) {
  TORCH_CHECK(proj_weight.numel() == fc_weight.size(0),
              "dwconv_gelu_project_fc: one projection weight per channel expected");
  return convolve(x, fc_weight, fc_bias, weight, bias, proj_weight, proj_bias, ph, pw, dh, dw,
                  true);
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(mmcnn_cpu, m) {
  m.def(
      "dwconv_forward(Tensor x, Tensor weight, Tensor? bias, int ph, int pw, int dh, int dw, "
      "bool gelu) -> Tensor");
  m.def(
      "dwconv_gelu_project(Tensor x, Tensor weight, Tensor? bias, Tensor proj_weight, "
      "float proj_bias, int ph, int pw, int dh, int dw) -> (Tensor, Tensor)");
  m.def(
      "dwconv_gelu_project_fc(Tensor x, Tensor fc_weight, Tensor? fc_bias, Tensor weight, "
      "Tensor? bias, Tensor proj_weight, float proj_bias, int ph, int pw, int dh, int dw) -> "
      "(Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(mmcnn_cpu, CPU, m) {
  m.impl("dwconv_forward", &dwconv_forward);
  m.impl("dwconv_gelu_project", &dwconv_gelu_project);
  m.impl("dwconv_gelu_project_fc", &dwconv_gelu_project_fc);
}
