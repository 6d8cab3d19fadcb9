//! The tiny_gpt transformer, apart from its data and training so that the benches build the
//! same model.

use wgrad::nn::{Dropout, Embedding, LayerNorm, Linear, Module, MultiheadAttention, Visitor};
use wgrad::{DType, Device, Tensor, no_grad};

/// The characters: digits are their own ids, then `+` and `=`.
pub const VOCAB: [char; 12] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '='];
pub const PROMPT: usize = 6;
pub const ANSWER: usize = 3;
/// The model reads the prompt and all but the last answer digit.
pub const CONTEXT: usize = PROMPT + ANSWER - 1;
pub const DIM: usize = 64;
pub const HEADS: usize = 4;
pub const LAYERS: usize = 2;

/// Pre-norm transformer block: `x + attn(ln1(x))`, then `+ mlp(ln2(x))`.
pub struct Block {
    ln1: LayerNorm,
    attn: MultiheadAttention,
    ln2: LayerNorm,
    fc: Linear,
    proj: Linear,
    drop: Dropout,
}

impl Block {
    fn new(device: &Device) -> wgrad::Result<Block> {
        Ok(Block {
            ln1: LayerNorm::new(DIM, device)?,
            attn: MultiheadAttention::new(DIM, HEADS, device)?.causal(true),
            ln2: LayerNorm::new(DIM, device)?,
            fc: Linear::new(DIM, 4 * DIM, device)?,
            proj: Linear::new(4 * DIM, DIM, device)?,
            drop: Dropout::new(0.1)?,
        })
    }

    /// The block's output and its attention weights.
    fn attend(&self, x: &Tensor) -> wgrad::Result<(Tensor, Tensor)> {
        let (mixed, weights) = self.attn.attend(&self.ln1.forward(x)?)?;
        let x = x.add(&mixed)?;
        let hidden = self.fc.forward(&self.ln2.forward(&x)?)?.gelu()?;
        Ok((
            x.add(&self.drop.forward(&self.proj.forward(&hidden)?)?)?,
            weights,
        ))
    }
}

impl Module for Block {
    fn forward(&self, x: &Tensor) -> wgrad::Result<Tensor> {
        Ok(self.attend(x)?.0)
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.module("ln1", &self.ln1);
        v.module("attn", &self.attn);
        v.module("ln2", &self.ln2);
        v.module("fc", &self.fc);
        v.module("proj", &self.proj);
        v.module("drop", &self.drop);
    }
}

/// Token and position embeddings, the blocks, a final LayerNorm and the head.
pub struct Gpt {
    tok: Embedding,
    pos: Embedding,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    head: Linear,
}

impl Gpt {
    pub fn new(device: &Device) -> wgrad::Result<Gpt> {
        Ok(Gpt {
            tok: Embedding::new(VOCAB.len(), DIM, device)?,
            pos: Embedding::new(CONTEXT, DIM, device)?,
            blocks: (0..LAYERS)
                .map(|_| Block::new(device))
                .collect::<wgrad::Result<_>>()?,
            ln_f: LayerNorm::new(DIM, device)?,
            head: Linear::new(DIM, VOCAB.len(), device)?,
        })
    }

    /// Logits `[batch, time, vocab]` for token ids `[batch, time]`, and every block's attention.
    pub fn run(&self, ids: &Tensor) -> wgrad::Result<(Tensor, Vec<Tensor>)> {
        let time = ids.shape()[1];
        let positions = Tensor::arange(0.0, time as f64, 1.0, DType::I64, &ids.device())?;
        let mut x = self.tok.forward(ids)?.add(&self.pos.forward(&positions)?)?;
        let mut maps = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let (out, weights) = block.attend(&x)?;
            x = out;
            maps.push(weights);
        }
        Ok((self.head.forward(&self.ln_f.forward(&x)?)?, maps))
    }

    /// Greedy decoding: each prompt `[batch, 6]` extended by its 3 most likely answer tokens.
    pub fn answer(&self, prompts: &Tensor) -> wgrad::Result<Tensor> {
        let mut ids = prompts.clone();
        for _ in 0..ANSWER {
            let (logits, _) = no_grad(|| self.run(&ids))?;
            let last = logits.narrow(1, ids.shape()[1] - 1, 1)?;
            ids = Tensor::cat(&[&ids, &last.argmax(2, false)?], 1)?;
        }
        ids.narrow(1, PROMPT, ANSWER)
    }
}

impl Module for Gpt {
    fn forward(&self, ids: &Tensor) -> wgrad::Result<Tensor> {
        Ok(self.run(ids)?.0)
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.module("tok", &self.tok);
        v.module("pos", &self.pos);
        v.modules("blocks", &self.blocks);
        v.module("ln_f", &self.ln_f);
        v.module("head", &self.head);
    }
}
