"""Plots a learner would rather look at than read."""

from __future__ import annotations

from typing import Any, Sequence


def plot_history(history: Any, metrics: Sequence[str] = ("loss", "accuracy"), title: str | None = None):
    """Plot training and validation curves side by side, one panel per metric.

    Args:
        history: the ``History`` that ``model.fit`` returns, or its ``.history`` dict.
        metrics: which curves to draw; those missing from the history are skipped.
        title: an optional title above the panels.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
        >>> [ax.get_title() for ax in fig.axes]
        ['loss']
    """
    import matplotlib.pyplot as plt

    curves = dict(getattr(history, "history", history))
    shown = [m for m in metrics if m in curves]
    fig, axes = plt.subplots(1, max(1, len(shown)), figsize=(5 * max(1, len(shown)), 3.5), squeeze=False)
    for ax, metric in zip(axes[0], shown):
        epochs = range(1, len(curves[metric]) + 1)
        ax.plot(epochs, curves[metric], "o-", label=f"training {metric}")
        if f"val_{metric}" in curves:
            ax.plot(epochs, curves[f"val_{metric}"], "s--", label=f"validation {metric}")
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
