// mlx-sys shim: a minimal C ABI over MLX's C++ API.
//
// Invariants:
// - No C++ exception crosses the boundary: every exported function wraps its body in
//   `guard`, which catches everything and copies the message into the caller's buffer
//   (always NUL-terminated, truncated to fit). Return value: 0 on success, nonzero on error.
// - Arrays cross the boundary as opaque `mlxs_array*` handles (a heap `mlx::core::array`),
//   created by `mlxs_array_from_host` (which copies the caller's bytes) or by `mlxs_op`, and
//   freed exactly once by `mlxs_array_free`. Data leaves through `mlxs_array_copy_out`, which
//   evaluates and copies the row-major elements into the caller's buffer.
// - Dtype codes are mlx-rs's `Dtype` order (bool, u8, u16, u32, u64, i8, i16, i32, i64, f16,
//   bf16, f32, f64, c64), not MLX's enum order.
// - One MLX call at a time: the Rust side serializes calls (MLX's graph state is not meant to be
//   driven from several threads at once).
//
// Adding an op: one entry in `ops()` below: a name, and a lambda from (inputs, int params,
// float params) to an array.

#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

struct mlxs_array {
  mx::array a;
};

namespace {

void copy_message(const char* msg, char* err, size_t err_len) {
  if (err == nullptr || err_len == 0) return;
  size_t n = std::strlen(msg);
  if (n >= err_len) n = err_len - 1;
  std::memcpy(err, msg, n);
  err[n] = '\0';
}

template <typename F>
int guard(char* err, size_t err_len, F&& f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    copy_message(e.what(), err, err_len);
    return 1;
  } catch (...) {
    copy_message("unknown C++ exception", err, err_len);
    return 2;
  }
}

const mx::Dtype kDtypes[] = {
    mx::bool_,   mx::uint8,   mx::uint16,   mx::uint32,  mx::uint64,
    mx::int8,    mx::int16,   mx::int32,    mx::int64,   mx::float16,
    mx::bfloat16, mx::float32, mx::float64, mx::complex64,
};
constexpr int64_t kNumDtypes = sizeof(kDtypes) / sizeof(kDtypes[0]);

mx::Dtype to_mlx(int64_t code) {
  if (code < 0 || code >= kNumDtypes) {
    throw std::invalid_argument("[mlx-sys] unknown dtype code " + std::to_string(code));
  }
  return kDtypes[code];
}

int from_mlx(mx::Dtype d) {
  for (int i = 0; i < kNumDtypes; ++i) {
    if (kDtypes[i] == d) return i;
  }
  throw std::invalid_argument("[mlx-sys] MLX returned an unknown dtype");
}

mx::Shape to_shape(const int64_t* dims, size_t n) {
  mx::Shape s;
  for (size_t i = 0; i < n; ++i) {
    if (dims[i] < 0 || dims[i] > INT32_MAX) {
      throw std::invalid_argument("[mlx-sys] dimension out of MLX's int32 range");
    }
    s.push_back(static_cast<int32_t>(dims[i]));
  }
  return s;
}

using Arrays = std::vector<mx::array>;
using Ints = std::vector<int64_t>;
using Floats = std::vector<double>;
using OpFn = std::function<mx::array(const Arrays&, const Ints&, const Floats&)>;

void need(const char* op, size_t have, size_t want, const char* what) {
  if (have < want) {
    throw std::invalid_argument(std::string("[mlx-sys] ") + op + " expects " + std::to_string(want) +
                                " " + what + " but got " + std::to_string(have));
  }
}

std::vector<int> axes_of(const Ints& ints) { return std::vector<int>(ints.begin(), ints.end()); }

// The fill value as a 0-d array: ints = [dtype, kind, int value, shape...] with kind 0 bool,
// 1 int, 2 float, 3 complex; floats = [float value, imaginary part].
mx::array scalar_of(const Ints& ints, const Floats& floats) {
  switch (ints[1]) {
    case 0: return mx::array(ints[2] != 0);
    case 1: return mx::array(static_cast<int64_t>(ints[2]), mx::int64);
    case 2: return mx::array(floats[0], mx::float64);
    case 3: return mx::array(std::complex<float>(static_cast<float>(floats[0]), static_cast<float>(floats[1])));
    default: throw std::invalid_argument("[mlx-sys] unknown scalar kind");
  }
}

