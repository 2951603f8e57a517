/// The CUDA C kernels for every `ComputeBackend` operation that is not a matrix product, compiled once per process
/// with NVRTC for the device's compute capability.
///
/// Each kernel computes what the CPU backend's loop of the same purpose computes, in FP32 with the CUDA math library's
/// accurate functions (`erff`, `expf`, `tanhf`; no fast math). Element counts are `long long` so that large batches
/// cannot overflow an index; elementwise kernels use grid-stride loops, row kernels one block per row.
enum CUDAKernels {
    /// The name NVRTC gives the program in its messages.
    static let programName = "bertinspect_kernels.cu"

    /// The kernels of `source`, named as `cuModuleGetFunction` looks them up.
    enum Kernel: String, CaseIterable, Sendable {
        case addBias = "add_bias"
        case gelu = "gelu_erf"
        case relu
        case tanh = "tanh_activation"
        case sigmoid
        case layerNorm = "layer_norm"
        case maskedSoftmax = "masked_softmax"
        case gatherRows = "gather_rows"
        case unfoldWindows = "unfold_windows"
        case maxPoolOverTime = "max_pool_over_time"

        /// Position in `allCases`.
        var index: Int { Self.allCases.firstIndex(of: self)! }

        /// The kernel's C parameters in order; a launch must pass exactly these (`CUDADevice.launch` checks).
        var parameters: [KernelParameter] {
            switch self {
            case .addBias: [.pointer, .pointer, .int64, .int32]
            case .gelu, .relu, .tanh, .sigmoid: [.pointer, .int64]
            case .layerNorm: [.pointer, .pointer, .pointer, .pointer, .float, .int32, .pointer]
            case .maskedSoftmax: [.pointer, .pointer, .int32, .int32]
            case .gatherRows: [.pointer, .pointer, .int64, .int32, .int32, .pointer]
            case .unfoldWindows: [.pointer, .int64, .int32, .int32, .int32, .int32, .pointer]
            case .maxPoolOverTime: [.pointer, .int64, .int32, .int32, .pointer, .int32, .int32]
            }
        }
    }

    /// The C type of a kernel parameter.
    enum KernelParameter: Equatable {
        /// `float*`, `const float*`, `const int*`.
        case pointer
        /// `int`.
        case int32
        /// `long long`.
        case int64
        /// `float`.
        case float

        /// How NVRTC declares the parameter in PTX (`.param .u64`).
        var ptxType: String {
            switch self {
            case .pointer, .int64: "u64"
            case .int32: "u32"
            case .float: "f32"
            }
        }
    }

