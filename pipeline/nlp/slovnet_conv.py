"""Slovnet's 1-d convolution with its windows copied in long runs: the same matrix, the same product.

Slovnet builds the (windows x channels*kernel) matrix of a convolution by reshaping a strided view
whose innermost run is the kernel (3 numbers), so numpy copies it three numbers at a time; about a
fifth of Slovnet NER's time went there. `FastConv1d` writes the same matrix one kernel offset at a
time, a whole window of channels per run, then multiplies it as Slovnet does: the outputs are
bit-identical (tested). It replaces the class of the Conv1d modules of one tagger only.
"""

from __future__ import annotations

import numpy as np
from slovnet.exec.model import Conv1d, Module


class FastConv1d(Conv1d):
    def __call__(self, input: np.ndarray) -> np.ndarray:
        batch_size, in_dim, seq_len = input.shape
        filters_count, _, kernel_size = self.weight.shape
        pad = self.padding
        padded = np.zeros((batch_size, seq_len + 2 * pad, in_dim), dtype=input.dtype)
        padded[:, pad : pad + seq_len] = input.swapaxes(2, 1)
        windows_count = seq_len + 2 * pad - kernel_size + 1
        windows = np.empty((batch_size, windows_count, in_dim, kernel_size), dtype=input.dtype)
        for k in range(kernel_size):
            windows[:, :, :, k] = padded[:, k : k + windows_count]
        windows = windows.reshape(batch_size * windows_count, in_dim * kernel_size)
        weight = self.weight.array.reshape(filters_count, in_dim * kernel_size)
        output = np.matmul(windows, weight.T) + self.bias.array
        output = output.reshape(batch_size, windows_count, filters_count)
        return output.swapaxes(2, 1)  # batch x filters x windows, as Slovnet's


def use_fast_convolutions(module: Module) -> int:
    """Switch every Conv1d inside a Slovnet model to `FastConv1d`; returns how many."""
    found, stack, seen = 0, [module], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if type(item) is Conv1d:
            item.__class__ = FastConv1d
            found += 1
        children = vars(item).values() if isinstance(item, Module) else item
        for child in children:
            if isinstance(child, Module | list | tuple):
                stack.append(child)
    return found