#define UNARY(name) {#name, [](const Arrays& x, const Ints&, const Floats&) { return mx::name(x[0]); }}
#define BINARY(name) \
  {#name, [](const Arrays& x, const Ints&, const Floats&) { return mx::name(x[0], x[1]); }}
#define REDUCE(name) \
  {#name, [](const Arrays& x, const Ints& i, const Floats&) { return mx::name(x[0], axes_of(i), true); }}
#define ARG_REDUCE(name)                                                       \
  {#name, [](const Arrays& x, const Ints& i, const Floats&) {                  \
     need(#name, i.size(), 1, "int parameters");                               \
     return mx::name(x[0], static_cast<int>(i[0]), true);                      \
   }}

// ints = [axis, reverse, inclusive].
#define SCAN(name)                                                                      \
  {#name, [](const Arrays& x, const Ints& i, const Floats&) {                           \
     need(#name, i.size(), 3, "int parameters");                                        \
     return mx::name(x[0], static_cast<int>(i[0]), i[1] != 0, i[2] != 0);              \
   }}

// Scatter along one axis (put_along_axis with a combining mode): inputs [array, indices,
// updates] of one rank, indices and updates of one shape; ints = [axis]. As MLX's own
// put_along_axis: every other axis gets an arange index, updates gain trailing unit axes.
template <typename F>
mx::array along_axis(const Arrays& x, int axis, F scatter) {
  const mx::array& a = x[0];
  const mx::array& idx = x[1];
  int nd = static_cast<int>(a.ndim());
  if (axis < 0 || axis >= nd || static_cast<int>(idx.ndim()) != nd) {
    throw std::invalid_argument("[mlx-sys] scatter: bad axis or index rank");
  }
  Arrays indices;
  std::vector<int> axes;
  for (int d = 0; d < nd; ++d) {
    axes.push_back(d);
    if (d == axis) {
      indices.push_back(idx);
    } else {
      mx::Shape s(nd, 1);
      s[d] = idx.shape(d);
      indices.push_back(mx::reshape(mx::arange(idx.shape(d), mx::int32), s));
    }
  }
  mx::Shape us = x[2].shape();
  for (int d = 0; d < nd; ++d) us.push_back(1);
  return scatter(a, indices, mx::reshape(x[2], us), axes);
}
#define SCATTER(name)                                                                   \
  {#name, [](const Arrays& x, const Ints& i, const Floats&) {                           \
     need(#name, i.size(), 1, "int parameters");                                        \
     return along_axis(x, static_cast<int>(i[0]), [](const mx::array& a, const Arrays& idx, \
                                                     const mx::array& u, const std::vector<int>& ax) { \
       return mx::name(a, idx, u, ax);                                                   \
     });                                                                                \
   }}

// Input counts are checked against `arity` in `mlxs_op` (-1: at least one).
struct Op {
  int arity;
  OpFn fn;
};

const std::unordered_map<std::string, Op>& ops() {
  static const std::unordered_map<std::string, Op> table = [] {
    std::unordered_map<std::string, OpFn> fns = {
        {"full",
         [](const Arrays&, const Ints& i, const Floats& f) {
           need("full", i.size(), 3, "int parameters");
           need("full", f.size(), 2, "float parameters");
           return mx::full(to_shape(i.data() + 3, i.size() - 3), scalar_of(i, f), to_mlx(i[0]));
         }},
        {"arange",
         [](const Arrays&, const Ints& i, const Floats& f) {
           need("arange", i.size(), 2, "int parameters");
           need("arange", f.size(), 2, "float parameters");
           // stop half a step past the last element, so rounding cannot change the length.
           double stop = f[0] + (static_cast<double>(i[1]) - 0.5) * f[1];
           return mx::arange(f[0], stop, f[1], to_mlx(i[0]));
         }},
        UNARY(abs), UNARY(negative), UNARY(exp), UNARY(log), UNARY(sqrt), UNARY(copy),
        UNARY(sin), UNARY(cos), UNARY(tan), UNARY(arcsin), UNARY(arccos), UNARY(arctan),
        UNARY(sinh), UNARY(cosh), UNARY(tanh), UNARY(arcsinh), UNARY(arccosh), UNARY(arctanh),
        UNARY(sigmoid), UNARY(erf), UNARY(erfinv), UNARY(expm1), UNARY(log1p), UNARY(log2),
        UNARY(log10), UNARY(floor), UNARY(ceil), UNARY(sign), UNARY(real), UNARY(imag),
        UNARY(conjugate), UNARY(logical_not), UNARY(bitwise_invert),
        {"round", [](const Arrays& x, const Ints&, const Floats&) { return mx::round(x[0], 0); }},
        BINARY(add), BINARY(subtract), BINARY(multiply), BINARY(divide), BINARY(maximum),
        BINARY(minimum), BINARY(equal), BINARY(not_equal), BINARY(less), BINARY(less_equal),
        BINARY(greater), BINARY(greater_equal), BINARY(matmul),
        BINARY(power), BINARY(floor_divide), BINARY(remainder), BINARY(logaddexp), BINARY(arctan2),
        BINARY(bitwise_and), BINARY(bitwise_or), BINARY(bitwise_xor), BINARY(left_shift),
        BINARY(right_shift),
        // ints = [width, shape...]; input: the uint32 key of shape (2,).
        {"bits",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("bits", i.size(), 1, "int parameters");
           return mx::random::bits(to_shape(i.data() + 1, i.size() - 1), static_cast<int>(i[0]), x[0]);
         }},
        // ints = [groups, flip, n, stride(n), padding_lo(n), padding_hi(n), kernel_dilation(n),
        // input_dilation(n)].
        {"conv_general",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("conv_general", i.size(), 3, "int parameters");
           size_t n = static_cast<size_t>(i[2]);
           need("conv_general", i.size(), 3 + 5 * n, "int parameters");
           auto list = [&](size_t k) {
             return std::vector<int>(i.begin() + 3 + k * n, i.begin() + 3 + (k + 1) * n);
           };
           return mx::conv_general(x[0], x[1], list(0), list(1), list(2), list(3), list(4),
                                   static_cast<int>(i[0]), i[1] != 0);
         }},
        {"gather_mm",
         [](const Arrays& x, const Ints&, const Floats&) { return mx::gather_mm(x[0], x[1], x[2], x[3]); }},
        SCAN(cumsum), SCAN(cumprod), SCAN(cummax), SCAN(cummin), SCAN(logcumsumexp),
        {"sort",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("sort", i.size(), 1, "int parameters");
           return mx::sort(x[0], static_cast<int>(i[0]));
         }},
        {"argsort",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("argsort", i.size(), 1, "int parameters");
           return mx::argsort(x[0], static_cast<int>(i[0]));
         }},
        // ints = [axis]; inputs: array, indices (take_along_axis).
        {"gather",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("gather", i.size(), 1, "int parameters");
           return mx::take_along_axis(x[0], x[1], static_cast<int>(i[0]));
         }},
        SCATTER(scatter), SCATTER(scatter_add), SCATTER(scatter_prod), SCATTER(scatter_max),
        SCATTER(scatter_min),
        {"where", [](const Arrays& x, const Ints&, const Floats&) { return mx::where(x[0], x[1], x[2]); }},
        {"astype",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("astype", i.size(), 1, "int parameters");
           return mx::astype(x[0], to_mlx(i[0]));
         }},
        REDUCE(sum), REDUCE(prod), REDUCE(max), REDUCE(min),
        ARG_REDUCE(argmax), ARG_REDUCE(argmin),
        {"concatenate",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("concatenate", i.size(), 1, "int parameters");
           return mx::concatenate(x, static_cast<int>(i[0]));
         }},
        // fft branch: ints = [inverse, real, k, axes (k), sizes (k)]; the sizes are the
        // full-length side's (the output's for a real inverse), so MLX builds the same FFT node.
        {"fft",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("fft", i.size(), 3, "int parameters");
           size_t k = static_cast<size_t>(i[2]);
           need("fft", i.size(), 3 + 2 * k, "int parameters");
           std::vector<int> axes;
           mx::Shape n;
           for (size_t j = 0; j < k; ++j) {
             axes.push_back(static_cast<int>(i[3 + j]));
             n.push_back(static_cast<int>(i[3 + k + j]));
           }
           bool inverse = i[0] != 0, real = i[1] != 0;
           if (real) {
             return inverse ? mx::fft::irfftn(x[0], n, axes) : mx::fft::rfftn(x[0], n, axes);
           }
           return inverse ? mx::fft::ifftn(x[0], n, axes) : mx::fft::fftn(x[0], n, axes);
         }},
        // --- fused last-axis kernels (speed branch) ---
        {"softmax", [](const Arrays& x, const Ints&, const Floats&) { return mx::softmax(x[0], -1); }},
        {"logsumexp", [](const Arrays& x, const Ints&, const Floats&) { return mx::logsumexp(x[0], -1, true); }},
        // floats = [eps]; inputs: x, then the weight when present.
        {"rms_norm",
         [](const Arrays& x, const Ints&, const Floats& f) {
           need("rms_norm", f.size(), 1, "float parameters");
           std::optional<mx::array> w;
           if (x.size() > 1) w = x[1];
           return mx::fast::rms_norm(x[0], w, static_cast<float>(f[0]));
         }},
        // ints = [has_weight, has_bias]; floats = [eps]; inputs: x, weight?, bias?.
        {"layer_norm",
         [](const Arrays& x, const Ints& i, const Floats& f) {
           need("layer_norm", i.size(), 2, "int parameters");
           need("layer_norm", f.size(), 1, "float parameters");
           std::optional<mx::array> w, b;
           size_t k = 1;
           if (i[0] != 0) w = x.at(k++);
           if (i[1] != 0) b = x.at(k++);
           return mx::fast::layer_norm(x[0], w, b, static_cast<float>(f[0]));
         }},
        // linalg branch: one output of a factorization per call (the C ABI returns one array),
        // ints = [kind, flag_a, flag_b, output]. kind: 0 qr, 1 svd (a = compute_uv),
        // 2 inverse (a = tri, b = upper), 3 cholesky (a = upper), 4 eig (a = vectors),
        // 5 eigh (a = upper, b = vectors), 6 lu (LU, pivots, row permutation).
        // MLX factorizes on the CPU stream only.
        {"linalg",
         [](const Arrays& x, const Ints& i, const Floats&) {
           need("linalg", i.size(), 4, "int parameters");
           mx::StreamOrDevice cpu = mx::Device(mx::Device::cpu);
           auto pick = [&](const std::vector<mx::array>& v) { return v.at(static_cast<size_t>(i[3])); };
           const std::string uplo = i[1] != 0 ? "U" : "L";
           switch (i[0]) {
             case 0: {
               auto [q, r] = mx::linalg::qr(x[0], cpu);
               return pick({q, r});
             }
             case 1:
               return pick(mx::linalg::svd(x[0], i[1] != 0, cpu));
             case 2:
               return i[1] != 0 ? mx::linalg::tri_inv(x[0], i[2] != 0, cpu) : mx::linalg::inv(x[0], cpu);
             case 3:
               return mx::linalg::cholesky(x[0], i[1] != 0, cpu);
             case 4: {
               if (i[1] == 0) return mx::linalg::eigvals(x[0], cpu);
               auto [w, v] = mx::linalg::eig(x[0], cpu);
               return pick({w, v});
             }
             case 5: {
               if (i[2] == 0) return mx::linalg::eigvalsh(x[0], uplo, cpu);
               auto [w, v] = mx::linalg::eigh(x[0], uplo, cpu);
               return pick({w, v});
             }
             case 6: {
               // MLX's LUF outputs: LU and pivots from lu_factor, the row permutation from lu.
               if (i[3] < 2) {
                 auto [lu, piv] = mx::linalg::lu_factor(x[0], cpu);
                 return pick({lu, piv});
               }
               return mx::linalg::lu(x[0], cpu).at(0);
             }
             default:
               throw std::invalid_argument("[linalg] unknown factorization");
           }
         }},
    };
    const std::unordered_map<std::string, int> arity = {
        {"full", 0}, {"arange", 0}, {"where", 3}, {"concatenate", -1}, {"matmul", 2},
        {"add", 2}, {"subtract", 2}, {"multiply", 2}, {"divide", 2}, {"maximum", 2},
        {"minimum", 2}, {"equal", 2}, {"not_equal", 2}, {"less", 2}, {"less_equal", 2},
        {"greater", 2}, {"greater_equal", 2}, {"power", 2}, {"floor_divide", 2}, {"remainder", 2},
        {"logaddexp", 2}, {"arctan2", 2}, {"bitwise_and", 2}, {"bitwise_or", 2}, {"bitwise_xor", 2},
        {"left_shift", 2}, {"right_shift", 2}, {"conv_general", 2}, {"gather_mm", 4}, {"gather", 2},
        {"scatter", 3}, {"scatter_add", 3}, {"scatter_prod", 3}, {"scatter_max", 3}, {"scatter_min", 3},
        {"rms_norm", -1}, {"layer_norm", -1},
    };
    std::unordered_map<std::string, Op> t;
    for (auto& [name, fn] : fns) {
      auto it = arity.find(name);
      t.emplace(name, Op{it == arity.end() ? 1 : it->second, std::move(fn)});
    }
    return t;
  }();
  return table;
}

}  // namespace

