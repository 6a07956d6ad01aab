// DCNv3 sampling on channels-last CPU maps, forward and backward.
//
// out[n, h, w, g*Cg + c] = sum_k m[n, h, w, g, k] * bilinear(x[n, :, :, g*Cg + c], loc_k)
// with loc_k = (w*stride + start + tap_i + s*dx, h*stride + start + tap_j + s*dy)
// in the coordinates of the map padded by one pixel (start = half - padding + 1,
// tap_i = (i*dilation - half)*s, s = offset_scale, k = i*kernel + j): the
// arithmetic of mmcnn.models.layers.dcnv3._bilinear_taps, so both paths
// round alike. Taps outside the map read zeros.
//
// Forward: one task per output row, the Cg channels of a group in the
// innermost (vectorised) loop. Backward: one task per (image, group), which
// owns that group's channel slice of grad_x and its offsets and masks, so
// the scatter into grad_x needs no atomics.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "simd.h"

namespace {

using mmcnn_cpu::horizontal_sum;
using mmcnn_cpu::Simd;

struct Geometry {
  int64_t n, height, width, channels, h_out, w_out, groups, points, group_channels;
  int64_t kernel, stride, padding, dilation;
  double scale;
};

Geometry geometry(const at::Tensor& x, const at::Tensor& mask, int64_t kernel,
                  int64_t stride, int64_t padding, int64_t dilation, double scale) {
  TORCH_CHECK(x.dim() == 4, "dcnv3: x must be (N, H, W, C), got ", x.sizes());
  TORCH_CHECK(mask.dim() == 5, "dcnv3: mask must be (N, H_out, W_out, G, K), got ",
              mask.sizes());
  Geometry geo{x.size(0),    x.size(1), x.size(2), x.size(3), mask.size(1),
               mask.size(2), mask.size(3), mask.size(4), x.size(3) / mask.size(3),
               kernel,       stride,    padding,   dilation,  scale};
  TORCH_CHECK(geo.points == kernel * kernel, "dcnv3: mask has ", geo.points,
              " points for a kernel of ", kernel);
  TORCH_CHECK(geo.group_channels * geo.groups == geo.channels,
              "dcnv3: channels not divisible by groups");
  return geo;
}

// The taps of every (group, point) of one output pixel, branch-free so that
// the loops vectorise: a tap outside the map gets weight 0, validity 0 and
// the offset of its group's channels at pixel (0, 0).
template <typename T>
struct PixelTaps {
  std::vector<int64_t> offset[4];
  std::vector<T> weight[4];
  std::vector<T> valid[4];
  std::vector<T> tap_x, tap_y, frac_x, frac_y;
  std::vector<int32_t> col, row;
  std::vector<int64_t> channel;

  explicit PixelTaps(const Geometry& geo) {
    const int64_t count = geo.groups * geo.points;
    const int64_t half = geo.dilation * (geo.kernel - 1) / 2;
    for (int corner = 0; corner < 4; ++corner) {
      offset[corner].resize(count);
      weight[corner].resize(count);
      valid[corner].resize(count);
    }
    for (auto* v : {&tap_x, &tap_y, &frac_x, &frac_y}) v->resize(count);
    col.resize(count);
    row.resize(count);
    channel.resize(count);
    for (int64_t q = 0; q < count; ++q) {
      const int64_t k = q % geo.points;
      tap_x[q] = static_cast<T>((k / geo.kernel) * geo.dilation - half) * static_cast<T>(geo.scale);
      tap_y[q] = static_cast<T>((k % geo.kernel) * geo.dilation - half) * static_cast<T>(geo.scale);
      channel[q] = (q / geo.points) * geo.group_channels;
    }
  }

