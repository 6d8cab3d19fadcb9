//! The digits CNN, apart from its data and training so that the benches build the same model.

use wgrad::nn::{Activation, Conv2d, Flatten, Linear, MaxPool2d, Sequential};
use wgrad::{Conv2dOptions, Device};

/// Conv(1->8, 3x3, pad 1), ReLU, max-pool 2; conv(8->16), ReLU, max-pool 2; linear 784 -> 10.
pub fn cnn(device: &Device) -> wgrad::Result<Sequential> {
    let same = Conv2dOptions {
        padding: 1,
        ..Conv2dOptions::default()
    };
    Ok(Sequential::new()
        .push(Conv2d::new(1, 8, 3, device)?.with_options(same))
        .push(Activation::Relu)
        .push(MaxPool2d::new(2, None, 0))
        .push(Conv2d::new(8, 16, 3, device)?.with_options(same))
        .push(Activation::Relu)
        .push(MaxPool2d::new(2, None, 0))
        .push(Flatten)
        .push(Linear::new(16 * 7 * 7, 10, device)?))
}