extern "C" {

// Copies `nbytes` bytes of row-major elements at `data` into a new MLX array.
int mlxs_array_from_host(const void* data, size_t nbytes, const int64_t* shape, size_t ndim, int dtype,
                         mlxs_array** out, char* err, size_t err_len) {
  return guard(err, err_len, [&] {
    if (out == nullptr) throw std::invalid_argument("[mlx-sys] null output pointer");
    mx::Shape s = to_shape(shape, ndim);
    mx::Dtype d = to_mlx(dtype);
    size_t size = 1;
    for (auto v : s) size *= static_cast<size_t>(v);
    if (size * d.size() != nbytes) {
      throw std::invalid_argument("[mlx-sys] buffer size does not match shape and dtype");
    }
    if (nbytes > 0 && data == nullptr) throw std::invalid_argument("[mlx-sys] null data");
    auto align = std::align_val_t(64);
    char* copy = static_cast<char*>(::operator new(nbytes == 0 ? 1 : nbytes, align));
    if (nbytes > 0) std::memcpy(copy, data, nbytes);
    auto deleter = [align](void* p) { ::operator delete(p, align); };
    try {
      *out = new mlxs_array{mx::array(copy, std::move(s), d, deleter)};
    } catch (...) {
      ::operator delete(copy, align);
      throw;
    }
  });
}

void mlxs_array_free(mlxs_array* a) { delete a; }

int mlxs_array_ndim(const mlxs_array* a) { return a == nullptr ? 0 : static_cast<int>(a->a.ndim()); }

// Writes the shape (ndim entries) and dtype code of `a`.
int mlxs_array_info(const mlxs_array* a, int64_t* shape, size_t ndim, int* dtype, char* err, size_t err_len) {
  return guard(err, err_len, [&] {
    if (a == nullptr) throw std::invalid_argument("[mlx-sys] null array");
    if (ndim != a->a.ndim()) throw std::invalid_argument("[mlx-sys] wrong ndim");
    for (size_t i = 0; i < ndim; ++i) shape[i] = a->a.shape(static_cast<int>(i));
    *dtype = from_mlx(a->a.dtype());
  });
}

// Evaluates `a` and copies its elements, row-major, into `dst` (exactly `nbytes` bytes).
int mlxs_array_copy_out(mlxs_array* a, void* dst, size_t nbytes, char* err, size_t err_len) {
  return guard(err, err_len, [&] {
    if (a == nullptr) throw std::invalid_argument("[mlx-sys] null array");
    mx::array x = a->a;
    mx::eval(x);
    if (!x.flags().row_contiguous) {
      x = mx::contiguous(x);
      mx::eval(x);
    }
    if (x.nbytes() != nbytes) throw std::invalid_argument("[mlx-sys] destination size mismatch");
    if (nbytes > 0) std::memcpy(dst, x.data<char>(), nbytes);
  });
}

// Builds `op` of `n_inputs` arrays with integer and float parameters (meaning per op: see
// `ops()`). The result is lazy; errors MLX raises while building it are returned here, errors
// while computing it by `mlxs_array_copy_out`.
int mlxs_op(const char* op, const mlxs_array* const* inputs, size_t n_inputs, const int64_t* ints, size_t n_ints,
            const double* floats, size_t n_floats, mlxs_array** out, char* err, size_t err_len) {
  return guard(err, err_len, [&] {
    if (op == nullptr || out == nullptr) throw std::invalid_argument("[mlx-sys] null argument");
    auto it = ops().find(op);
    if (it == ops().end()) throw std::invalid_argument(std::string("[mlx-sys] unknown op ") + op);
    int arity = it->second.arity;
    if ((arity >= 0 && n_inputs != static_cast<size_t>(arity)) || (arity < 0 && n_inputs == 0)) {
      throw std::invalid_argument(std::string("[mlx-sys] wrong number of inputs for ") + op);
    }
    Arrays xs;
    xs.reserve(n_inputs);
    for (size_t i = 0; i < n_inputs; ++i) {
      if (inputs[i] == nullptr) throw std::invalid_argument("[mlx-sys] null input");
      xs.push_back(inputs[i]->a);
    }
    Ints is(ints, ints + (ints == nullptr ? 0 : n_ints));
    Floats fs(floats, floats + (floats == nullptr ? 0 : n_floats));
    *out = new mlxs_array{it->second.fn(xs, is, fs)};
  });
}

}  // extern "C"