  // The taps of points [first, first + count) of pixel (h, w), whose offsets
  // and masks start at ``offsets`` and ``masks``.
  void fill(const Geometry& geo, int64_t h, int64_t w, const T* offsets, const T* masks,
            int64_t first, int64_t count) {
    const int64_t half = geo.dilation * (geo.kernel - 1) / 2;
    const T scale = static_cast<T>(geo.scale);
    const T start = static_cast<T>(half - geo.padding + 1);
    const T base_x = static_cast<T>(w * geo.stride) + start;
    const T base_y = static_cast<T>(h * geo.stride) + start;
    const int32_t width = static_cast<int32_t>(geo.width);
    const int32_t height = static_cast<int32_t>(geo.height);
    const int64_t channels = geo.channels;
    T* __restrict fx = frac_x.data();
    T* __restrict fy = frac_y.data();
    int32_t* __restrict ix = col.data();
    int32_t* __restrict iy = row.data();
#pragma omp simd
    for (int64_t q = first; q < first + count; ++q) {
      const T loc_x = (base_x + tap_x[q]) + offsets[2 * q] * scale;
      const T loc_y = (base_y + tap_y[q]) + offsets[2 * q + 1] * scale;
      const T floor_x = std::floor(loc_x), floor_y = std::floor(loc_y);
      fx[q] = loc_x - floor_x;
      fy[q] = loc_y - floor_y;
      ix[q] = static_cast<int32_t>(floor_x) - 1;
      iy[q] = static_cast<int32_t>(floor_y) - 1;
    }
    int64_t* __restrict o0 = offset[0].data();
    int64_t* __restrict o1 = offset[1].data();
    int64_t* __restrict o2 = offset[2].data();
    int64_t* __restrict o3 = offset[3].data();
    T* __restrict w0 = weight[0].data();
    T* __restrict w1 = weight[1].data();
    T* __restrict w2 = weight[2].data();
    T* __restrict w3 = weight[3].data();
    T* __restrict v0 = valid[0].data();
    T* __restrict v1 = valid[1].data();
    T* __restrict v2 = valid[2].data();
    T* __restrict v3 = valid[3].data();
#pragma omp simd
    for (int64_t q = first; q < first + count; ++q) {
      const int32_t x0 = ix[q], y0 = iy[q];
      const T m = masks[q];
      const T weight_b = fy[q] * m;
      const T weight_a = m - weight_b;
      const T weight_ab = weight_a * fx[q];
      const T weight_bb = weight_b * fx[q];
      const bool col_a = static_cast<uint32_t>(x0) < static_cast<uint32_t>(width);
      const bool col_b = static_cast<uint32_t>(x0 + 1) < static_cast<uint32_t>(width);
      const bool row_a = static_cast<uint32_t>(y0) < static_cast<uint32_t>(height);
      const bool row_b = static_cast<uint32_t>(y0 + 1) < static_cast<uint32_t>(height);
      const int64_t base = (static_cast<int64_t>(y0) * width + x0) * channels + channel[q];
      const int64_t own = channel[q];
      o0[q] = row_a && col_a ? base : own;
      o1[q] = row_a && col_b ? base + channels : own;
      o2[q] = row_b && col_a ? base + width * channels : own;
      o3[q] = row_b && col_b ? base + (width + 1) * channels : own;
      v0[q] = row_a && col_a ? T(1) : T(0);
      v1[q] = row_a && col_b ? T(1) : T(0);
      v2[q] = row_b && col_a ? T(1) : T(0);
      v3[q] = row_b && col_b ? T(1) : T(0);
      w0[q] = row_a && col_a ? weight_a - weight_ab : T(0);
      w1[q] = row_a && col_b ? weight_ab : T(0);
      w2[q] = row_b && col_a ? weight_b - weight_bb : T(0);
      w3[q] = row_b && col_b ? weight_bb : T(0);
    }
  }
};

// out[c] = sum over the group's points and taps of weight * image[offset + c],
// one register of channels at a time.
template <typename T>
inline void accumulate(const PixelTaps<T>& t, const T* __restrict image, int64_t first,
                       int64_t points, int64_t cg, T* __restrict out) {
  using V = Simd<T>;
  const int64_t* o0 = t.offset[0].data() + first;
  const int64_t* o1 = t.offset[1].data() + first;
  const int64_t* o2 = t.offset[2].data() + first;
  const int64_t* o3 = t.offset[3].data() + first;
  const T* w0 = t.weight[0].data() + first;
  const T* w1 = t.weight[1].data() + first;
  const T* w2 = t.weight[2].data() + first;
  const T* w3 = t.weight[3].data() + first;
  int64_t c = 0;
  for (; c + V::lanes <= cg; c += V::lanes) {
    typename V::type acc = {};
    for (int64_t q = 0; q < points; ++q) {
      acc += w0[q] * V::load(image + o0[q] + c) + w1[q] * V::load(image + o1[q] + c);
      acc += w2[q] * V::load(image + o2[q] + c) + w3[q] * V::load(image + o3[q] + c);
    }
    V::store(out + c, acc);
  }
  for (; c < cg; ++c) {
    T acc = 0;
    for (int64_t q = 0; q < points; ++q)
      acc += (w0[q] * image[o0[q] + c] + w1[q] * image[o1[q] + c]) +
             (w2[q] * image[o2[q] + c] + w3[q] * image[o3[q] + c]);
    out[c] = acc;
  }
}

template <typename T>
void forward_kernel(const Geometry& geo, const T* x, const T* offset, const T* mask, T* out) {
  at::parallel_for(0, geo.n * geo.h_out, 1, [&](int64_t begin, int64_t end) {
    PixelTaps<T> t(geo);
    const int64_t count = geo.groups * geo.points;
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / geo.h_out, h = row % geo.h_out;
      const T* image = x + n * geo.height * geo.width * geo.channels;
      for (int64_t w = 0; w < geo.w_out; ++w) {
        const int64_t pixel = row * geo.w_out + w;
        t.fill(geo, h, w, offset + 2 * pixel * count, mask + pixel * count, 0, count);
        T* o = out + pixel * geo.channels;
        for (int64_t g = 0; g < geo.groups; ++g)
          accumulate<T>(t, image, g * geo.points, geo.points, geo.group_channels,
                        o + g * geo.group_channels);
      }
    }
  });
}