    /// The kernels' source: plain CUDA C with no includes, so NVRTC needs no toolkit headers.
    static let source = #"""
    #define FOR_EACH_INDEX(i, count) \
        for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (count); \
             i += (long long)gridDim.x * blockDim.x)

    __device__ __forceinline__ float negative_infinity() { return __int_as_float(0xff800000); }

    // The sum of `value` over the block; `partial` holds 33 floats. Every thread gets the total.
    __device__ float block_sum(float value, float* partial) {
        for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
        const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
        if (lane == 0) partial[warp] = value;
        __syncthreads();
        if (warp == 0) {
            value = lane < warps ? partial[lane] : 0.0f;
            for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
            if (lane == 0) partial[32] = value;
        }
        __syncthreads();
        const float total = partial[32];
        __syncthreads();
        return total;
    }

    // The maximum of `value` over the block; as block_sum.
    __device__ float block_max(float value, float* partial) {
        for (int offset = 16; offset > 0; offset >>= 1) value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
        const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
        if (lane == 0) partial[warp] = value;
        __syncthreads();
        if (warp == 0) {
            value = lane < warps ? partial[lane] : negative_infinity();
            for (int offset = 16; offset > 0; offset >>= 1) value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
            if (lane == 0) partial[32] = value;
        }
        __syncthreads();
        const float total = partial[32];
        __syncthreads();
        return total;
    }

    extern "C" {

    // x[r, c] += bias[c] for a rows × columns matrix.
    __global__ void add_bias(float* x, const float* bias, long long rows, int columns) {
        FOR_EACH_INDEX(i, rows * columns) x[i] += bias[i % columns];
    }

    // Exact GELU, 0.5·x·(1 + erf(x/√2)) (transformers' "gelu").
    __global__ void gelu_erf(float* x, long long count) {
        FOR_EACH_INDEX(i, count) {
            const float v = x[i];
            x[i] = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
        }
    }

    // max(x, 0); NaN becomes 0, as in the CPU backend.
    __global__ void relu(float* x, long long count) {
        FOR_EACH_INDEX(i, count) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
    }

    __global__ void tanh_activation(float* x, long long count) {
        FOR_EACH_INDEX(i, count) x[i] = tanhf(x[i]);
    }

    __global__ void sigmoid(float* x, long long count) {
        FOR_EACH_INDEX(i, count) x[i] = 1.0f / (1.0f + expf(-x[i]));
    }

    // output = LayerNorm(x + residual) per row of `columns`, biased variance, one block per row. `residual` may be
    // null; `output` may be `x` or `residual` (each thread reads an element before it writes that element only).
    __global__ void layer_norm(const float* x, const float* residual, const float* gamma, const float* beta,
                               float epsilon, int columns, float* output) {
        __shared__ float partial[33];
        const long long start = (long long)blockIdx.x * columns;
        const float* in = x + start;
        const float* add = residual ? residual + start : 0;
        float* out = output + start;
        float sum = 0.0f;
        for (int c = threadIdx.x; c < columns; c += blockDim.x) sum += add ? in[c] + add[c] : in[c];
        const float mean = block_sum(sum, partial) / columns;
        float squares = 0.0f;
        for (int c = threadIdx.x; c < columns; c += blockDim.x) {
            const float d = (add ? in[c] + add[c] : in[c]) - mean;
            squares += d * d;
        }
        const float scale = 1.0f / sqrtf(block_sum(squares, partial) / columns + epsilon);
        for (int c = threadIdx.x; c < columns; c += blockDim.x) {
            const float v = add ? in[c] + add[c] : in[c];
            out[c] = (v - mean) * scale * gamma[c] + beta[c];
        }
    }

    // Softmax over each row of `keys` scores after adding the sequence's additive mask; one block per row, rows of one
    // sequence `rows_per_sequence` (heads × queries) apart. Subtracts the row maximum first, as the CPU backend does.
    __global__ void masked_softmax(float* scores, const float* mask, int rows_per_sequence, int keys) {
        __shared__ float partial[33];
        float* row = scores + (long long)blockIdx.x * keys;
        const float* add = mask + (long long)(blockIdx.x / rows_per_sequence) * keys;
        float maximum = negative_infinity();
        for (int k = threadIdx.x; k < keys; k += blockDim.x) {
            const float v = row[k] + add[k];
            row[k] = v;
            maximum = fmaxf(maximum, v);
        }
        maximum = block_max(maximum, partial);
        float sum = 0.0f;
        for (int k = threadIdx.x; k < keys; k += blockDim.x) {
            const float e = expf(row[k] - maximum);
            row[k] = e;
            sum += e;
        }
        const float inverse = 1.0f / block_sum(sum, partial);
        for (int k = threadIdx.x; k < keys; k += blockDim.x) row[k] *= inverse;
    }

    // output[i, :] (+)= table[rows[i], :] for rows of `width`.
    __global__ void gather_rows(const float* table, const int* rows, long long count, int width, int accumulate,
                                float* output) {
        FOR_EACH_INDEX(i, count * width) {
            const float v = table[(long long)rows[i / width] * width + i % width];
            output[i] = accumulate ? output[i] + v : v;
        }
    }

    // Every window of `width` time steps of x [batch, time, channels] as one row of output
    // [batch·(time − width + 1), width·channels]: time-major (j·channels + c) or channel-major (c·width + j).
    __global__ void unfold_windows(const float* x, long long batch, int time, int channels, int width, int channel_major,
                                   float* output) {
        const long long windows = time - width + 1, row_width = (long long)width * channels;
        FOR_EACH_INDEX(i, batch * windows * row_width) {
            const long long row = i / row_width, column = i % row_width;
            const long long b = row / windows, t = row % windows;
            const long long j = channel_major ? column % width : column / channels;
            const long long c = channel_major ? column / width : column % channels;
            output[i] = x[(b * time + t + j) * channels + c];
        }
    }

    // output[b, offset + c] = max over t of x[b, t, c], rows of output `stride` apart.
    __global__ void max_pool_over_time(const float* x, long long batch, int time, int channels, float* output,
                                       int offset, int stride) {
        FOR_EACH_INDEX(i, batch * channels) {
            const long long b = i / channels, c = i % channels;
            float maximum = negative_infinity();
            for (int t = 0; t < time; ++t) {
                const float v = x[(b * time + t) * channels + c];
                maximum = v > maximum ? v : maximum;
            }
            output[b * stride + offset + c] = maximum;
        }
    }

    }
    """#
}
