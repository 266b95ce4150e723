"""Small models for the corpus, with the knobs that produce pathologies for real reasons:
initialisation scale, bias initialisation, activation, depth and width."""
from __future__ import annotations

import re

import torch
from torch import nn

ACTIVATIONS = {'relu': nn.ReLU, 'tanh': nn.Tanh, 'sigmoid': nn.Sigmoid, 'gelu': nn.GELU}


def _init_linear(layer: nn.Module, init_std=None, bias=None):
    """Optional explicit initialisation. A small std with saturating activations makes
    gradients vanish with depth; a large one makes activations and gradients explode; a large
    negative bias puts every ReLU in its flat region (dead units)."""
    if init_std is not None:
        nn.init.normal_(layer.weight, 0.0, init_std)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
    if bias is not None and layer.bias is not None:
        nn.init.constant_(layer.bias, bias)


class MLP(nn.Module):
    """Fully connected net. Layers are named fc0, fc1, ... and head, so per-layer gradient
    norms read naturally (grad_norm/fc0 is the first layer)."""

    def __init__(self, n_in, hidden, n_out, act='relu', init_std=None, hidden_bias=None,
                 dropout=0.0, layer_norm=False, softmax_output=False):
        super().__init__()
        self.layers = nn.ModuleDict()
        self.act = ACTIVATIONS[act]()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.norms = nn.ModuleList()
        width = n_in
        for i, h in enumerate(hidden):
            layer = nn.Linear(width, h)
            _init_linear(layer, init_std, hidden_bias)
            self.layers[f'fc{i}'] = layer
            self.norms.append(nn.LayerNorm(h) if layer_norm else nn.Identity())
            width = h
        self.head = nn.Linear(width, n_out)
        if init_std is not None:
            _init_linear(self.head, init_std)
        # softmax_output reproduces a common bug: the model returns probabilities and the loss
        # takes their log, so a saturated softmax gives log(0) = -inf.
        self.softmax_output = softmax_output

    def forward(self, x):
        x = x.flatten(1)
        for layer, norm in zip(self.layers.values(), self.norms):
            x = self.dropout(self.act(norm(layer(x))))
        out = self.head(x)
        return torch.softmax(out, -1) if self.softmax_output else out


class CNN(nn.Module):
    """Conv net for 1x8x8 digit images: conv blocks, one 2x2 pool, global average pool, head."""

    def __init__(self, channels=(16, 32), n_out=10, act='relu', init_std=None, hidden_bias=None,
                 batch_norm=False, dropout=0.0, softmax_output=False):
        super().__init__()
        self.softmax_output = softmax_output      # see MLP
        blocks = []
        width = 1
        for i, c in enumerate(channels):
            conv = nn.Conv2d(width, c, 3, padding=1)
            _init_linear(conv, init_std, hidden_bias)
            blocks.append(conv)
            if batch_norm:
                blocks.append(nn.BatchNorm2d(c))
            blocks.append(ACTIVATIONS[act]())
            if i == 0:
                blocks.append(nn.MaxPool2d(2))
            width = c
        self.features = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(width * 4 * 4, n_out)
        if init_std is not None:
            _init_linear(self.head, init_std)

    def forward(self, x):
        out = self.head(self.dropout(self.features(x).flatten(1)))
        return torch.softmax(out, -1) if self.softmax_output else out