// The backward of one output pixel: its offsets' and masks' gradients, and
// its taps' contributions added to ``grad_image`` (the pixel's image).
template <typename T>
void backward_pixel(const Geometry& geo, PixelTaps<T>& t, int64_t n, int64_t h, int64_t w,
                    const T* grad_out, const T* x, const T* offset, const T* mask,
                    T* grad_image, T* grad_offset, T* grad_mask) {
  using V = Simd<T>;
  const int64_t cg = geo.group_channels, count = geo.groups * geo.points;
  const T scale = static_cast<T>(geo.scale);
  const T* image = x + n * geo.height * geo.width * geo.channels;
  const int64_t pixel = (n * geo.h_out + h) * geo.w_out + w;
  t.fill(geo, h, w, offset + 2 * pixel * count, mask + pixel * count, 0, count);
  for (int64_t q = 0; q < count; ++q) {
    const T* go = grad_out + pixel * geo.channels + t.channel[q];
    const T* p0 = image + t.offset[0][q];
    const T* p1 = image + t.offset[1][q];
    const T* p2 = image + t.offset[2][q];
    const T* p3 = image + t.offset[3][q];
    T* g0 = grad_image + t.offset[0][q];
    T* g1 = grad_image + t.offset[1][q];
    T* g2 = grad_image + t.offset[2][q];
    T* g3 = grad_image + t.offset[3][q];
    const T k0 = t.valid[0][q], k1 = t.valid[1][q], k2 = t.valid[2][q], k3 = t.valid[3][q];
    const T w0 = t.weight[0][q], w1 = t.weight[1][q], w2 = t.weight[2][q];
    const T w3 = t.weight[3][q];
    const T fx = t.frac_x[q], fy = t.frac_y[q], gx = T(1) - fx, gy = T(1) - fy;
    typename V::type sampled = {}, slope_x = {}, slope_y = {};
    int64_t c = 0;
    for (; c + V::lanes <= cg; c += V::lanes) {
      const typename V::type d = V::load(go + c);
      const typename V::type a = k0 * V::load(p0 + c), b = k1 * V::load(p1 + c);
      const typename V::type e = k2 * V::load(p2 + c), f = k3 * V::load(p3 + c);
      sampled += d * (gy * (gx * a + fx * b) + fy * (gx * e + fx * f));
      slope_x += d * (gy * (b - a) + fy * (f - e));
      slope_y += d * (gx * (e - a) + fx * (f - b));
      V::store(g0 + c, V::load(g0 + c) + w0 * d);
      V::store(g1 + c, V::load(g1 + c) + w1 * d);
      V::store(g2 + c, V::load(g2 + c) + w2 * d);
      V::store(g3 + c, V::load(g3 + c) + w3 * d);
    }
    T sum_s = horizontal_sum<T>(sampled), sum_x = horizontal_sum<T>(slope_x);
    T sum_y = horizontal_sum<T>(slope_y);
    for (; c < cg; ++c) {
      const T d = go[c], a = k0 * p0[c], b = k1 * p1[c], e = k2 * p2[c], f = k3 * p3[c];
      sum_s += d * (gy * (gx * a + fx * b) + fy * (gx * e + fx * f));
      sum_x += d * (gy * (b - a) + fy * (f - e));
      sum_y += d * (gx * (e - a) + fx * (f - b));
      g0[c] += w0 * d;
      g1[c] += w1 * d;
      g2[c] += w2 * d;
      g3[c] += w3 * d;
    }
    const int64_t point = pixel * count + q;
    const T m = mask[point];
    grad_mask[point] = sum_s;
    grad_offset[2 * point] = m * scale * sum_x;
    grad_offset[2 * point + 1] = m * scale * sum_y;
  }
}

