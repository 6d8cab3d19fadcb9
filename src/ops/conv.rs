//! 2-D convolution and pooling over NCHW tensors, as im2col: the windows are gathered into
//! columns (a gather kernel on either device) and reduced with a matmul, a max or a mean. The
//! gathering's gradient is col2im, itself a gather of each input element's readers, and the two
//! are each other's gradients, so convolutions are differentiable to any order without a
//! scatter.

use std::sync::Arc;

use crate::autograd::record;
use crate::backend::cpu::alloc;
use crate::device::Device;
use crate::error::{Error, Result};
use crate::shape::checked_numel;
use crate::tensor::Tensor;

/// How a window slides over the input: stride, zero padding on every side, and dilation (the
/// spacing of the window's taps), the same along both spatial axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
}

impl Default for Conv2dOptions {
    /// PyTorch's defaults: stride 1, no padding, no dilation.
    fn default() -> Conv2dOptions {
        Conv2dOptions {
            stride: 1,
            padding: 0,
            dilation: 1,
        }
    }
}

/// The windows of a `[n, c, h, w]` input: their geometry and the input's shape.
struct Windows {
    op: &'static str,
    kernel: usize,
    options: Conv2dOptions,
    shape: [usize; 4],
    out: [usize; 2],
}

impl Windows {
    fn new(
        op: &'static str,
        input: &Tensor,
        kernel: usize,
        options: Conv2dOptions,
    ) -> Result<Windows> {
        let &[n, c, h, w] = input.shape() else {
            return Err(Error::InvalidShape {
                op,
                message: format!(
                    "the input must be 4-D [batch, channels, height, width], not of shape {:?}",
                    input.shape()
                ),
            });
        };
        let invalid = |message: String| Error::InvalidArgument { op, message };
        if kernel == 0 || options.stride == 0 || options.dilation == 0 {
            return Err(invalid(format!(
                "kernel size {kernel}, stride {} and dilation {} must all be at least 1",
                options.stride, options.dilation
            )));
        }
        let span = options
            .dilation
            .checked_mul(kernel - 1)
            .and_then(|s| s.checked_add(1))
            .ok_or_else(|| invalid(format!("kernel size {kernel} overflows")))?;
        let side = |length: usize| -> Result<usize> {
            let padded = options
                .padding
                .checked_mul(2)
                .and_then(|p| p.checked_add(length))
                .ok_or_else(|| invalid(format!("padding {} overflows", options.padding)))?;
            if padded < span {
                return Err(invalid(format!(
                    "a window spanning {span} does not fit in {length} + 2 x {} padding",
                    options.padding
                )));
            }
            Ok((padded - span) / options.stride + 1)
        };
        Ok(Windows {
            op,
            kernel,
            options,
            shape: [n, c, h, w],
            out: [side(h)?, side(w)?],
        })
    }

    /// `[n, c, kernel * kernel, out_h * out_w]`: every window's taps, padding filled with `pad`.
    fn columns(&self, input: &Tensor, pad: f64) -> Result<Tensor> {
        let [n, c, h, w] = self.shape;
        let p = self.options.padding;
        let padded = if p == 0 {
            input.clone()
        } else {
            let device = input.device();
            let rows = Tensor::full(&[n, c, p, w], pad, input.dtype(), &device)?;
            let tall = Tensor::cat(&[&rows, input, &rows], 2)?;
            let cols = Tensor::full(&[n, c, h + 2 * p, p], pad, input.dtype(), &device)?;
            Tensor::cat(&[&cols, &tall, &cols], 3)?
        };
        let (wide, [oh, ow], k) = (w + 2 * p, self.out, self.kernel);
        let (s, d) = (self.options.stride, self.options.dilation);
        let taps = checked_numel(self.op, &[k, k, oh, ow])?;
        let mut positions =
            alloc::with_capacity(taps).map_err(|e| e.for_tensor_on(&input.device()))?;
        for ki in 0..k {
            for kj in 0..k {
                for y in 0..oh {
                    for x in 0..ow {
                        positions.push(((y * s + ki * d) * wide + x * s + kj * d) as i64);
                    }
                }
            }
        }
        let plane = (h + 2 * p) * wide;
        let taps = Arc::new(Taps::new(positions, plane, &input.device())?);
        unfold(&padded.reshape(&[n, c, plane])?, &taps)?.reshape(&[n, c, k * k, oh * ow])
    }

    fn output_shape(&self, channels: usize) -> [usize; 4] {
        [self.shape[0], channels, self.out[0], self.out[1]]
    }
}

/// Which element of a `[.., plane]` input each tap reads (`forward`), and, for each input
/// element, the taps that read it (`inverse`, `reads` per element, padded with one past the last
/// tap, which reads zero): the two gathers of im2col and of its adjoint.
struct Taps {
    forward: Tensor,
    inverse: Tensor,
    plane: usize,
    reads: usize,
}

