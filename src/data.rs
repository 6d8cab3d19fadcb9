//! Mini-batches over tensors that share their first axis (`torch.utils.data.DataLoader` over a
//! `TensorDataset`). Batches are taken on the tensors' device: contiguous slices (views) in order,
//! or rows gathered through a permutation drawn once per epoch, so no batch goes through the host.

use crate::error::{Error, Result};
use crate::random::Generator;
use crate::tensor::Tensor;

/// Splits tensors into batches along their first axis, in order or shuffled per epoch.
///
/// ```
/// use wgrad::data::DataLoader;
/// use wgrad::{DType, Device, Tensor};
///
/// let dev = Device::cpu();
/// let x = Tensor::randn(&[10, 3], DType::F32, 0, &dev)?;
/// let y = Tensor::arange(0.0, 10.0, 1.0, DType::I64, &dev)?;
/// let loader = DataLoader::new(&[&x, &y], 4)?.shuffle(7).drop_last(true);
/// assert_eq!(loader.len(), 2);
/// for batch in loader.batches(0)? {
///     let batch = batch?;
///     assert_eq!((batch[0].shape(), batch[1].shape()), (&[4, 3][..], &[4][..]));
/// }
/// # Ok::<(), wgrad::Error>(())
/// ```
#[derive(Clone)]
pub struct DataLoader {
    tensors: Vec<Tensor>,
    batch_size: usize,
    shuffle: Option<u64>,
    drop_last: bool,
}

impl DataLoader {
    /// Batches of `batch_size` rows of each of `tensors`, which must have the same length along
    /// their first axis and live on one device. In order, the last batch possibly short, until
    /// [`DataLoader::shuffle`] or [`DataLoader::drop_last`] say otherwise.
    pub fn new(tensors: &[&Tensor], batch_size: usize) -> Result<DataLoader> {
        let invalid = |message: String| Error::InvalidArgument {
            op: "DataLoader::new",
            message,
        };
        let Some(first) = tensors.first() else {
            return Err(invalid("there are no tensors to batch".into()));
        };
        if batch_size == 0 {
            return Err(invalid("the batch size must be at least 1".into()));
        }
        let rows = |t: &Tensor| t.shape().first().copied();
        for t in tensors {
            first.same_device("DataLoader::new", t)?;
            if rows(t).is_none() || rows(t) != rows(first) {
                return Err(invalid(format!(
                    "the tensors must share their first axis, but have shapes {:?}",
                    tensors.iter().map(|t| t.shape()).collect::<Vec<_>>()
                )));
            }
        }
        // An integer tensor's bounds are read once here, so that its batches (labels, token
        // ids) carry them and their index checks never read the device back.
        for t in tensors.iter().filter(|t| t.dtype().is_integral()) {
            t.integer_range()?;
        }
        Ok(DataLoader {
            tensors: tensors.iter().map(|t| t.detach()).collect(),
            batch_size,
            shuffle: None,
            drop_last: false,
        })
    }

    /// Shuffles the rows every epoch, with a permutation fixed by `seed` and the epoch number.
    pub fn shuffle(mut self, seed: u64) -> DataLoader {
        self.shuffle = Some(seed);
        self
    }

    /// Leaves out the last batch of an epoch when it would be short.
    pub fn drop_last(mut self, drop_last: bool) -> DataLoader {
        self.drop_last = drop_last;
        self
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.tensors[0].shape()[0]
    }

    /// The number of batches in an epoch.
    pub fn len(&self) -> usize {
        if self.drop_last {
            self.rows() / self.batch_size
        } else {
            self.rows().div_ceil(self.batch_size)
        }
    }

    /// True when an epoch has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batches of epoch `epoch` (counted from 0): each a tensor per input, in the inputs'
    /// order. The same epoch number gives the same batches, so a resumed run continues exactly.
    pub fn batches(&self, epoch: u64) -> Result<Batches> {
        let order = match self.shuffle {
            Some(seed) => {
                let mut epochs = Generator::new(seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let device = self.tensors[0].device();
                Some(Tensor::randperm(self.rows(), epochs.next_seed(), &device)?)
            }
            None => None,
        };
        Ok(Batches {
            loader: self.clone(),
            order,
            next: 0,
        })
    }
}

/// The batches of one epoch, from [`DataLoader::batches`].
pub struct Batches {
    loader: DataLoader,
    order: Option<Tensor>,
    next: usize,
}

impl Batches {
    fn batch(&self, start: usize, len: usize) -> Result<Vec<Tensor>> {
        let rows = match &self.order {
            Some(order) => Some(order.narrow(0, start, len)?),
            None => None,
        };
        self.loader
            .tensors
            .iter()
            .map(|t| match &rows {
                Some(rows) => t.index_select(0, rows),
                None => t.narrow(0, start, len),
            })
            .collect()
    }
}

impl Iterator for Batches {
    type Item = Result<Vec<Tensor>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.loader.len() {
            return None;
        }
        let start = self.next * self.loader.batch_size;
        let len = self.loader.batch_size.min(self.loader.rows() - start);
        self.next += 1;
        Some(self.batch(start, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Device;
    use crate::dtype::DType;

    #[test]
    fn integer_batches_carry_their_bounds_so_checks_read_nothing_back() {
        let x = Tensor::zeros(&[10, 2], DType::F32, &Device::Cpu).unwrap();
        let labels =
            Tensor::from_vec((0..10i64).map(|i| i % 4 - 1).collect(), &[10], &Device::Cpu).unwrap();
        assert_eq!(labels.known_integer_range(), None);
        let loader = DataLoader::new(&[&x, &labels], 3).unwrap().shuffle(1);
        for batch in loader.batches(0).unwrap() {
            assert_eq!(batch.unwrap()[1].known_integer_range(), Some((-1, 2)));
        }
        let ordered = DataLoader::new(&[&x, &labels], 3).unwrap();
        for batch in ordered.batches(0).unwrap() {
            assert_eq!(
                batch.unwrap()[1].known_integer_range(),
                Some((-1, 2)),
                "views too"
            );
        }
    }
}