// With at least as many images as threads, a task per image owns that
// image's input gradient. Otherwise rows are split between threads, each
// adding into its own copy of the input gradient, summed at the end.
template <typename T>
void backward_kernel(const Geometry& geo, const T* grad_out, const T* x, const T* offset,
                     const T* mask, at::Tensor& grad_x, T* grad_offset, T* grad_mask) {
  const int64_t image_size = geo.height * geo.width * geo.channels;
  const int64_t threads = at::get_num_threads();
  if (geo.n >= threads) {
    T* gx = grad_x.data_ptr<T>();
    at::parallel_for(0, geo.n, 1, [&](int64_t begin, int64_t end) {
      PixelTaps<T> t(geo);
      for (int64_t n = begin; n < end; ++n)
        for (int64_t h = 0; h < geo.h_out; ++h)
          for (int64_t w = 0; w < geo.w_out; ++w)
            backward_pixel<T>(geo, t, n, h, w, grad_out, x, offset, mask,
                              gx + n * image_size, grad_offset, grad_mask);
    });
    return;
  }
  at::Tensor copies = at::zeros({threads, geo.n * image_size}, grad_x.options());
  T* base = copies.data_ptr<T>();
  at::parallel_for(0, geo.n * geo.h_out, 1, [&](int64_t begin, int64_t end) {
    PixelTaps<T> t(geo);
    T* own = base + at::get_thread_num() * geo.n * image_size;
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / geo.h_out, h = row % geo.h_out;
      for (int64_t w = 0; w < geo.w_out; ++w)
        backward_pixel<T>(geo, t, n, h, w, grad_out, x, offset, mask, own + n * image_size,
                          grad_offset, grad_mask);
    }
  });
  grad_x.copy_(copies.sum(0).view_as(grad_x));
}

at::Tensor dcnv3_forward(const at::Tensor& x, const at::Tensor& offset, const at::Tensor& mask,
                         int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                         double scale) {
  const Geometry geo = geometry(x, mask, kernel, stride, padding, dilation, scale);
  const at::Tensor xc = x.contiguous(), oc = offset.contiguous(), mc = mask.contiguous();
  at::Tensor out = at::empty({geo.n, geo.h_out, geo.w_out, geo.channels}, x.options());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dcnv3_forward", [&] {
    forward_kernel<scalar_t>(geo, xc.data_ptr<scalar_t>(), oc.data_ptr<scalar_t>(),
                             mc.data_ptr<scalar_t>(), out.data_ptr<scalar_t>());
  });
  return out;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> dcnv3_backward(
    const at::Tensor& grad_out, const at::Tensor& x, const at::Tensor& offset,
    const at::Tensor& mask, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
    double scale) {
  const Geometry geo = geometry(x, mask, kernel, stride, padding, dilation, scale);
  const at::Tensor gc = grad_out.contiguous(), xc = x.contiguous();
  const at::Tensor oc = offset.contiguous(), mc = mask.contiguous();
  at::Tensor grad_x = at::zeros_like(xc);
  at::Tensor grad_offset = at::empty_like(oc);
  at::Tensor grad_mask = at::empty_like(mc);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dcnv3_backward", [&] {
    backward_kernel<scalar_t>(geo, gc.data_ptr<scalar_t>(), xc.data_ptr<scalar_t>(),
                              oc.data_ptr<scalar_t>(), mc.data_ptr<scalar_t>(), grad_x,
                              grad_offset.data_ptr<scalar_t>(), grad_mask.data_ptr<scalar_t>());
  });
  return {grad_x, grad_offset, grad_mask};
}

}  // namespace

TORCH_LIBRARY(mmcnn_cpu, m) {
  m.def(
      "dcnv3_forward(Tensor x, Tensor offset, Tensor mask, int kernel_size, int stride, "
      "int padding, int dilation, float offset_scale) -> Tensor");
  m.def(
      "dcnv3_backward(Tensor grad_out, Tensor x, Tensor offset, Tensor mask, int kernel_size, "
      "int stride, int padding, int dilation, float offset_scale) -> (Tensor, Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(mmcnn_cpu, CPU, m) {
  m.impl("dcnv3_forward", &dcnv3_forward);
  m.impl("dcnv3_backward", &dcnv3_backward);
}