impl Taps {
    fn new(positions: Vec<i64>, plane: usize, device: &Device) -> Result<Taps> {
        let count = positions.len();
        let on = |e: Error| e.for_tensor_on(device);
        let mut readers = alloc::filled(plane, 0usize).map_err(on)?;
        positions.iter().for_each(|&p| readers[p as usize] += 1);
        let reads = readers.iter().copied().max().unwrap_or(0).max(1);
        let mut inverse =
            alloc::filled(checked_numel("conv2d", &[plane, reads])?, count as i64).map_err(on)?;
        readers.iter_mut().for_each(|r| *r = 0);
        for (tap, &p) in positions.iter().enumerate() {
            let p = p as usize;
            inverse[p * reads + readers[p]] = tap as i64;
            readers[p] += 1;
        }
        Ok(Taps {
            forward: Tensor::from_vec(positions, &[count], device)?
                .with_integer_range(0, plane as i64 - 1),
            inverse: Tensor::from_vec(inverse, &[plane * reads], device)?
                .with_integer_range(0, count as i64),
            plane,
            reads,
        })
    }
}

/// `[n, c, plane]` to the `[n, c, count]` taps (im2col). Its gradient is [`fold`], whose
/// gradient is this again: differentiable to any order with gathers only, never a scatter.
fn unfold(x: &Tensor, taps: &Arc<Taps>) -> Result<Tensor> {
    let out = x.detach().index_select(2, &taps.forward)?;
    let taps = Arc::clone(taps);
    Ok(record(out, "unfold", &[x], move |g, _| {
        Ok(vec![Some(fold(g, &taps)?)])
    }))
}

/// `[n, c, count]` taps summed back into the `[n, c, plane]` elements they read (col2im).
fn fold(g: &Tensor, taps: &Arc<Taps>) -> Result<Tensor> {
    let (n, c, count) = (g.shape()[0], g.shape()[1], g.shape()[2]);
    let out = match g.device() {
        // The CPU adds each tap where it belongs in one pass. The GPU has no float atomics, and
        // its scatter loops over every tap for each element: it gathers the readers instead.
        Device::Cpu => Tensor::zeros(&[n, c, taps.plane], g.dtype(), &Device::Cpu)?.scatter_add(
            2,
            &taps
                .forward
                .reshape(&[1, 1, count])?
                .broadcast_to(g.shape())?,
            &g.detach(),
        )?,
        Device::Gpu(_) => {
            let zero = Tensor::zeros(&[n, c, 1], g.dtype(), &g.device())?;
            Tensor::cat(&[&g.detach(), &zero], 2)?
                .index_select(2, &taps.inverse)?
                .reshape(&[n, c, taps.plane, taps.reads])?
                .sum_axis(3, false)?
        }
    };
    let taps = Arc::clone(taps);
    Ok(record(out, "fold", &[g], move |gg, _| {
        Ok(vec![Some(unfold(gg, &taps)?)])
    }))
}

impl Tensor {
    /// 2-D convolution (`torch.nn.functional.conv2d`, a cross-correlation) of this `[n, c, h,
    /// w]` input with `weight` of shape `[out, c, k, k]`, plus `bias` of shape `[out]` when given.
    /// Differentiable in all three.
    pub fn conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        options: Conv2dOptions,
    ) -> Result<Tensor> {
        self.require_float("conv2d")?;
        let &[out, channels, k, k2] = weight.shape() else {
            return Err(Error::InvalidShape {
                op: "conv2d",
                message: format!(
                    "the weight must be 4-D [out, in, k, k], not of shape {:?}",
                    weight.shape()
                ),
            });
        };
        let windows = Windows::new("conv2d", self, k, options)?;
        if k != k2 || channels != windows.shape[1] {
            return Err(Error::ShapeMismatch {
                op: windows.op,
                lhs: self.shape().to_vec(),
                rhs: weight.shape().to_vec(),
                hint: "the weight must be [out, in, k, k] with square kernels and `in` the input's channels",
            });
        }
        let columns = windows.columns(self, 0.0)?;
        let [n, _, _, _] = windows.shape;
        let taps = channels * k * k;
        let spots = windows.out[0] * windows.out[1];
        let mut y = weight
            .reshape(&[out, taps])?
            .matmul(&columns.reshape(&[n, taps, spots])?)?;
        if let Some(bias) = bias {
            if bias.shape() != [out] {
                return Err(Error::ShapeMismatch {
                    op: "conv2d",
                    lhs: vec![out],
                    rhs: bias.shape().to_vec(),
                    hint: "the bias has one value per output channel",
                });
            }
            y = y.add(&bias.reshape(&[out, 1])?)?;
        }
        y.reshape(&windows.output_shape(out))
    }

    /// The largest value of each `kernel x kernel` window (`torch.nn.functional.max_pool2d`;
    /// padding counts as -inf). Differentiable: the gradient goes to the window's largest
    /// element, shared equally between ties.
    pub fn max_pool2d(&self, kernel: usize, options: Conv2dOptions) -> Result<Tensor> {
        self.require_float("max_pool2d")?;
        let windows = Windows::new("max_pool2d", self, kernel, options)?;
        let pooled = windows
            .columns(self, f64::NEG_INFINITY)?
            .max_axis(2, false)?;
        pooled.reshape(&windows.output_shape(windows.shape[1]))
    }

    /// The mean of each `kernel x kernel` window (`torch.nn.functional.avg_pool2d`; padding
    /// counts as zeros in the mean, as PyTorch's default `count_include_pad`). Differentiable.
    pub fn avg_pool2d(&self, kernel: usize, options: Conv2dOptions) -> Result<Tensor> {
        self.require_float("avg_pool2d")?;
        let windows = Windows::new("avg_pool2d", self, kernel, options)?;
        let pooled = windows.columns(self, 0.0)?.mean_axis(2, false)?;
        pooled.reshape(&windows.output_shape(windows.shape[1]))
    }
}