class RecurrentNet(nn.Module):
    """RNN / GRU / LSTM over a sequence of feature vectors (or token ids when vocab is given);
    the last hidden state feeds the head. recurrent_scale multiplies the recurrent weights
    after PyTorch's default init: above ~1 with a ReLU RNN, gradients grow through time."""

    def __init__(self, cell='gru', n_in=8, hidden=64, layers=1, n_out=10, vocab=None,
                 nonlinearity='tanh', recurrent_scale=None, recurrent_identity=None, init_std=None):
        super().__init__()
        self.embed = nn.Embedding(vocab, n_in) if vocab else None
        kwargs = dict(input_size=n_in, hidden_size=hidden, num_layers=layers, batch_first=True)
        if cell == 'rnn':
            self.rnn = nn.RNN(nonlinearity=nonlinearity, **kwargs)
        else:
            self.rnn = {'gru': nn.GRU, 'lstm': nn.LSTM}[cell](**kwargs)
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if init_std is not None and 'weight' in name:
                    p.normal_(0.0, init_std)
                if name.startswith('weight_hh'):
                    if recurrent_identity is not None:
                        # IRNN (Le et al. 2015): identity recurrent weights with ReLU.
                        p.copy_(torch.eye(hidden).repeat(p.shape[0] // hidden, 1) * recurrent_identity)
                    elif recurrent_scale is not None:
                        p.mul_(recurrent_scale)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x):
        if self.embed is not None:
            x = self.embed(x)
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class TransformerClassifier(nn.Module):
    """Transformer encoder for sequence classification: token embedding (or a linear embedding
    of feature vectors), learned positions, mean pooling. norm_first=False is the original
    post-LN layout, which is fragile without learning-rate warm-up."""

    def __init__(self, n_out, vocab=None, n_in=8, seq_len=32, d_model=64, heads=4, layers=2,
                 ff=128, dropout=0.0, norm_first=True):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model) if vocab else nn.Linear(n_in, d_model)
        self.pos = nn.Parameter(torch.randn(1, seq_len, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout, batch_first=True,
                                           norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, n_out)

    def forward(self, x):
        h = self.embed(x)
        h = h + self.pos[:, : h.shape[1]]
        return self.head(self.encoder(h).mean(1))


class CharTransformer(nn.Module):
    """A tiny GPT: causal self-attention over characters, next-character logits."""

    def __init__(self, vocab, context=64, d_model=64, heads=4, layers=2, ff=192, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(1, context, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout, batch_first=True,
                                           norm_first=True, activation='gelu')
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)
        mask = torch.triu(torch.full((context, context), float('-inf')), 1)
        self.register_buffer('mask', mask, persistent=False)

    def forward(self, x):
        t = x.shape[1]
        h = self.embed(x) + self.pos[:, :t]
        h = self.blocks(h, mask=self.mask[:t, :t])
        return self.head(self.norm(h))


class CharLSTM(nn.Module):
    """The word_language_model of the PyTorch examples, at character level."""

    def __init__(self, vocab, embed=64, hidden=128, layers=1, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.rnn(self.drop(self.embed(x)))
        return self.head(self.drop(out))


def make_model(kind: str, task, **kw) -> nn.Module:
    """Builds a model for a task; input and output sizes come from the task."""
    if kind == 'mlp':
        n_in = int(torch.tensor(task.x_train.shape[1:]).prod())
        return MLP(n_in, kw.pop('hidden', [64]), kw.pop('n_out', task.n_out), **kw)
    if kind == 'cnn':
        return CNN(n_out=task.n_out, **kw)
    if kind in ('rnn', 'gru', 'lstm'):
        if task.x_train.dtype == torch.long:
            kw.setdefault('vocab', task.meta['vocab'])
            kw.setdefault('n_in', 16)
        else:
            kw.setdefault('n_in', task.x_train.shape[-1])
        return RecurrentNet(cell=kind, n_out=task.n_out, **kw)
    if kind == 'transformer':
        if task.x_train.dtype == torch.long:
            kw.setdefault('vocab', task.meta['vocab'])
        else:
            kw.setdefault('n_in', task.x_train.shape[-1])
        kw.setdefault('seq_len', task.x_train.shape[1])
        return TransformerClassifier(task.n_out, **kw)
    if kind == 'char_transformer':
        return CharTransformer(task.n_out, context=task.meta['context'], **kw)
    if kind == 'char_lstm':
        return CharLSTM(task.n_out, **kw)
    raise ValueError(kind)


def layer_groups(model: nn.Module) -> dict:
    """Parameters grouped by the module that owns them ('fc0', 'rnn', 'encoder.layers.0.linear1'),
    the unit in which per-layer gradient norms are logged."""
    groups: dict = {}
    for name, p in model.named_parameters():
        owner = name.rsplit('.', 1)[0] if '.' in name else name
        # recurrent layers keep all stacked layers in one module: split them (rnn.l0, rnn.l1)
        stacked = re.search(r'_l(\d+)$', name)
        if stacked:
            owner = f'{owner}.l{stacked.group(1)}'
        if owner.startswith('layers.'):
            owner = owner[len('layers.'):]
        groups.setdefault(owner, []).append(p)
    return groups
