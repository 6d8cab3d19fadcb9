//! Convolution and pooling layers over NCHW images.

use super::linear::{fan_in_bound, uniform};
use super::{Module, Parameter, Visitor};
use crate::device::Device;
use crate::error::Result;
use crate::ops::Conv2dOptions;
use crate::tensor::Tensor;

/// 2-D convolution (`torch.nn.Conv2d` with square kernels): `weight` is `[out, in, k, k]`,
/// `bias` is `[out]`, both uniform in `±1/sqrt(in * k * k)` as PyTorch initialises them.
pub struct Conv2d {
    pub weight: Parameter,
    pub bias: Parameter,
    options: Conv2dOptions,
}

impl Conv2d {
    /// A convolution from `inputs` to `outputs` channels with a `kernel x kernel` window,
    /// stride 1, no padding, from the default generator, in f32 on `device`.
    pub fn new(inputs: usize, outputs: usize, kernel: usize, device: &Device) -> Result<Conv2d> {
        let bound = fan_in_bound(inputs * kernel * kernel);
        Ok(Conv2d {
            weight: uniform(&[outputs, inputs, kernel, kernel], bound, device)?,
            bias: uniform(&[outputs], bound, device)?,
            options: Conv2dOptions::default(),
        })
    }

    /// This layer with stride, padding and dilation from `options`.
    pub fn with_options(mut self, options: Conv2dOptions) -> Conv2d {
        self.options = options;
        self
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.conv2d(&self.weight.get(), Some(&self.bias.get()), self.options)
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.parameter("weight", &self.weight);
        v.parameter("bias", &self.bias);
    }

    fn extra_repr(&self) -> String {
        let shape = self.weight.get().shape().to_vec();
        let o = self.options;
        format!(
            "{}, {}, kernel_size=({k}, {k}), stride=({s}, {s}), padding=({p}, {p}), dilation=({d}, {d})",
            shape[1],
            shape[0],
            k = shape[2],
            s = o.stride,
            p = o.padding,
            d = o.dilation
        )
    }
}

/// A pooling layer's window: its size, and a stride that defaults to it, as in PyTorch.
#[derive(Clone, Copy)]
struct Pool {
    kernel: usize,
    options: Conv2dOptions,
}

impl Pool {
    fn new(kernel: usize, stride: Option<usize>, padding: usize) -> Pool {
        Pool {
            kernel,
            options: Conv2dOptions {
                stride: stride.unwrap_or(kernel),
                padding,
                dilation: 1,
            },
        }
    }

    fn repr(&self) -> String {
        let o = self.options;
        format!(
            "kernel_size={}, stride={}, padding={}",
            self.kernel, o.stride, o.padding
        )
    }
}

/// The largest value of each window (`torch.nn.MaxPool2d`).
pub struct MaxPool2d(Pool);

impl MaxPool2d {
    /// Windows of `kernel x kernel`, stride `stride` (the kernel size when `None`), padded with
    /// `padding` on each side.
    pub fn new(kernel: usize, stride: Option<usize>, padding: usize) -> MaxPool2d {
        MaxPool2d(Pool::new(kernel, stride, padding))
    }
}

impl Module for MaxPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.max_pool2d(self.0.kernel, self.0.options)
    }

    fn extra_repr(&self) -> String {
        self.0.repr()
    }
}

/// The mean of each window (`torch.nn.AvgPool2d`, padding counted as zeros).
pub struct AvgPool2d(Pool);

impl AvgPool2d {
    /// Windows of `kernel x kernel`, stride `stride` (the kernel size when `None`), padded with
    /// `padding` on each side.
    pub fn new(kernel: usize, stride: Option<usize>, padding: usize) -> AvgPool2d {
        AvgPool2d(Pool::new(kernel, stride, padding))
    }
}

impl Module for AvgPool2d {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.avg_pool2d(self.0.kernel, self.0.options)
    }

    fn extra_repr(&self) -> String {
        self.0.repr()
    }
}
